import { createHash, timingSafeEqual } from "node:crypto";

import type { OAuthError } from "@ciba-testbed/shared";
import { countHeader } from "@ciba-testbed/shared/http";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

import { JWT_BEARER_ASSERTION_TYPE } from "./client-assertion.js";
import type { ClientAssertions } from "./client-assertion.js";
import { errors } from "./errors.js";
import { param } from "./request-params.js";
import type { TenantClient } from "./tenant/tenant-model.js";

/** In the order of Auth0's discovery document; its mTLS methods are not served here. */
export const CLIENT_AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "private_key_jwt",
] as const;

/** Requests whose `client_assertion` `clientAssertionAuthentication` verified, and for whom. */
const assertedClients = new WeakMap<Request, TenantClient>();

interface Credentials {
  method: "client_secret_post" | "client_secret_basic";
  clientId: string;
  /** Undefined when the body names a client but sends no (or an empty) `client_secret`. */
  clientSecret: string | undefined;
}

function invalidClient(description: string, method?: Credentials["method"]): OAuthError {
  return errors.invalidClient(description, basicChallenge(method));
}

/** RFC 6749 section 5.2: a failed HTTP Basic authentication answers with WWW-Authenticate. */
function basicChallenge(method?: Credentials["method"]): Record<string, string> {
  return method === "client_secret_basic" ? { "WWW-Authenticate": 'Basic realm="mock-auth0"' } : {};
}

/**
 * RFC 6749 section 2.3.1: Basic credentials are form-encoded before base64. Undefined when the
 * header (`Basic <base64>`) does not decode to `id:secret`.
 */
