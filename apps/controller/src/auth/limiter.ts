import { NetloomError } from "@netloom/model";

/** Failures allowed before backoff starts, per account and per source address. */
export const FREE_FAILURES = { account: 5, address: 20 } as const;
/** The first lockout; each further failure doubles it, up to MAX_LOCKOUT_MS. */
export const BASE_LOCKOUT_MS = 1_000;
export const MAX_LOCKOUT_MS = 15 * 60_000;
/** A key with no failure for this long starts over. */
const FORGET_AFTER_MS = 30 * 60_000;
/** Bound on remembered keys: a spray of addresses cannot grow memory without limit. */
const MAX_KEYS = 100_000;

interface Failures {
  count: number;
  lastAt: number;
  lockedUntil: number;
}

/**
 * Login backoff per account and per source address: after the free failures, each failure
 * locks the key for BASE_LOCKOUT_MS x 2^(extra failures), capped. While locked, a login is
 * refused with RATE_LIMITED before the password is looked at, so guessing gains nothing;
 * a success clears the account (not the address).
 */
export class LoginLimiter {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws RATE_LIMITED when the account or the address is locked. */
  check(account: string, address: string | undefined): void {
    const now = this.now();
    for (const key of this.keys(account, address)) {
      const entry = this.current(key, now);
      if (entry && entry.lockedUntil > now) {
        const seconds = Math.ceil((entry.lockedUntil - now) / 1000);
        throw new NetloomError(
          "RATE_LIMITED",
          `too many failed logins; try again in ${seconds} s`,
          [{ path: key.startsWith("a:") ? "email" : "", message: `locked for ${seconds} s` }],
        );
      }
    }
  }

  /** Counts a failure against the account and the address. */
  failed(account: string, address: string | undefined): void {
    const now = this.now();
    if (this.failures.size >= MAX_KEYS) this.forgetOld(now);
    for (const key of this.keys(account, address)) {
      const entry = this.current(key, now) ?? { count: 0, lastAt: now, lockedUntil: 0 };
      entry.count += 1;
      entry.lastAt = now;
      const free = key.startsWith("a:") ? FREE_FAILURES.account : FREE_FAILURES.address;
      if (entry.count > free) {
        const lockout = Math.min(MAX_LOCKOUT_MS, BASE_LOCKOUT_MS * 2 ** (entry.count - free - 1));
        entry.lockedUntil = now + lockout;
      }
      this.failures.set(key, entry);
    }
  }

  /** A successful login clears the account's failures. */
  succeeded(account: string): void {
    this.failures.delete(accountKey(account));
  }

  private keys(account: string, address: string | undefined): string[] {
    return address ? [accountKey(account), `ip:${address}`] : [accountKey(account)];
  }

  private current(key: string, now: number): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && now - entry.lastAt > FORGET_AFTER_MS && entry.lockedUntil <= now) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private forgetOld(now: number): void {
    for (const [key, entry] of this.failures) {
      if (entry.lockedUntil <= now) this.failures.delete(key);
    }
  }
}

function accountKey(account: string): string {
  return `a:${account.trim().toLowerCase()}`;
}
