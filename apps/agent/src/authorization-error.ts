import { classifyNetworkError, type NetworkFailure } from "@ciba-testbed/shared/node";

import { isLocalDomain, type AgentConfig } from "./config.js";
import type { Verdict } from "./purchase-result.js";
import { INTERRUPT } from "./sdk-interrupt.js";

/** The tenant's certificate is not one this process accepts: a setup problem. */
const UNTRUSTED: ReadonlySet<NetworkFailure> = new Set(["tls_untrusted", "tls_hostname"]);

/**
 * Maps whatever `@auth0/ai` hands to `onUnauthorized` onto one outcome. `expired` says whether
 * the request's lifetime has passed by the agent's clock: Auth0 folds expiry into
 * `access_denied`, and the SDK does not map the spec's `expired_token` at all.
 */
export function classifyAuthorizationError(
  err: unknown,
  context: { expired: boolean; config: AgentConfig },
): Verdict {
  const { config } = context;
  const code = stringField(err, "code");
  const message = err instanceof Error ? err.message : String(err);

  if (code === INTERRUPT.denied) {
    return context.expired
      ? expired("access_denied", "Auth0 reports the request as expired (access_denied).")
      : { outcome: "DENIED", error: "access_denied", description: message };
  }
  if (code === INTERRUPT.expired) {
    return expired(undefined, "The approval request expired before the person answered.");
  }
  if (code === INTERRUPT.invalidRequest) {
    // The SDK names every invalid_request "no push notifications"; its message is Auth0's own,
    // and Auth0 answers an unknown audience with invalid_request "Service not found: <id>".
    if (/^service not found/i.test(message)) {
      return {
        outcome: "CONFIG_ERROR",
        error: "invalid_request",
        description: message,
        fix: `Set SHOP_API_AUDIENCE to the identifier of the shop API on the tenant (now "${config.audience}").`,
      };
    }
    return { outcome: "REQUEST_REFUSED", error: "invalid_request", description: message };
  }
  if (code === INTERRUPT.invalidGrant) {
    return context.expired
      ? expired("invalid_grant", message)
      : { outcome: "ERROR", error: "invalid_grant", description: message };
  }

  const oauthError = stringField(err, "error");
  if (oauthError !== undefined) {
    const description = stringField(err, "error_description") ?? message;
    switch (oauthError) {
      case "expired_token":
        return expired("expired_token", description);
      case "access_denied":
        return context.expired
          ? expired("access_denied", description)
          : { outcome: "DENIED", error: oauthError, description };
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
          fix: `Check AGENT_USER_ID (or --user): "${config.userId}" must be the user id of a user of this tenant.`,
        };
      case "invalid_scope":
      case "invalid_target":
      case "access_denied_audience":
        return {
          outcome: "REQUEST_REFUSED",
          error: oauthError,
          description,
          fix: `Check SHOP_API_AUDIENCE: "${config.audience}" must be an API on the tenant that grants product:buy to this application.`,
        };
      default:
        return { outcome: "REQUEST_REFUSED", error: oauthError, description };
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
        fix: isLocalDomain(config.auth0.domain)
          ? `Run it with pnpm agent, which trusts ${config.localCaFile} for the local tenant, or start Node with NODE_EXTRA_CA_CERTS naming that file.`
          : "Start Node with NODE_EXTRA_CA_CERTS naming the CA that signed the tenant's certificate.",
      };
    }
    return {
      outcome: "ERROR",
      error: cause,
      description: `Cannot reach the tenant at https://${config.auth0.domain}/ (${cause}).`,
      fix: "Start the local tenant with pnpm mock-auth0, or check AUTH0_DOMAIN.",
    };
  }
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return {
    outcome: "ERROR",
    description:
      typeof status === "number" ? `Auth0 answered ${status} with no OAuth error.` : message,
  };
}

function expired(error: string | undefined, description: string): Verdict {
  return { outcome: "EXPIRED", description, ...(error === undefined ? {} : { error }) };
}

function stringField(value: unknown, name: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === "string" ? field : undefined;
}
