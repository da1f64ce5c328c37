import { quotedValue, writtenOut } from "@ciba-testbed/shared";
import { classifyNetworkError, type NetworkFailure } from "@ciba-testbed/shared/node";

import { isLocalDomain, type AgentConfig } from "./config.js";
import { untrustedLocalTenantFix } from "./local-tenant-trust.js";
import type { Verdict } from "./purchase-result.js";
import { AUTH0_REQUESTS_PER_USER_PER_MINUTE, retryAt } from "./rate-limit.js";
import {
  deniedOrExpiredFix,
  expiredFix,
  refusedRequestFix,
  shownUser,
  userIdFix,
} from "./refusal-fix.js";
import { INTERRUPT } from "./sdk-interrupt.js";

/** The tenant's certificate is not one this process accepts: a setup problem. */
const UNTRUSTED: ReadonlySet<NetworkFailure> = new Set(["tls_untrusted", "tls_hostname"]);

/** What the agent knew when the refusal arrived. */
export interface RefusalContext {
  config: AgentConfig;
  /**
   * The answer came at the request's expiry (its poll sent at or after it), as the waiting
   * process measured it; false when it arrived more than a margin before it; "near" when it
   * arrived within that margin of the expiry, where Auth0, which counts `expires_in` in whole
   * seconds, may have ended the request; undefined when it cannot tell (the request was sent
   * on another machine or boot, and the wall clocks of the two processes cannot be compared).
   * Auth0 folds expiry into `access_denied`, and the SDK does not map the spec's
   * `expired_token` at all.
   */
  expired: boolean | "near" | undefined;
  /** Auth0 had accepted the request (`/bc-authorize` answered 200): the refusal came from a poll. */
  requestSent: boolean;
  /** The agent's clock (epoch ms) when the refusal arrived. */
  now: number;
  /** Seconds the tenant gave the request to be answered in, once it accepted one. */
  expiresIn?: number | undefined;
}

const DENIED_OR_EXPIRED =
  "Auth0 answered access_denied, which it gives both when the person denies the request and when the request expires, and this run cannot tell which: it did not send the request, and its clock cannot be compared with the clock of the process that did (on another machine, or before this one restarted or slept). The person denied the purchase, or the request expired before the agent collected an answer; nothing was ordered.";

const DENIED_OR_EXPIRED_NEAR =
  "Auth0 answered access_denied, which it gives both when the person denies the request and when the request expires, within a second of the request's expiry, when Auth0 (which counts its expires_in in whole seconds) may already have ended it: this run cannot tell which. The person denied the purchase, or the request expired before the agent collected an answer; nothing was ordered.";

/** access_denied: a denial, an expiry, or, when the waiting process cannot tell, either. */
function deniedOrExpired(context: RefusalContext, description: string): Verdict {
  if (context.expired === true) return expired(context, "access_denied", EXPIRED_AS_DENIED);
  return context.expired === false
    ? { outcome: "DENIED", error: "access_denied", description }
    : {
        outcome: "DENIED",
        error: "denied_or_expired",
        description: context.expired === "near" ? DENIED_OR_EXPIRED_NEAR : DENIED_OR_EXPIRED,
        fix: deniedOrExpiredFix(context.config),
      };
}

const EXPIRED_AS_DENIED =
  "Auth0 answered access_denied once the request had expired: it gives that answer for an expired request too, so the request most likely expired before the agent collected an answer (the person may have answered after the agent's last poll).";

/** Auth0's description of an audience that names no API of the tenant. */
const SERVICE_NOT_FOUND = /^service not found/i;

function unknownAudience(error: string, description: string, config: AgentConfig): Verdict {
  return {
    outcome: "CONFIG_ERROR",
    error,
    description,
    fix: `Set SHOP_API_AUDIENCE to the identifier of the shop API on the tenant (now ${quotedValue(config.audience)}).`,
  };
}

/**
 * A poll that brought no answer about the request: it failed on its way, or the tenant could
 * not answer it then.
 */
