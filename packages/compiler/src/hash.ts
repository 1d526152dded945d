/*
 * FNV-1a 64 in plain numbers (no BigInt, no node:crypto: the compiler also runs in the browser).
 * The 64-bit state is two 32-bit halves; the prime 2^40 + 0x1b3 is applied as
 * `h * 0x1b3 + (h << 40)`, every intermediate staying below 2^53 so doubles stay exact.
 */

const TWO_32 = 4294967296;

/**
 * An FNV-1a 64 state fed word by word: `chars` feeds a string's UTF-16 code units (so feeding
 * pieces one after another equals hashing their concatenation, without building it), `word` one
 * 32-bit word, `pair` a 64-bit hash (a node's hash is a fold over its parts' hashes).
 */
export class HashFold {
  high = 0xcbf29ce4;
  low = 0x84222325;

  /** Mixes one unsigned 32-bit word (a UTF-16 code unit is one). */
  word(value: number): void {
    this.low = (this.low ^ value) >>> 0;
    const product = this.low * 0x1b3;
    const nextLow = product >>> 0;
    const carry = (product - nextLow) / TWO_32;
    this.high = (this.high * 0x1b3 + carry + this.low * 256) >>> 0;
    this.low = nextLow;
  }

  /** Mixes a string's code units, nothing after them. */
  chars(value: string): this {
    streamHigh = this.high;
    streamLow = this.low;
    feedChars(value);
    this.high = streamHigh;
    this.low = streamLow;
    return this;
  }

  /** Mixes a 64-bit hash given as its two halves. */
  pair(high: number, low: number): void {
    this.word(high);
    this.word(low);
  }

  /** Mixes a string and a terminator, so that consecutive strings cannot run together. */
  text(value: string): void {
    this.chars(value);
    this.word(0xffffffff);
  }

  digest(): string {
    return this.high.toString(16).padStart(8, "0") + this.low.toString(16).padStart(8, "0");
  }
}

/*
 * The streaming core: one FNV-1a 64 state in module variables, so the per-character loop keeps
 * it in registers (no object, no allocation). Not reentrant, and it need not be: every feed runs
 * to completion synchronously.
 */
let streamHigh = 0;
let streamLow = 0;

function feedChars(text: string): void {
  let high = streamHigh;
  let low = streamLow;
  for (let i = 0; i < text.length; i++) {
    low = (low ^ text.charCodeAt(i)) >>> 0;
    const product = low * 0x1b3;
    const nextLow = product >>> 0;
    const carry = (product - nextLow) / TWO_32;
    high = (high * 0x1b3 + carry + low * 256) >>> 0;
    low = nextLow;
  }
  streamHigh = high;
  streamLow = low;
}

/** Feeds a string as JSON.stringify writes it: quoted, escaped where JSON needs it. */
function feedJsonString(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      // Escapes or surrogates: rare in names and addresses; let JSON decide.
      feedChars(JSON.stringify(text));
      return;
    }
  }
  feedChars('"');
  feedChars(text);
  feedChars('"');
}

/** Whether JSON.stringify leaves the value out of an object (and writes null in an array). */
function skipped(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** Feeds a value's JSON text, character for character what JSON.stringify writes. */
function feedJson(value: unknown): void {
  switch (typeof value) {
    case "string":
      feedJsonString(value);
      return;
    case "number":
      feedChars(Number.isFinite(value) ? String(value) : "null");
      return;
    case "boolean":
      feedChars(value ? "true" : "false");
      return;
    case "object": {
      if (value === null) {
        feedChars("null");
        return;
      }
      if (Array.isArray(value)) {
        feedChars("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) feedChars(",");
          const item: unknown = value[i];
          if (skipped(item)) feedChars("null");
          else feedJson(item);
        }
        feedChars("]");
        return;
      }
      const record = value as Record<string, unknown>;
      feedChars("{");
      let first = true;
      // for-in visits own keys in the order JSON.stringify writes them (plain objects only).
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        const item = record[key];
        if (skipped(item)) continue;
        if (!first) feedChars(",");
        first = false;
        feedJsonString(key);
        feedChars(":");
        feedJson(item);
      }
      feedChars("}");
      return;
    }
    default:
      // bigint throws in JSON.stringify; nothing the compiler hashes holds one.
      feedChars("null");
  }
}

/**
 * A value with FNV-1a 64 of its JSON text, computed without building the text: equal to
 * `fnv1a64Pair(JSON.stringify(value))` for plain objects, arrays, strings, finite numbers,
 * booleans and null (what configs are made of).
 */
export function withJsonHash<T>(value: T): { value: T; high: number; low: number } {
  streamHigh = 0xcbf29ce4;
  streamLow = 0x84222325;
  feedJson(value);
  return { value, high: streamHigh, low: streamLow };
}

/** FNV-1a 64 of a string's UTF-16 code units, as 16 hex digits. */
export function fnv1a64(text: string): string {
  return new HashFold().chars(text).digest();
}

/** FNV-1a 64 of a string as its two 32-bit halves. */
export function fnv1a64Pair(text: string): [number, number] {
  const fold = new HashFold().chars(text);
  return [fold.high, fold.low];
}

/** The content hash of a JSON value: FNV-1a 64 of its JSON text. */
export function hashJson(value: unknown): string {
  return fnv1a64(JSON.stringify(value));
}

/**
 * A short [a-z0-9] id of at most `length` characters from a string, stable across runs and
 * platforms. Takes as many bits of FNV-1a 64 as fit in `length` base-36 digits.
 */
export function shortId(text: string, length: number): string {
  const hex = fnv1a64(text);
  // 52 bits at most keep the number exact; 36^length bounds the digits.
  const value = Number.parseInt(hex.slice(3), 16);
  const bound = 36 ** length;
  return (value % bound).toString(36);
}

/** A locally administered unicast MAC (`02:...`) from a string. */
export function macFrom(text: string): string {
  const hex = fnv1a64(`mac:${text}`);
  return `02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}`;
}
