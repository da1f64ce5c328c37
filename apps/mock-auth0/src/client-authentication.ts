import { createHash, timingSafeEqual } from "node:crypto";

import type { OAuthError } from "@ciba-testbed/shared";
import type { Request } from "express";

import { errors } from "./errors.js";
import { param } from "./request-params.js";
import type { TenantClient } from "./tenant/tenant-model.js";

export const CLIENT_AUTH_METHODS = ["client_secret_post", "client_secret_basic"] as const;

interface Credentials {
  method: (typeof CLIENT_AUTH_METHODS)[number];
  clientId: string;
  clientSecret: string;
}

function invalidClient(description: string, method?: Credentials["method"]): OAuthError {
  // RFC 6749 section 5.2: a failed HTTP Basic authentication answers with WWW-Authenticate.
  const headers: Record<string, string> =
    method === "client_secret_basic" ? { "WWW-Authenticate": 'Basic realm="mock-auth0"' } : {};
  return errors.invalidClient(description, headers);
}

/** RFC 6749 section 2.3.1: Basic credentials are form-encoded before base64. */
function decodeBasic(header: string): { clientId: string; clientSecret: string } {
  const decoded = Buffer.from(header.slice("basic ".length).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) {
    throw invalidClient("The Basic Authorization header is malformed", "client_secret_basic");
  }
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    throw invalidClient("The Basic Authorization header is malformed", "client_secret_basic");
  }
}

function readCredentials(req: Request): Credentials {
  const authorization = req.get("authorization");
  const bodyClientId = param(req, "client_id");
  const bodySecret = param(req, "client_secret");
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    if (bodySecret !== undefined) {
      throw errors.invalidRequest(
        "Use one client authentication method: HTTP Basic or client_secret in the body, not both",
      );
    }
    const basic = decodeBasic(authorization);
    if (bodyClientId !== undefined && bodyClientId !== basic.clientId) {
      throw errors.invalidRequest(
        "client_id in the body does not match the Basic Authorization header",
      );
    }
    return { method: "client_secret_basic", ...basic };
  }
  if (bodyClientId === undefined || bodyClientId === "") {
    throw invalidClient("Client authentication is required: send client_id and client_secret");
  }
  if (bodySecret === undefined || bodySecret === "") {
    throw invalidClient(
      `Client ${bodyClientId} must authenticate: send client_secret (client_secret_post) or use HTTP Basic (client_secret_basic)`,
    );
  }
  return { method: "client_secret_post", clientId: bodyClientId, clientSecret: bodySecret };
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first makes the comparison constant-time whatever the lengths.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Authenticates the calling client with `client_secret_post` or `client_secret_basic`,
 * whichever of the two its `token_endpoint_auth_method` names (mock-auth0 does not tell them
 * apart). A public client (`none`) and one that uses Private Key JWT or mTLS have no secret.
 */
export function authenticateClient(
  req: Request,
  clients: ReadonlyMap<string, TenantClient>,
): TenantClient {
  const credentials = readCredentials(req);
  const client = clients.get(credentials.clientId);
  if (client !== undefined && client.clientSecret === undefined) {
    throw invalidClient(
      client.authentication === "none"
        ? `Client ${client.clientId} is a public application (token_endpoint_auth_method none): it cannot authenticate with a client secret`
        : `Client ${client.clientId} authenticates with client_authentication_methods (Private Key JWT or mTLS), which mock-auth0 does not support`,
      credentials.method,
    );
  }
  if (!client?.clientSecret || !sameSecret(credentials.clientSecret, client.clientSecret)) {
    throw invalidClient(
      "Client authentication failed: unknown client_id or wrong client_secret",
      credentials.method,
    );
  }
  return client;
}