export interface PollFailure {
  /** Stable: the network failure's code (`ECONNREFUSED`), else the 5xx or 429's OAuth error or `http_<status>`. */
  code: string;
  /** For a person: "connection_refused (ECONNREFUSED)", "503 temporarily_unavailable". */
  description: string;
  /** Epoch ms the tenant asked the client to wait for (Retry-After, X-RateLimit-Reset). */
  retryAt?: number;
}

/**
 * Failures before any connection was made (refused, a name that did not resolve, a connect
 * timeout): the poll never reached the tenant, so the tenant cannot have answered it with the
 * token. A reset or a timeout after connecting may come after the tenant read the poll.
 */
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Whether the failed poll provably never reached the tenant (see NEVER_SENT). */
export function neverReachedTenant(failure: PollFailure): boolean {
  return NEVER_SENT.has(failure.code);
}

/**
 * Whether a poll failed without an answer about the request: a connection refused, reset or
 * timed out, a name that did not resolve, a 5xx, or a 429 other than `slow_down` (which the SDK
 * hands on as a poll interrupt). The request is still out and the person may still answer, so
 * it is polled again. Undefined for every answer about the request (access_denied,
 * expired_token, invalid_grant, invalid_client ...: 4xx OAuth errors end it at once), and for
 * a certificate this process does not accept, which waiting does not mend.
 */
export function pollFailure(err: unknown, now: number): PollFailure | undefined {
  const network = classifyNetworkError(err);
  if (network !== undefined) {
    if (UNTRUSTED.has(network.failure) || network.failure === "tls_handshake") return undefined;
    const code = network.code ?? network.failure;
    return {
      code,
      description: code === network.failure ? code : `${network.failure} (${code})`,
    };
  }
  const status = statusOf(err);
  if (status === undefined || (status < 500 && status !== 429)) return undefined;
  const oauthError = stringField(err, "error");
  const at = retryAt((err as { headers?: unknown }).headers, now);
  return {
    code: oauthError ?? `http_${status}`,
    description: `${status} ${oauthError ?? "with no OAuth error"}`,
    ...(at === undefined ? {} : { retryAt: at }),
  };
}

/**
 * The polls failed from `since` (epoch ms) until the request expired at `expiresAt` (or the
 * first failed after it): the person may have answered, but no answer can be collected any more.
 */
export function unansweredUntilExpiry(
  failure: PollFailure,
  since: number,
  expiresAt: number,
  config: AgentConfig,
): Verdict {
  const { domain } = config.auth0;
  const from = new Date(since).toISOString();
  const expired = new Date(expiresAt).toISOString();
  // A process slowed past the expiry (a loaded machine, a resume after it) polls first after it.
  const unanswered =
    since < expiresAt
      ? `the polls of the approval request from ${from} until the request expired at ${expired}`
      : `the poll of the approval request at ${from}, after the request expired at ${expired}`;
  return {
    outcome: "ERROR",
    error: failure.code,
    description: `The tenant at https://${domain}/ gave no answer to ${unanswered} (last: ${failure.description}), so whether the person answered is not known. Nothing was ordered.`,
    fix: isLocalDomain(domain)
      ? "Start the local tenant with pnpm mock-auth0 (or check AUTH0_DOMAIN), then ask again."
      : `Check that the tenant ${domain} (AUTH0_DOMAIN) is reachable, then ask again.`,
  };
}

/**
 * Auth0's invalid_grant after a poll whose answer never arrived (`unansweredSince`, epoch ms):
 * Auth0 issues the token once, to the first poll after the approval, and that poll may have
 * been the one. Whoever it went to, nothing was ordered with it.
 */
export function approvalLost(unansweredSince: number, err: unknown): Verdict {
  const said = stringField(err, "error_description") ?? (err instanceof Error ? err.message : "");
  return {
    outcome: "ERROR",
    error: "approval_lost",
    description: `The tenant answered invalid_grant${said === "" ? "" : ` (${quotedValue(said)})`} after a poll sent at ${new Date(unansweredSince).toISOString()} got no answer: it may have issued the approval to that poll, which never arrived. Nothing was ordered; ask again.`,
    fix: "Ask again if the purchase is still wanted: the earlier approval cannot be used any more.",
  };
}

