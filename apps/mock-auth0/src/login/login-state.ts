import type { Clock } from "@ciba-testbed/shared";

import type { AuthorizeRequest } from "./authorize-request.js";
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

/** Each map keeps at most this many entries; the oldest go first. */
const MAX_ENTRIES = 10_000;

/** 256 bits, URL-safe: codes, transaction ids, session and browser ids. */
export const newSecret = (): string => randomId();

/** A map whose entries go once their `expiresAt` (on the tenant's clock) has passed. */
export class ExpiringMap<T extends { expiresAt: number }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly clock: Clock) {}

  set(key: string, value: T): void {
    this.entries.set(key, value);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    if (value.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return value;
  }

  take(key: string): T | undefined {
    const value = this.get(key);
    this.entries.delete(key);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * The login side of the tenant, in memory like the rest of mock-auth0: transactions between
 * `/authorize` and the login page, authorization codes, and login sessions.
 */
export class LoginState {
  private readonly transactions: ExpiringMap<LoginTransaction>;
  private readonly codes: ExpiringMap<IssuedCode>;
  private readonly sessions: ExpiringMap<LoginSession>;
  private readonly former: ExpiringMap<FormerTransaction>;
  private readonly logoutConfirmations: ExpiringMap<LogoutConfirmation>;

  constructor(
    private readonly clock: Clock,
    private readonly sessionLifetimeMs: number,
  ) {
    this.transactions = new ExpiringMap(clock);
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
    this.transactions.set(transaction.id, transaction);
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
    return this.transactions.get(id);
  }

  endTransaction(id: string): void {
    this.transactions.delete(id);
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
