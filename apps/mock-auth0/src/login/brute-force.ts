import type { Clock } from "@ciba-testbed/shared";

import type { BruteForceSettings } from "../tenant/tenant-model.js";

/**
 * Auth0's error and message for a login that brute-force protection blocks
 * (https://auth0.com/docs/secure/attack-protection/brute-force-protection).
 */
export const BLOCKED_ERROR = "too_many_attempts";
export const BLOCKED_MESSAGE =
  "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.";

/** Auth0 lifts a block on its own after 30 days. */
const BLOCK_LIFETIME_MS = 30 * 24 * 3_600_000;

/**
 * At most this many identifier and IP pairs are tracked. Past it, an expired block or the
 * pair that has gone longest without an attempt and is neither blocked nor being checked goes
 * first; a block is dropped, the oldest first, only when every pair tracked is blocked.
 */
export const MAX_TRACKED = 10_000;

interface Attempts {
  readonly identifier: string;
  readonly ip: string;
  failures: number;
  /** Attempts whose password is being checked: each counts until its answer is known. */
  pending: number;
  /** Set once the pair is blocked: when the block ends. */
  blockedUntil: number | undefined;
}

/** One blocked identifier and IP pair, as the Management API's user blocks list them. */
export interface UserBlock {
  readonly identifier: string;
  readonly ip: string;
}

/**
 * Brute-force protection in Auth0's default mode, `count_per_identifier_and_ip` with the `block`
 * shield: after `maxAttempts` consecutive wrong passwords for one user from one IP address, that
 * address cannot log in as that user, with the right password either, until an administrator
 * removes the block (here: the control API), 30 days pass, or the limit is raised above the
 * count. A successful login resets the count.
 *
 * An attempt counts from the moment it is made (`tryAttempt`), not once its password has been
 * checked (`settle`): guesses sent at once cannot all pass while the first are being compared,
 * so at most `maxAttempts` passwords are checked for a pair, however many arrive together.
 */
export class BruteForceProtection {
  private readonly attempts = new Map<string, Attempts>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: BruteForceSettings,
  ) {}

  private isExpired(entry: Attempts): boolean {
    return entry.blockedUntil !== undefined && entry.blockedUntil <= this.clock.now();
  }

  private entry(identifier: string, ip: string): Attempts | undefined {
    const key = JSON.stringify([identifier, ip]);
    const entry = this.attempts.get(key);
    if (entry !== undefined && this.isExpired(entry)) {
      entry.failures = 0;
      entry.blockedUntil = undefined;
      if (entry.pending === 0) this.attempts.delete(key);
      return entry.pending === 0 ? undefined : entry;
    }
    return entry;
  }

  private isBlocking(entry: Attempts): boolean {
    return entry.failures >= this.settings.maxAttempts && !this.isExpired(entry);
  }

  /** Whether this address may not try to log in as this user now. */
  isBlocked(identifier: string, ip: string): boolean {
    const entry = this.entry(identifier, ip);
    return this.settings.enabled && entry !== undefined && this.isBlocking(entry);
  }

  /**
   * An attempt to log in as this user from this address: `false` when the pair is blocked, or
   * when the attempts still being checked would reach the limit, else counted until `settle`
   * tells its outcome.
   */
  tryAttempt(identifier: string, ip: string): boolean {
    if (!this.settings.enabled) return true;
    const key = JSON.stringify([identifier, ip]);
    const entry = this.entry(identifier, ip) ?? {
      identifier,
      ip,
      failures: 0,
      pending: 0,
      blockedUntil: undefined,
    };
    if (entry.failures + entry.pending >= this.settings.maxAttempts) return false;
    entry.pending += 1;
    this.attempts.delete(key);
    this.attempts.set(key, entry);
    if (this.attempts.size > MAX_TRACKED) this.evictOne();
    return true;
  }

  /**
   * The outcome of an attempt `tryAttempt` allowed: a wrong password is counted, and the pair
   * blocked once the count reaches the limit; a right one resets the count.
   */
  settle(identifier: string, ip: string, succeeded: boolean): void {
    if (!this.settings.enabled) return;
    const key = JSON.stringify([identifier, ip]);
    const entry = this.attempts.get(key);
    if (entry === undefined) return;
    entry.pending = Math.max(0, entry.pending - 1);
    if (succeeded) {
      entry.failures = 0;
      entry.blockedUntil = undefined;
    } else {
      entry.failures += 1;
      if (entry.failures >= this.settings.maxAttempts && entry.blockedUntil === undefined) {
        entry.blockedUntil = this.clock.now() + BLOCK_LIFETIME_MS;
      }
    }
    if (entry.failures === 0 && entry.pending === 0) this.attempts.delete(key);
  }

  /**
   * Makes room for one pair: an expired block, else the pair longest without an attempt that
   * is neither blocked nor being checked, else the oldest block.
   */
  private evictOne(): void {
    let oldestBlock: string | undefined;
    for (const [key, entry] of this.attempts) {
      if (entry.pending > 0) continue;
      if (this.isExpired(entry) || !this.isBlocking(entry)) {
        this.attempts.delete(key);
        return;
      }
      oldestBlock ??= key;
    }
    if (oldestBlock !== undefined) this.attempts.delete(oldestBlock);
  }

  /** The addresses blocked from logging in as this user. */
  blocks(identifier: string): UserBlock[] {
    return [...this.attempts.values()]
      .filter(
        (entry) => entry.identifier === identifier && this.isBlocked(entry.identifier, entry.ip),
      )
      .map(({ ip }) => ({ identifier, ip }));
  }

  /** Removes every block and count for this user, as an administrator's unblock does. */
  unblock(identifier: string): void {
    for (const [key, entry] of this.attempts) {
      if (entry.identifier !== identifier) continue;
      if (entry.pending === 0) {
        this.attempts.delete(key);
      } else {
        entry.failures = 0;
        entry.blockedUntil = undefined;
      }
    }
  }
}
