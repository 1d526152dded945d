import type { Principal } from "./principal";

/**
 * Resolved principals by credential key (`t:` or `s:` and the secret's hash), each for `ttlMs`.
 *
 * A busy credential never waits on its own lookup. Before this, when its entry expired, every
 * request it had in flight read the token and wrote its `lastUsedAt`: 100 UPDATEs of one row,
 * each waiting on the last one's lock and WAL flush, stalled its reads for 250-570 ms once every
 * 30 s (issue 12, `bench:api`). Now concurrent misses share one lookup, and an entry used in the
 * last `refreshAheadMs` of its life is looked up again in the background while it still answers.
 * No answer is older than `ttlMs`.
 *
 * A `delete` or `clear` while a lookup is in flight keeps that lookup's answer out of the
 * cache: a grant or revocation is never undone by a slow lookup that began before it.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  private readonly pending = new Map<string, Promise<Principal | null>>();
  /** Raised by every delete and clear; a lookup begun under an older epoch is not kept. */
  private epoch = 0;

  constructor(
    private readonly options: {
      ttlMs: number;
      refreshAheadMs: number;
      /** A background lookup failed; the entry answers until it expires, then a caller's does. */
      onRefreshError(error: unknown, key: string): void;
      now?: () => number;
    },
  ) {}

  /** The cached principal, or the one `lookup` finds (null: none, and nothing is kept). */
  resolve(key: string, lookup: () => Promise<Principal | null>): Promise<Principal | null> {
    const now = this.now();
    const cached = this.entries.get(key);
    if (cached && cached.until > now) {
      if (cached.until - now <= this.options.refreshAheadMs && !this.pending.has(key)) {
        this.lookUp(key, lookup).catch((error: unknown) => this.options.onRefreshError(error, key));
      }
      return Promise.resolve(cached.principal);
    }
    return this.pending.get(key) ?? this.lookUp(key, lookup);
  }

  /** Forgets one credential (logout). */
  delete(key: string): void {
    this.entries.delete(key);
    this.pending.delete(key);
    this.epoch += 1;
  }

  /** Forgets every credential (grants, revocations, tenant deletion). */
  clear(): void {
    this.entries.clear();
    this.pending.clear();
    this.epoch += 1;
  }

  private lookUp(key: string, lookup: () => Promise<Principal | null>): Promise<Principal | null> {
    const epoch = this.epoch;
    const settled = () => {
      if (this.pending.get(key) === started) this.pending.delete(key);
    };
    const started = lookup().then(
      (principal) => {
        settled();
        if (epoch === this.epoch) {
          if (principal)
            this.entries.set(key, { principal, until: this.now() + this.options.ttlMs });
          else this.entries.delete(key);
        }
        return principal;
      },
      (error: unknown) => {
        settled();
        throw error;
      },
    );
    this.pending.set(key, started);
    return started;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
