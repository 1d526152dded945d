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
    stream[0] = this.high;
    stream[1] = this.low;
    feedChars(value);
    this.high = stream[0] ?? 0;
    this.low = stream[1] ?? 0;
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

  /** Back to the initial state, so one instance can fold one value after another. */
  reset(): this {
    this.high = 0xcbf29ce4;
    this.low = 0x84222325;
    return this;
  }

  digest(): string {
    return hexOf(this.high, this.low);
  }
}

/** Char codes of the hex digits 0-9a-f. */
const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

function hexDigit(word: number, shift: number): number {
  return HEX_CODES[(word >>> shift) & 15] ?? 48;
}

/**
 * A 64-bit hash given as its two 32-bit halves, as 16 hex digits. Built as one string (not two
 * `toString(16)`s padded and joined): an update makes one per node and tenant config it changes.
 */
export function hexOf(high: number, low: number): string {
  return String.fromCharCode(
    hexDigit(high, 28),
    hexDigit(high, 24),
    hexDigit(high, 20),
    hexDigit(high, 16),
    hexDigit(high, 12),
    hexDigit(high, 8),
    hexDigit(high, 4),
    hexDigit(high, 0),
    hexDigit(low, 28),
    hexDigit(low, 24),
    hexDigit(low, 20),
    hexDigit(low, 16),
    hexDigit(low, 12),
    hexDigit(low, 8),
    hexDigit(low, 4),
    hexDigit(low, 0),
  );
}

/*
 * The streaming core: one FNV-1a 64 state in module variables, so the per-character loop keeps
 * it in locals (no object, no allocation). Not reentrant, and it need not be: every feed runs to
 * completion synchronously.
 */
/** The state's halves: typed-array slots, so writing one boxes no number (a `let` would). */
const stream = new Uint32Array(2);

function feedChars(text: string): void {
  let high = stream[0] ?? 0;
  let low = stream[1] ?? 0;
  for (let i = 0; i < text.length; i++) {
    low = (low ^ text.charCodeAt(i)) >>> 0;
    const product = low * 0x1b3;
    const nextLow = product >>> 0;
    const carry = (product - nextLow) / TWO_32;
    high = (high * 0x1b3 + carry + low * 256) >>> 0;
    low = nextLow;
  }
  stream[0] = high;
  stream[1] = low;
}

/**
 * A value with FNV-1a 64 of its JSON text, fed as JSON.stringify would write it without building
 * the text: an update hashes every new piece, and their texts were ~7 KB of its allocation (a
 * young collection's worth every ~60 updates). The walk is slower than native serialization
 * (measured 1.5-2x on the hashing alone), a few microseconds per update against less garbage.
 */
export function withJsonHash<T>(value: T): { value: T; high: number; low: number } {
  stream[0] = 0xcbf29ce4;
  stream[1] = 0x84222325;
  feedJson(value);
  return { value, high: stream[0] ?? 0, low: stream[1] ?? 0 };
}

/** Mixes one UTF-16 code unit into the stream. */
function mix(code: number): void {
  const low = ((stream[1] ?? 0) ^ code) >>> 0;
  const product = low * 0x1b3;
  const nextLow = product >>> 0;
  const carry = (product - nextLow) / TWO_32;
  stream[0] = ((stream[0] ?? 0) * 0x1b3 + carry + low * 256) >>> 0;
  stream[1] = nextLow;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;

/** JSON.stringify's text of a value, fed (what it would write; undefined and functions: nothing). */
function feedJson(value: unknown): void {
  switch (typeof value) {
    case "string":
      feedJsonString(value);
      return;
    case "number":
      feedJsonNumber(value);
      return;
    case "boolean":
      feedChars(value ? "true" : "false");
      return;
    case "object":
      if (value === null) feedChars("null");
      else if (Array.isArray(value)) feedJsonArray(value);
      else if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        // Not a plain piece (a Date, say): its own serialization decides.
        feedChars(JSON.stringify(value));
      } else feedJsonObject(value as Record<string, unknown>);
      return;
    default:
      // undefined, functions and symbols write nothing (their caller writes null or skips them).
      return;
  }
}

function feedJsonArray(list: readonly unknown[]): void {
  mix(91);
  for (let i = 0; i < list.length; i++) {
    if (i > 0) mix(COMMA);
    const item = list[i];
    if (writesNothing(item)) feedChars("null");
    else feedJson(item);
  }
  mix(93);
}

function feedJsonObject(object: Record<string, unknown>): void {
  mix(123);
  let first = true;
  // for-in walks own keys in JSON.stringify's order (integer keys ascending, then insertion).
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const item = object[key];
    if (writesNothing(item)) continue;
    if (!first) mix(COMMA);
    first = false;
    feedJsonString(key);
    mix(58);
    feedJson(item);
  }
  mix(125);
}

function writesNothing(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** A finite number as its shortest round-trip text (digits fed directly for safe integers). */
function feedJsonNumber(value: number): void {
  if (!Number.isFinite(value)) {
    feedChars("null");
    return;
  }
  if (!Number.isSafeInteger(value)) {
    feedChars(String(value));
    return;
  }
  let rest = value;
  if (rest < 0) {
    mix(45);
    rest = -rest;
  }
  let unit = 1;
  while (unit * 10 <= rest) unit *= 10;
  for (; unit >= 1; unit /= 10) {
    const digit = Math.floor(rest / unit);
    mix(48 + digit);
    rest -= digit * unit;
  }
}

/** A string quoted and escaped as JSON.stringify writes it (lone surrogates as \uXXXX). */
function feedJsonString(text: string): void {
  mix(QUOTE);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE || code === BACKSLASH) {
      mix(BACKSLASH);
      mix(code);
    } else if (code < 0x20) {
      feedControl(code);
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        mix(code);
        mix(next);
        i++;
      } else {
        feedUnicodeEscape(code);
      }
    } else {
      mix(code);
    }
  }
  mix(QUOTE);
}

/** Short escapes for \b \t \n \f \r, \u00XX for the other control characters. */
function feedControl(code: number): void {
  const short = SHORT_ESCAPES[code] ?? 0;
  if (short !== 0) {
    mix(BACKSLASH);
    mix(short);
  } else {
    feedUnicodeEscape(code);
  }
}

/** Letters of the short escapes by control code (b, t, n, f, r), 0 for none. */
const SHORT_ESCAPES = [0, 0, 0, 0, 0, 0, 0, 0, 98, 116, 110, 0, 102, 114];

function feedUnicodeEscape(code: number): void {
  mix(BACKSLASH);
  mix(117);
  mix(hexDigit(code, 12));
  mix(hexDigit(code, 8));
  mix(hexDigit(code, 4));
  mix(hexDigit(code, 0));
}

/** FNV-1a 64 of a string's UTF-16 code units, as 16 hex digits. */
export function fnv1a64(text: string): string {
  return new HashFold().chars(text).digest();
}

/** FNV-1a 64 of a string as its two 32-bit halves. */
export function fnv1a64Pair(text: string): [number, number] {
  stream[0] = 0xcbf29ce4;
  stream[1] = 0x84222325;
  feedChars(text);
  return [stream[0] ?? 0, stream[1] ?? 0];
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
