import type { Clock } from "@ciba-testbed/shared";

import type { AuthorizeRequest } from "./authorize-request.js";
import { Timer, TimerQueue } from "../backchannel/timer-queue.js";
import { randomId } from "../random-id.js";

/** An `/authorize` request waiting for the person to pick a user on the login page. */
export interface LoginTransaction {
  readonly id: string;
  readonly request: AuthorizeRequest;
  /** The browser that started it (its cookie): only that browser may finish it. */
  readonly browser: string;
  readonly expiresAt: number;
}

/** What an authorization code stands for, until it is exchanged once. */
export interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
  readonly scope: readonly string[];
  readonly audience: string | undefined;
  readonly sub: string;
  /** Seconds since the epoch: when the person logged in. */
  readonly authTime: number;
  /** The login session's `sid`, for the ID token. */
  readonly sid: string;
  readonly expiresAt: number;
}

/** The tenant's login session in one browser (Auth0's SSO session). */
export interface LoginSession {
  readonly sub: string;
  /** Seconds since the epoch. */
  readonly authTime: number;
  /**
   * The session's public id, Auth0's `sid` claim: not the cookie's secret, which an ID token
   * passed around must never reveal.
   */
  readonly sid: string;
  readonly expiresAt: number;
}

/** RFC 6749 section 4.1.2: an authorization code lives 10 minutes at most. */
const CODE_LIFETIME_MS = 600_000;
const TRANSACTION_LIFETIME_MS = 1_800_000;
/**
 * What a transaction leaves behind once it ended or expired: the application it was for, so
 * that its login page, opened again (Back after the login, a bookmark), can send the browser
 * back there. Kept as long as a login session may last, for the same browser's history.
 */
export interface FormerTransaction {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly expiresAt: number;
}

/**
 * A logout the person is asked to confirm (`/oidc/logout` without `id_token_hint`): good once,
 * for the browser whose login session it would end.
 */
export interface LogoutConfirmation {
  /** The session cookie of the browser that was asked; undefined when it had none. */
  readonly session: string | undefined;
  readonly expiresAt: number;
}

const LOGOUT_CONFIRMATION_LIFETIME_MS = 600_000;

/**
 * Each map keeps at most this many entries. Past it an expired entry goes first, else the one
 * used longest ago: set or read, so a login session in use stays however many others begin.
 */
export const MAX_ENTRIES = 10_000;

/** 256 bits, URL-safe: codes, transaction ids, session and browser ids. */
export const newSecret = (): string => randomId();

interface Slot<T> {
  readonly value: T;
  /** Queued at the entry's `expiresAt`. */
  readonly expiry: Timer<string>;
}

/**
 * A map whose entries go once their `expiresAt` (on the tenant's clock) has passed, and which
 * holds at most `MAX_ENTRIES`: past it the entry that expired first goes, else the one least
 * recently set or read. Each operation is O(log n): the map keeps the order of use, a heap the
 * order of expiry.
 */
export class ExpiringMap<T extends { expiresAt: number }> {
  private readonly entries = new Map<string, Slot<T>>();
  private readonly expiries = new TimerQueue<string>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  set(key: string, value: T): void {
    this.delete(key);
    const expiry = new Timer(key);
    this.entries.set(key, { value, expiry });
    this.expiries.set(expiry, value.expiresAt);
    if (this.entries.size > MAX_ENTRIES) this.makeRoom();
  }

  /** The entry, unless it expired; reading it makes it the most recently used. */
  get(key: string): T | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    if (slot.value.expiresAt <= this.clock.now()) {
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, slot);
    return slot.value;
  }

  take(key: string): T | undefined {
    const value = this.get(key);
    this.delete(key);
    return value;
  }

  delete(key: string): void {
    const slot = this.entries.get(key);
    if (slot === undefined) return;
    this.entries.delete(key);
    this.expiries.delete(slot.expiry);
  }

  /** Drops one entry: the first to have expired, else the least recently used. */
  private makeRoom(): void {
    const due = this.expiries.peek();
    if (due !== undefined && due.dueAt <= this.clock.now()) {
      this.delete(due.item);
      return;
    }
    const leastRecent = this.entries.keys().next().value;
    if (leastRecent !== undefined) this.delete(leastRecent);
  }
}

/**
 * The login side of the tenant, in memory like the rest of mock-auth0: transactions between
 * `/authorize` and the login page, authorization codes, and login sessions.
 */
