import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

import type { AuthorizationDetail } from "@ciba-testbed/shared";

import { Timer, TimerQueue } from "./backchannel/timer-queue.js";
import type { RefreshTokenPolicy } from "./tenant/tenant-model.js";

/** What a refresh token renews: the grant the person approved. */
export interface RefreshGrant {
  readonly clientId: string;
  readonly sub: string;
  /** The API, or `undefined` for a `/userinfo`-only grant. */
  readonly audience: string | undefined;
  readonly scope: readonly string[];
  readonly authorizationDetails: readonly AuthorizationDetail[] | undefined;
  /** When the person approved, in seconds since the epoch (the ID token's `auth_time`). */
  readonly authTime: number;
}

export type ExchangeResult =
  | { ok: true; grant: RefreshGrant; refreshToken: string | undefined }
  | { ok: false; reason: "unknown" | "expired" | "another_client" | "reuse_revoked_family" };

/**
 * "Auth0 limits the amount of active refresh tokens to 200 tokens per user per application"
 * (https://auth0.com/docs/secure/tokens/refresh-tokens, "Limitations"); past it the oldest goes.
 */
export const MAX_FAMILIES_PER_USER_AND_CLIENT = 200;

/** A refresh token and its successors under rotation (Auth0's "token family"). */
interface Family {
  readonly id: string;
  readonly owner: string;
  readonly grant: RefreshGrant;
  /** Fixed at issue, as Auth0 fixes a token's maximum lifetime. */
  readonly policy: RefreshTokenPolicy;
  readonly createdAt: number;
  lastExchangedAt: number;
  /** SHA-256 of the secret part of the one token that may be exchanged. */
  current: Buffer;
  /** The token the last rotation replaced: exchangeable once more within the policy's leeway. */
  previous: Buffer | undefined;
  previousRotatedAt: number;
  readonly timer: Timer<string>;
}

const FAMILY_ID_CHARS = 22; // 16 random bytes, base64url
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}[A-Za-z0-9_-]{43}$/;

const digest = (secret: string) => createHash("sha256").update(secret).digest();
const same = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);

/**
 * The tenant's refresh tokens, in memory, with Auth0's rotation semantics
 * (https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation): a rotating
 * token is exchanged once for a new one; presenting a token already exchanged revokes the
 * whole family, so every later use of any of its tokens fails. A non-rotating token may be
 * exchanged again and again. Families end at their maximum or idle lifetime.
 *
 * A token is its family id followed by a secret; only a digest of the secret is kept, and a
 * family holds the current token and the one before it, so memory stays constant however often
 * a family rotates. Expired families are dropped in O(log n), and each person keeps at most
 * `MAX_FAMILIES_PER_USER_AND_CLIENT` per client.
 */
export class RefreshTokenStore {
  private readonly families = new Map<string, Family>();
  /** Per `client_id` + `sub`, the family ids from oldest to newest. */
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly expiries = new TimerQueue<string>();

  get size(): number {
    return this.families.size;
  }

  issue(grant: RefreshGrant, policy: RefreshTokenPolicy, now: number): string {
    this.purge(now);
    const owner = `${grant.clientId}\0${grant.sub}`;
    const owned = this.byOwner.get(owner) ?? new Set<string>();
    this.byOwner.set(owner, owned);
    for (const oldest of owned) {
      if (owned.size < MAX_FAMILIES_PER_USER_AND_CLIENT) break;
      this.revoke(oldest);
    }
    const id = randomBytes(16).toString("base64url");
    const secret = randomBytes(32).toString("base64url");
    const family: Family = {
      id,
      owner,
      grant,
      policy,
      createdAt: now,
      lastExchangedAt: now,
      current: digest(secret),
      previous: undefined,
      previousRotatedAt: now,
      timer: new Timer(id),
    };
    this.families.set(id, family);
    owned.add(id);
    this.schedule(family);
    return id + secret;
  }

  /**
   * RFC 6749 section 6 with Auth0's rotation: the grant and, for a rotating family, the token
   * that replaces this one. The checks run in this order: a token of no live family, past its
   * lifetime, presented by another client, then the family's own rules.
   */
  exchange(token: string, clientId: string, now: number): ExchangeResult {
    this.purge(now);
    if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: "unknown" };
    const family = this.families.get(token.slice(0, FAMILY_ID_CHARS));
    if (!family) return { ok: false, reason: "unknown" };
    if (this.expired(family, now)) {
      this.revoke(family.id);
      return { ok: false, reason: "expired" };
    }
    // Another client's token is refused without revoking the family: it proves nothing about
    // the rightful client's copy.
    if (family.grant.clientId !== clientId) return { ok: false, reason: "another_client" };
    const presented = digest(token.slice(FAMILY_ID_CHARS));

    if (!family.policy.rotating) {
      if (!same(presented, family.current)) return { ok: false, reason: "unknown" };
      family.lastExchangedAt = now;
      this.schedule(family);
      return { ok: true, grant: family.grant, refreshToken: undefined };
    }

    const isCurrent = same(presented, family.current);
    const withinLeeway =
      family.previous !== undefined &&
      same(presented, family.previous) &&
      now - family.previousRotatedAt < family.policy.leewaySeconds * 1000;
    if (!isCurrent && !withinLeeway) {
      // Automatic reuse detection: an exchanged token came back, so someone else may hold it.
      this.revoke(family.id);
      return { ok: false, reason: "reuse_revoked_family" };
    }
    const secret = randomBytes(32).toString("base64url");
    if (isCurrent) {
      family.previous = family.current;
      family.previousRotatedAt = now;
    }
    family.current = digest(secret);
    family.lastExchangedAt = now;
    this.schedule(family);
    return { ok: true, grant: family.grant, refreshToken: family.id + secret };
  }

  /**
   * RFC 7009 section 2.2 as Auth0 answers `/oauth/revoke`: the client's own live token ends its
   * family (and every token rotated from it); a token that is unknown, already exchanged,
   * expired or another client's changes nothing. Whether anything was revoked, for the log.
   */
  revokeToken(token: string, clientId: string, now: number): boolean {
    this.purge(now);
    if (!TOKEN_PATTERN.test(token)) return false;
    const family = this.families.get(token.slice(0, FAMILY_ID_CHARS));
    if (family?.grant.clientId !== clientId) return false;
    const presented = digest(token.slice(FAMILY_ID_CHARS));
    const live =
      same(presented, family.current) ||
      (family.previous !== undefined && same(presented, family.previous));
    if (!live) return false;
    this.revoke(family.id);
    return true;
  }

  private expiresAt(family: Family): number {
    const { absoluteLifetimeSeconds: absolute, idleLifetimeSeconds: idle } = family.policy;
    return Math.min(
      absolute === undefined ? Infinity : family.createdAt + absolute * 1000,
      idle === undefined ? Infinity : family.lastExchangedAt + idle * 1000,
    );
  }

  private expired(family: Family, now: number): boolean {
    return now >= this.expiresAt(family);
  }

  private schedule(family: Family): void {
    const at = this.expiresAt(family);
    if (Number.isFinite(at)) this.expiries.set(family.timer, at);
  }

  private purge(now: number): void {
    for (let next = this.expiries.peek(); next && next.dueAt <= now; next = this.expiries.peek()) {
      this.revoke(next.item);
    }
  }

  private revoke(id: string): void {
    const family = this.families.get(id);
    if (!family) return;
    this.families.delete(id);
    this.expiries.delete(family.timer);
    const owned = this.byOwner.get(family.owner);
    owned?.delete(id);
    if (owned?.size === 0) this.byOwner.delete(family.owner);
  }
}