/**
 * Auth0's invalid_grant for a request of which every poll that reached the tenant was answered
 * "no decision yet" (the others were refused a connection): no token was issued to this thread's
 * polls, so no process of it took an approval; a copy of the thread's store (two machines on one
 * folder, a restored backup) may have. The tenant no longer knows
 * the request (a tenant that keeps requests in memory, as the local one does, forgets them when
 * it restarts); the person's answer to it, if any, cannot be used.
 */
export function requestForgotten(authReqId: string, err: unknown): Verdict {
  const said = stringField(err, "error_description") ?? (err instanceof Error ? err.message : "");
  return {
    outcome: "ERROR",
    error: "invalid_grant",
    description: `The tenant no longer knows approval request ${authReqId} (invalid_grant${said === "" ? "" : `: ${quotedValue(said)}`}), though every poll of this thread's that reached it was answered "pending": it most likely restarted or dropped it, unless another copy of this thread (a copied or restored store) collected its approval. Nothing was ordered by this run; check the person's orders before asking again.`,
    fix: "Ask again if the purchase is still wanted and not among the person's orders: the tenant cannot answer the earlier request any more.",
  };
}

/** Maps whatever `@auth0/ai` hands to `onUnauthorized` onto one outcome. */
export function classifyAuthorizationError(err: unknown, context: RefusalContext): Verdict {
  const { config } = context;
  const code = stringField(err, "code");
  // An interrupt's message is Auth0's error_description: the tenant's words, shown as
  // `tenantDescription` shows them.
  const message = writtenOut(err instanceof Error ? err.message : String(err));

  // Auth0's token endpoint answers an unknown client or a wrong secret 401 access_denied
  // "Unauthorized", which the SDK reports as the person's denial. Nobody denied anything.
  if (
    (code === INTERRUPT.denied || stringField(err, "error") === "access_denied") &&
    (stringField(err, "error_description") ?? message) === "Unauthorized"
  ) {
    // Refused at /bc-authorize, the agent was asking for the person's approval; at /oauth/token,
    // for the tokens.
    const asking = context.requestSent ? "the tokens" : "the person's approval";
    return {
      outcome: "CONFIG_ERROR",
      error: "access_denied",
      description: `The tenant refused this application's credentials when it asked for ${asking} (401 Unauthorized)`,
      fix: `Check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET against the application on ${config.auth0.domain}.`,
    };
  }
  // An unknown API: Auth0's other endpoints answer access_denied "Service not found: <id>",
  // mock-auth0's /bc-authorize too, and the SDK passes that on as it came. An invalid_request
  // with those words (below) gets the same fix. Nobody denied anything.
  const said = tenantDescription(err) ?? message;
  if (stringField(err, "error") === "access_denied" && SERVICE_NOT_FOUND.test(said)) {
    return unknownAudience("access_denied", said, config);
  }
  // Auth0's /bc-authorize refuses an application the API's user access policy does not let act
  // for people with 403 access_denied, which the SDK hands on as it came: nobody was asked.
  if (stringField(err, "error") === "access_denied" && !context.requestSent) {
    return refused("access_denied", said, config);
  }
  if (code === INTERRUPT.denied) return deniedOrExpired(context, message);
  if (code === INTERRUPT.expired) {
    return expired(context, undefined, EXPIRED_DESCRIPTION);
  }
  if (code === INTERRUPT.invalidRequest) {
    // The SDK names every invalid_request "no push notifications"; its message is Auth0's own.
    if (SERVICE_NOT_FOUND.test(message)) return unknownAudience("invalid_request", message, config);
    return refused("invalid_request", message, config);
  }
  if (code === INTERRUPT.invalidGrant) {
    // Auth0 answers a request it ended with access_denied: an invalid_grant near the expiry is
    // a tenant that dropped it then.
    return context.expired === true || context.expired === "near"
      ? expired(context, "invalid_grant", message)
      : { outcome: "ERROR", error: "invalid_grant", description: message };
  }

  const oauthError = stringField(err, "error");
  if (statusOf(err) === 429 || oauthError === "too_many_requests") {
    return rateLimited(err, context);
  }
  if (!context.requestSent) {
    const lost = lostAnswer(err, context.now);
    if (lost !== undefined) return requestUnconfirmed(lost, config);
  }
  if (oauthError !== undefined) {
    const description = tenantDescription(err) ?? message;
    switch (oauthError) {
      case "expired_token":
        return expired(context, "expired_token", description);
      case "access_denied":
        return deniedOrExpired(context, description);
      case "invalid_client":
        return {
          outcome: "CONFIG_ERROR",
          error: oauthError,
          description,
          fix: `Check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET against the application on ${config.auth0.domain}.`,
        };
      case "unknown_user_id":
        return {
          outcome: "REQUEST_REFUSED",
          error: oauthError,
          description,
          fix: userIdFix(config.userId, "unknown"),
        };
      case "invalid_scope":
      case "invalid_target":
      case "access_denied_audience":
        return {
          outcome: "REQUEST_REFUSED",
          error: oauthError,
          description,
          fix: `Check SHOP_API_AUDIENCE: ${quotedValue(config.audience)} must be an API on the tenant that grants product:buy to this application.`,
        };
      default:
        return refused(oauthError, description, config);
    }
  }

  const network = classifyNetworkError(err);
  if (network !== undefined) {
    const cause = network.code ?? network.failure;
    if (UNTRUSTED.has(network.failure)) {
      return {
        outcome: "CONFIG_ERROR",
        error: cause,
        description: `Node does not trust the TLS certificate of https://${config.auth0.domain}/ (${cause}).`,
        fix: !isLocalDomain(config.auth0.domain)
          ? "Start Node with NODE_EXTRA_CA_CERTS naming the CA that signed the tenant's certificate."
          : network.failure === "tls_hostname"
            ? `The tenant's certificate does not name ${config.auth0.domain.replace(/:\d+$/, "")}: set AUTH0_DOMAIN to the host and port of the url its ready record names.`
            : untrustedLocalTenantFix(config),
      };
    }
    return {
      outcome: "ERROR",
      error: cause,
      description: `Cannot reach the tenant at https://${config.auth0.domain}/ (${cause}).`,
      fix: isLocalDomain(config.auth0.domain)
        ? "Start the local tenant with pnpm mock-auth0, or check AUTH0_DOMAIN."
        : `Check AUTH0_DOMAIN: ${config.auth0.domain} must be the tenant's domain (the Domain in the application's settings in the Auth0 dashboard), reachable from this machine.`,
    };
  }
  const status = statusOf(err);
  return {
    outcome: "ERROR",
    description: status === undefined ? message : `Auth0 answered ${status} with no OAuth error.`,
  };
}

