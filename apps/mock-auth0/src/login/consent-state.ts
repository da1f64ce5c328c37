import type { Clock } from "@ciba-testbed/shared";

import type { AuthorizeRequest } from "./authorize-request.js";
import { ExpiringMap, newSecret } from "./login-state.js";
import type { FormerTransaction } from "./login-state.js";

/** An `/authorize` request of a third-party application waiting for the person's consent. */
export interface PendingConsent {
  readonly id: string;
  readonly request: AuthorizeRequest;
  /** The browser that was asked (its cookie): only that browser may answer. */
  readonly browser: string;
  /** The person logged in, and the login session's `sid`: an answer from another session is refused. */
  readonly sub: string;
  readonly sid: string;
  readonly expiresAt: number;
}

/** As long as a login transaction. */
const CONSENT_LIFETIME_MS = 1_800_000;

/**
 * Auth0's user consent for third-party applications, in memory for the tenant's process: the
 * scopes each person granted each application for each audience, and the consents asked for.
 */
export class ConsentState {
  private readonly granted = new Map<string, Set<string>>();
  private readonly pending: ExpiringMap<PendingConsent>;
  /** The application each consent asked for was for, as a login's FormerTransaction. */
  private readonly former: ExpiringMap<FormerTransaction>;

  /** `formerLifetimeMs`: how long a consent's application is remembered once it is gone. */
  constructor(
    private readonly clock: Clock,
    private readonly formerLifetimeMs = CONSENT_LIFETIME_MS,
  ) {
    this.pending = new ExpiringMap(clock);
    this.former = new ExpiringMap(clock);
  }

  private static key(sub: string, request: AuthorizeRequest): string {
    return JSON.stringify([sub, request.client.clientId, request.audience ?? null]);
  }

  /** Whether the person already granted this application every scope the request asks for. */
  covers(sub: string, request: AuthorizeRequest): boolean {
    const granted = this.granted.get(ConsentState.key(sub, request));
    return granted !== undefined && request.scope.every((scope) => granted.has(scope));
  }

  grant(sub: string, request: AuthorizeRequest): void {
    const key = ConsentState.key(sub, request);
    const granted = this.granted.get(key) ?? new Set<string>();
    for (const scope of request.scope) granted.add(scope);
    this.granted.set(key, granted);
  }

  ask(
    request: AuthorizeRequest,
    browser: string,
    session: { sub: string; sid: string },
  ): PendingConsent {
    const consent = {
      id: newSecret(),
      request,
      browser,
      sub: session.sub,
      sid: session.sid,
      expiresAt: this.clock.now() + CONSENT_LIFETIME_MS,
    };
    this.pending.set(consent.id, consent);
    this.former.set(consent.id, {
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      expiresAt: this.clock.now() + Math.max(this.formerLifetimeMs, CONSENT_LIFETIME_MS),
    });
    return consent;
  }

  /** The application of a consent asked for that is gone (answered, expired) or still open. */
  formerConsent(id: string): FormerTransaction | undefined {
    return this.former.get(id);
  }

  asked(id: string): PendingConsent | undefined {
    return this.pending.get(id);
  }

  /** The consent asked for, once: answering uses it up. */
  take(id: string): PendingConsent | undefined {
    return this.pending.take(id);
  }
}