export function basicCredentials(
  header: string,
): { clientId: string; clientSecret: string } | undefined {
  const decoded = Buffer.from(header.slice("basic ".length).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/**
 * Authorization is a singleton field (RFC 9110 section 11.6.2), and a client authenticates one
 * way per request (RFC 6749 section 2.3). Node keeps the first of two Authorization headers and
 * drops the second, so without this a request with two would be taken for the first client
 * while a proxy in front that reads the last one logged the other.
 */
export function refuseRepeatedAuthorization(req: Request): void {
  const sent = countHeader(req.rawHeaders, "authorization");
  if (sent > 1) {
    throw errors.invalidRequest(`Send one Authorization header; this request had ${String(sent)}`);
  }
}

function decodeBasic(header: string): { clientId: string; clientSecret: string } {
  const credentials = basicCredentials(header);
  if (credentials === undefined) {
    throw invalidClient("The Basic Authorization header is malformed", "client_secret_basic");
  }
  return credentials;
}

function readCredentials(req: Request): Credentials {
  refuseRepeatedAuthorization(req);
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
  return {
    method: "client_secret_post",
    clientId: bodyClientId,
    clientSecret: bodySecret === "" ? undefined : bodySecret,
  };
}

const mustAuthenticate = (clientId: string) =>
  invalidClient(
    `Client ${clientId} must authenticate: send client_secret (client_secret_post) or use HTTP Basic (client_secret_basic)`,
  );

const sha256 = (value: string) => createHash("sha256").update(value).digest();

/** Each client's secret digest, made once: a tenant's clients do not change while it runs. */
const secretDigests = new WeakMap<TenantClient, Buffer>();

function sameSecret(given: string, client: TenantClient, secret: string): boolean {
  let expected = secretDigests.get(client);
  if (expected === undefined) {
    expected = sha256(secret);
    secretDigests.set(client, expected);
  }
  // Comparing digests makes the comparison constant-time whatever the lengths.
  return timingSafeEqual(sha256(given), expected);
}

const usesAssertion = (req: Request) =>
  param(req, "client_assertion") !== undefined || param(req, "client_assertion_type") !== undefined;

/**
 * Verifies a Private Key JWT `client_assertion` before the endpoint's handler runs (the
 * signature check is asynchronous), so that `authenticateClient` then returns its client.
 * Requests without an assertion pass untouched. `endpoint` is the URL called, one of the
 * values the assertion's `aud` may take (CIBA Core 1.0 section 7.1: the issuer, the token
 * endpoint or the backchannel authentication endpoint).
 */
export function clientAssertionAuthentication(options: {
  assertions: ClientAssertions;
  clients: ReadonlyMap<string, TenantClient>;
  issuer: string;
  endpoint: string;
}): RequestHandler {
  const { assertions, clients, issuer, endpoint } = options;
  const audiences = [...new Set([issuer, `${issuer}oauth/token`, endpoint])];
  return async (req, _res, next) => {
    if (!usesAssertion(req)) {
      next();
      return;
    }
    const type = param(req, "client_assertion_type");
    const assertion = param(req, "client_assertion");
    if (type !== JWT_BEARER_ASSERTION_TYPE) {
      throw errors.invalidRequest(
        `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE} (got ${type === undefined ? "none" : JSON.stringify(type)})`,
      );
    }
    if (assertion === undefined || assertion === "") {
      throw errors.invalidRequest("client_assertion is required with client_assertion_type");
    }
    if (req.get("authorization") !== undefined || param(req, "client_secret") !== undefined) {
      throw errors.invalidRequest(
        "Use one client authentication method: a client_assertion, HTTP Basic or client_secret, not several",
      );
    }
    const client = await assertions.verify({
      assertion,
      clients,
      audiences,
      clientId: param(req, "client_id"),
    });
    assertedClients.set(req, client);
    next();
  };
}

/**
 * A public client (`token_endpoint_auth_method: none`) that sends its client_id and nothing
 * to authenticate with: it is identified, not authenticated. Undefined for any other request,
 * which goes through `authenticateClient`.
 */
export function publicClient(
  req: Request,
  clients: ReadonlyMap<string, TenantClient>,
): TenantClient | undefined {
  if (req.get("authorization") !== undefined) return undefined;
  if (param(req, "client_secret") !== undefined) return undefined;
  if (param(req, "client_assertion") !== undefined) return undefined;
  const client = clients.get(param(req, "client_id") ?? "");
  return client?.authentication === "none" ? client : undefined;
}

/**
 * Authenticates the calling client: the client `clientAssertionAuthentication` verified, or
 * one that sends its secret with `client_secret_post` or `client_secret_basic` (mock-auth0
 * does not tell those two apart). A public client (`none`) and one that uses Private Key JWT
 * or mTLS have no secret.
 */
export function authenticateClient(
  req: Request,
  clients: ReadonlyMap<string, TenantClient>,
  options: {
    /**
     * For `/oauth/token`: an unknown client, a wrong secret or none from a client that has one
     * is Auth0's `401 access_denied` "Unauthorized" there, not the `invalid_client` of
     * `/bc-authorize`; `logger` says which.
     */
    tokenEndpoint?: { logger: Logger };
  } = {},
): TenantClient {
  const asserted = assertedClients.get(req);
  if (asserted) return asserted;
  if (usesAssertion(req)) {
    // Fail closed: an endpoint that never verified the assertion accepts no client by it.
    throw invalidClient("This endpoint does not accept client assertions");
  }
  const credentials = readCredentials(req);
  const client = clients.get(credentials.clientId);
  const { clientSecret } = credentials;
  if (clientSecret === undefined) {
    // Auth0's token endpoint answers a client that has a secret and sent none as it answers a
    // wrong secret (auth0/auth0-spa-js#539: a confidential application called without its
    // secret gets 401 access_denied "Unauthorized").
    if (options.tokenEndpoint === undefined || client?.clientSecret === undefined) {
      throw mustAuthenticate(credentials.clientId);
    }
    throw tokenEndpointUnauthorized(options.tokenEndpoint.logger, credentials, "no client_secret");
  }
  if (client !== undefined && client.clientSecret === undefined) {
    const reason = {
      none: "is a public application (token_endpoint_auth_method none): it cannot authenticate with a client secret",
      private_key_jwt: `authenticates with Private Key JWT: send client_assertion_type=${JWT_BEARER_ASSERTION_TYPE} and a client_assertion signed with its private key`,
      unsupported:
        "authenticates with mTLS (client_authentication_methods), which mock-auth0 does not support",
      client_secret: "has no client secret",
    }[client.authentication];
    throw invalidClient(`Client ${client.clientId} ${reason}`, credentials.method);
  }
  if (!client?.clientSecret || !sameSecret(clientSecret, client, client.clientSecret)) {
    if (options.tokenEndpoint !== undefined) {
      throw tokenEndpointUnauthorized(
        options.tokenEndpoint.logger,
        credentials,
        client === undefined ? "unknown client_id" : "wrong client_secret",
      );
    }
    throw invalidClient(
      "Client authentication failed: unknown client_id or wrong client_secret",
      credentials.method,
    );
  }
  return client;
}

/**
 * `/oauth/token`'s one answer to a client that fails to authenticate with a secret, whatever
 * the reason: Auth0's 401 `access_denied` "Unauthorized". The log line says which.
 */
function tokenEndpointUnauthorized(
  logger: Logger,
  credentials: Credentials,
  reason: "unknown client_id" | "wrong client_secret" | "no client_secret",
): OAuthError {
  logger.warn(
    { client_id: credentials.clientId, method: credentials.method },
    `/oauth/token: ${reason}, answered as Auth0 does (401 access_denied Unauthorized)`,
  );
  return errors.clientUnauthorized("Unauthorized", basicChallenge(credentials.method));
}