/**
 * Network failures of a connection that was made: the request may have been sent on it before it
 * broke or went quiet.
 */
const AFTER_CONNECTING: ReadonlySet<NetworkFailure> = new Set(["connection_reset", "timeout"]);

/**
 * Why `/bc-authorize` brought no answer although the request may have reached the tenant: a 5xx
 * (the tenant, or a proxy in front of it, failed after it read the request), or a connection
 * that broke or timed out once made. Undefined when it never left (a refused connection, a name
 * that did not resolve, a connect timeout, a certificate): the tenant was not reached at all.
 */
function lostAnswer(err: unknown, now: number): PollFailure | undefined {
  const failure = pollFailure(err, now);
  if (failure === undefined || neverReachedTenant(failure)) return undefined;
  const network = classifyNetworkError(err);
  if (network !== undefined) return AFTER_CONNECTING.has(network.failure) ? failure : undefined;
  const said = stringField(err, "error_description");
  return said === undefined
    ? failure
    : { ...failure, description: `${failure.description}: ${quotedValue(said)}` };
}

/**
 * The tenant may have created the request and pushed it to the person, but the agent never
 * learnt its id: nothing can poll it, so approving it orders nothing. This is no refusal, and
 * the tenant was reached: the person may have a push for it already.
 */
function requestUnconfirmed(lost: PollFailure, config: AgentConfig): Verdict {
  const { domain } = config.auth0;
  return {
    outcome: "ERROR",
    error: "request_unconfirmed",
    description: `The tenant at https://${domain}/ may have taken the approval request, but its answer did not arrive (${lost.description}), so ${shownUser(config.userId)} may be asked to approve it; approving it buys nothing, since the agent never learnt its id. Nothing was ordered; ask again.`,
    fix: `Ask again once the tenant ${domain} answers; approve the new request, not the earlier one, which orders nothing.`,
  };
}