export class LoginState {
  /**
   * Logins waiting on the login page, in two maps: those whose page was never opened (an
   * /authorize whose redirect nobody followed: a crawler, a script) and those whose page was.
   * Each holds MAX_ENTRIES, so however many of the first begin, they push out none of the
   * second, where a person may be typing a password.
   */
  private readonly unopened: ExpiringMap<LoginTransaction>;
  private readonly opened: ExpiringMap<LoginTransaction>;
  private readonly codes: ExpiringMap<IssuedCode>;
  private readonly sessions: ExpiringMap<LoginSession>;
  private readonly former: ExpiringMap<FormerTransaction>;
  private readonly logoutConfirmations: ExpiringMap<LogoutConfirmation>;

  constructor(
    private readonly clock: Clock,
    private readonly sessionLifetimeMs: number,
  ) {
    this.unopened = new ExpiringMap(clock);
    this.opened = new ExpiringMap(clock);
    this.codes = new ExpiringMap(clock);
    this.sessions = new ExpiringMap(clock);
    this.former = new ExpiringMap(clock);
    this.logoutConfirmations = new ExpiringMap(clock);
  }

  startTransaction(request: AuthorizeRequest, browser: string): LoginTransaction {
    const transaction = {
      id: newSecret(),
      request,
      browser,
      expiresAt: this.clock.now() + TRANSACTION_LIFETIME_MS,
    };
    this.unopened.set(transaction.id, transaction);
    this.former.set(transaction.id, {
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      expiresAt: this.clock.now() + this.formerLifetimeMs,
    });
    return transaction;
  }

  /** How long what a transaction leaves behind is kept: see FormerTransaction. */
  get formerLifetimeMs(): number {
    return Math.max(this.sessionLifetimeMs, TRANSACTION_LIFETIME_MS);
  }

  /** The application of a transaction that is gone (or still open): see FormerTransaction. */
  formerTransaction(id: string): FormerTransaction | undefined {
    return this.former.get(id);
  }

  transaction(id: string): LoginTransaction | undefined {
    return this.opened.get(id) ?? this.unopened.get(id);
  }

  /** The transaction whose login page is being served: from then on among the opened ones. */
  openTransaction(id: string): LoginTransaction | undefined {
    const opened = this.opened.get(id);
    if (opened !== undefined) return opened;
    const transaction = this.unopened.take(id);
    if (transaction !== undefined) this.opened.set(id, transaction);
    return transaction;
  }

  endTransaction(id: string): void {
    this.unopened.delete(id);
    this.opened.delete(id);
  }

  issueCode(request: AuthorizeRequest, session: LoginSession): string {
    const code = newSecret();
    this.codes.set(code, {
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      scope: request.scope,
      audience: request.audience,
      sub: session.sub,
      authTime: session.authTime,
      sid: session.sid,
      expiresAt: this.clock.now() + CODE_LIFETIME_MS,
    });
    return code;
  }

  /** A code is good once: taking it removes it, whatever the exchange then decides. */
  takeCode(code: string): IssuedCode | undefined {
    return this.codes.take(code);
  }

  /** The code's grant, left in place: for an exchange refused before it spends the code. */
  peekCode(code: string): IssuedCode | undefined {
    return this.codes.get(code);
  }

  startSession(sub: string): { id: string; session: LoginSession } {
    const now = this.clock.now();
    const session = {
      sub,
      authTime: Math.floor(now / 1000),
      sid: randomId(24),
      expiresAt: now + this.sessionLifetimeMs,
    };
    const id = newSecret();
    this.sessions.set(id, session);
    return { id, session };
  }

  session(id: string | undefined): LoginSession | undefined {
    return id === undefined ? undefined : this.sessions.get(id);
  }

  endSession(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  /** A one-time token that confirms the logout of the browser with this session cookie. */
  askLogoutConfirmation(session: string | undefined): string {
    const token = newSecret();
    this.logoutConfirmations.set(token, {
      session,
      expiresAt: this.clock.now() + LOGOUT_CONFIRMATION_LIFETIME_MS,
    });
    return token;
  }

  /**
   * Whether `token` confirms a logout for this session cookie, using it up; another browser's
   * attempt leaves it to the browser it was made for.
   */
  takeLogoutConfirmation(token: string, session: string | undefined): boolean {
    const confirmation = this.logoutConfirmations.get(token);
    if (confirmation === undefined || confirmation.session !== session) return false;
    this.logoutConfirmations.delete(token);
    return true;
  }
}