/**
 * A 429 that is not `slow_down` (the SDK turns that into a poll interrupt). From
 * `/bc-authorize` it is most likely Auth0's per-user limit; the `auth0` SDK hands it on as an
 * `AuthApiError` (`error`, `error_description`, `statusCode`, `headers`), or as a
 * `ResponseError` (`statusCode`, `body`, `headers`) when the body is not JSON.
 */
function rateLimited(err: unknown, context: RefusalContext): Verdict {
  const { now } = context;
  const at = retryAt((err as { headers?: unknown }).headers, now);
  const when =
    at === undefined
      ? "try again in a minute"
      : `try again in ${Math.max(1, Math.ceil((at - now) / 1000))} s (at ${new Date(at).toISOString()})`;
  const said = stringField(err, "error_description");
  const answer = `429 ${stringField(err, "error") ?? "Too Many Requests"}${said === undefined ? "" : `: ${quotedValue(said)}`}`;
  const common = {
    error: stringField(err, "error") ?? "too_many_requests",
    ...(at === undefined ? {} : { retryAt: new Date(at).toISOString() }),
  };
  if (!context.requestSent) {
    return {
      outcome: "REQUEST_REFUSED",
      ...common,
      description: `Auth0 refused the approval request (${answer}), most likely for its per-user limit of ${AUTH0_REQUESTS_PER_USER_PER_MINUTE} backchannel authentication requests a minute for ${shownUser(context.config.userId)}; ${when}.`,
      fix: refusedRequestFix(
        "too_many_requests",
        answer,
        context.config,
        at === undefined ? undefined : new Date(at).toISOString(),
      ),
    };
  }
  return {
    outcome: "ERROR",
    ...common,
    description: `Auth0 rate-limited the polls of the approval request (${answer}); ${when}.`,
  };
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The request expired before the agent collected an answer (by the agent's clock, or as the tenant's answer says). */
export function expired(
  context: { config: AgentConfig; expiresIn?: number | undefined },
  error: string | undefined,
  description: string,
): Verdict {
  return {
    outcome: "EXPIRED",
    description,
    ...(error === undefined ? {} : { error }),
    fix: expiredFix(context.config, context.expiresIn),
  };
}

export const EXPIRED_DESCRIPTION =
  "The approval request expired before the agent collected an answer.";

/** Auth0 refused `/bc-authorize` for a reason `refusedRequestFix` knows what to do about. */
function refused(error: string, description: string, config: AgentConfig): Verdict {
  return {
    outcome: "REQUEST_REFUSED",
    error,
    description,
    fix: refusedRequestFix(error, description, config),
  };
}

/**
 * The tenant's error_description, for a message it makes the whole of: on one line, each
 * control character (a line feed, an escape that starts a terminal command) and each other
 * character outside printable ASCII written out, as `quotedValue` writes the server words it
 * quotes inside a message. Undefined without one.
 */
function tenantDescription(err: unknown): string | undefined {
  const said = stringField(err, "error_description");
  return said === undefined ? undefined : writtenOut(said);
}

function stringField(value: unknown, name: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === "string" ? field : undefined;
}
