import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";

import { PURCHASE_AUTHORIZATION_DETAILS_TYPE } from "@ciba-testbed/shared";
import { countHeader } from "@ciba-testbed/shared/http";
import type { Handler, NextFunction, Request } from "express";
import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  UnauthorizedError,
  auth,
  requiredScopes,
} from "express-oauth2-jwt-bearer";
import type { JWTPayload } from "express-oauth2-jwt-bearer";

import { encryptedTokenError, refuseNonCanonicalToken } from "./canonical-token.js";
import type { ShopApiConfig } from "./config.js";
import { errors, insufficientAuthorizationDetails } from "./errors.js";
import { otherAudienceError, UNEXPECTED_AUDIENCE } from "./other-audience.js";
import {
  MULTIPLE_MATCHING_KEYS,
  NO_MATCHING_KEY,
  ambiguousKeyError,
  unknownKeyError,
} from "./unknown-key.js";
import { CacheableRequests } from "./verified-token-cache.js";
import type { VerifiedTokenCache } from "./verified-token-cache.js";

/** How express-oauth2-jwt-bearer reaches the issuer for metadata and keys. */
export interface TokenVerificationOptions {
  /** A TLS agent that trusts the issuer (the alternative to NODE_EXTRA_CA_CERTS). */
  agent?: HttpAgent | HttpsAgent;
  timeoutDuration?: number;
  cacheMaxAge?: number;
  cooldownDuration?: number;
}

/**
 * The JWS algorithms (RFC 7518 section 3.1, RFC 8037) an access token may be signed with: the
 * asymmetric ones the library verifies against a JWKS. Left alone, the library takes the
 * metadata's `id_token_signing_alg_values_supported` as the list, which describes ID tokens, not
 * access tokens: an issuer that signs ID tokens RS256 and access tokens ES256 or PS256
 * (oidc-provider's resource-server `jwt.sign.alg`) would see every token refused. The key is
 * still the JWKS's and must fit the algorithm (jose checks both); `none` and HMAC are refused
 * before this runs.
 */
export const ACCESS_TOKEN_ALGORITHMS: readonly string[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES256K",
  "ES384",
  "ES512",
  "EdDSA",
];

/**
 * Verifies the Bearer token: canonical base64url segments (see `refuseNonCanonicalToken`),
 * signature against the issuer's JWKS with an asymmetric algorithm (`ACCESS_TOKEN_ALGORITHMS`),
 * `iss` equal to the configured issuer byte for byte, `aud` containing the audience, `exp`/`nbf`
 * with 5 s of tolerance.
 *
 * With `cache`, a token the library accepted is not verified again while the cache holds its
 * verdict (see `VerifiedTokenCache`): the same token string, in a request the library would
 * accept as a whole (`CacheableRequests`), gets the library's earlier `req.auth`.
 */
export function verifyAccessToken(
  config: Pick<ShopApiConfig, "issuer" | "audience">,
  options: TokenVerificationOptions = {},
  cache?: VerifiedTokenCache,
): Handler {
  const verify = auth({
    ...options,
    issuerBaseURL: config.issuer,
    // Pin `iss` to the configuration rather than to whatever the metadata document says.
    issuer: config.issuer,
    audience: config.audience,
    // The library falls back to process.env.SECRET, JWKS_URI and TOKEN_SIGNING_ALG for options
    // left undefined (a SECRET in the environment would switch it to HS256). Empty values keep
    // this API's own configuration the only source.
    jwksUri: "",
    secret: "",
    tokenSigningAlg: "",
    // Bearer tokens only: with DPoP on, every challenge would also advertise `DPoP algs=...`.
    dpop: { enabled: false },
    authRequired: true,
    validators: {
      alg: (alg: unknown) => typeof alg === "string" && ACCESS_TOKEN_ALGORITHMS.includes(alg),
    },
  });
  // One handler, so no route can run the library without the spelling check in front of it.
  const verifyCanonical: Handler = (req, res, next) => {
    const encrypted = encryptedTokenError(req.headers.authorization, config.audience);
    if (encrypted !== undefined) {
      next(encrypted);
      return;
    }
    refuseNonCanonicalToken(req, res, (error?: unknown) => {
      if (error === undefined) {
        void verify(req, res, logIssuerFailure(req, nameOtherIssuer(req, config, next)));
      } else next(error);
    });
  };
  return cache === undefined ? verifyCanonical : withVerifiedTokenCache(verifyCanonical, cache);
}

/**
 * `verify` (the spelling check and the library) for tokens the cache does not hold; a token it
 * accepted is remembered. A cached token passed both as this very string.
 */
export function withVerifiedTokenCache(verify: Handler, cache: VerifiedTokenCache): Handler {
  const cacheable = new CacheableRequests();
  return (req, res, next) => {
    const token = cacheable.tokenOf(req);
    const verified = token === undefined ? undefined : cache.get(token);
    if (verified !== undefined) {
      req.auth = verified;
      next();
      return;
    }
    void verify(req, res, (error?: unknown) => {
      // Only what the library accepted, for the token this request carried in its header.
      if (error === undefined && token !== undefined && req.auth?.token === token) {
        cache.remember(req.auth);
      }
      next(error);
    });
  };
}

/**
 * What the library says when the issuer's metadata or keys could not be fetched: its own
 * discovery failure, and jose's for the JWKS (a timeout, an answer other than 200, the network).
 */
const ISSUER_UNREACHABLE =
  /^Failed to fetch|^request timed out$|^Expected 200 OK from the JSON Web Key Set|\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/;

/**
 * The library reports an issuer it cannot reach or trust as a bad token (401 invalid_token,
 * "Failed to fetch authorization server metadata"). The token was never judged, so that answer
 * would tell a client to throw a good approval away and ask the person again. It is 503
 * `temporarily_unavailable` here (RFC 9110 section 15.6.4): nothing was bought, the same
 * request may be retried, and the log and `GET /ready` say where to look.
 */
function logIssuerFailure(req: Request, next: NextFunction): NextFunction {
  return (error?: unknown) => {
    if (error instanceof UnauthorizedError && ISSUER_UNREACHABLE.test(error.message)) {
      req.log.warn(
        { reason: error.message },
        "token check could not reach the issuer; GET /ready names the cause",
      );
      next(
        errors.temporarilyUnavailable(
          `The access token could not be checked: the issuer's metadata or signing keys could ` +
            `not be fetched (${error.message}). Nothing was done; retry the same request ` +
            `later. GET /ready names the cause`,
        ),
      );
      return;
    }
    next(error);
  };
}

/**
 * jose's "no applicable key found in the JSON Web Key Set" for a token whose `iss` is not this
 * API's issuer says the token may be another issuer's, naming both; for one of this issuer's,
 * which key and algorithm the token asks for (`unknownKeyError`). Its "multiple matching keys"
 * for a token without `kid` says that the token names no key (`ambiguousKeyError`). Its
 * "Unexpected 'aud' value" names the token's audience and, for an ID token, says to send the
 * access token (`otherAudienceError`). The code and challenge stay RFC 6750's `invalid_token`.
 */
function nameOtherIssuer(
  req: Request,
  { issuer, audience }: Pick<ShopApiConfig, "issuer" | "audience">,
  next: NextFunction,
): NextFunction {
  return (error?: unknown) => {
    if (error instanceof UnauthorizedError && error.message === UNEXPECTED_AUDIENCE) {
      next(otherAudienceError(req.headers.authorization, audience) ?? error);
      return;
    }
    if (error instanceof UnauthorizedError && error.message === NO_MATCHING_KEY) {
      next(unknownKeyError(req.headers.authorization, issuer) ?? error);
      return;
    }
    if (error instanceof UnauthorizedError && error.message === MULTIPLE_MATCHING_KEYS) {
      next(ambiguousKeyError(req.headers.authorization) ?? error);
      return;
    }
    next(error);
  };
}

/**
 * A second Bearer credential in one Authorization value: after a comma (RFC 9110 section 5.3:
 * a recipient may join repeated fields with commas, as proxies do), or after whitespace. A
 * token68 (RFC 9110 section 11.4) holds neither, so no token can contain one.
 */
const SECOND_BEARER = /[\s,]Bearer\s/i;

/** An Authorization value that is several credentials joined into one: two headers folded. */
export function isFoldedAuthorization(value: string): boolean {
  return SECOND_BEARER.test(value) || (/^Bearer\s/i.test(value) && value.includes(","));
}

/**
 * Authorization is a singleton field (RFC 9110 section 11.6.2): a request with two is refused
 * (400 invalid_request, RFC 6750 section 3.1). Node keeps the first and drops the rest, so a
 * proxy in front that reads the last would authorize one token and this API another. Two
 * joined into one value by a proxy are refused the same way: read as one token, they would be
 * called a malformed or encrypted one.
 */
export const refuseRepeatedAuthorization: Handler = (req, _res, next) => {
  const sent = countHeader(req.rawHeaders, "authorization");
  if (sent > 1) {
    next(
      new InvalidRequestError(`Send one Authorization header; this request had ${String(sent)}`),
    );
    return;
  }
  const { authorization } = req.headers;
  if (authorization !== undefined && isFoldedAuthorization(authorization)) {
    next(
      new InvalidRequestError(
        "Send one Authorization header with one token; this one holds several, joined by a " +
          "comma as a proxy joins two Authorization headers",
      ),
    );
    return;
  }
  next();
};

/**
 * RFC 6750 section 2.3 allows `?access_token=`, but URLs end up in logs and browser history
 * and the OAuth 2.0 Security BCP (RFC 9700) says not to send tokens there. The library would
 * accept one, so it is refused before the library sees it.
 */
export const refuseTokenInQuery: Handler = (req, _res, next) => {
  // Express parses the query at each `req.query`; without a `?` there is none.
  if (!req.originalUrl.includes("?")) {
    next();
    return;
  }
  const query = req.query as Record<string, unknown>;
  if (Object.hasOwn(query, "access_token")) {
    next(
      new InvalidRequestError(
        "Access tokens are not accepted in the URL query; send 'Authorization: Bearer <token>'",
      ),
    );
    return;
  }
  next();
};

/** The library's scope check, with a description that names the missing scope. */
export function requireScope(scope: string): Handler {
  const check = requiredScopes(scope);
  return (req, res, next) => {
    check(req, res, (error?: unknown) => {
      if (error instanceof InsufficientScopeError) {
        next(new InsufficientScopeError([scope], `The access token lacks the '${scope}' scope`));
        return;
      }
      next(error);
    });
  };
}

export function tokenPayload(req: { auth?: { payload: JWTPayload } }): JWTPayload {
  const payload = req.auth?.payload;
  // Only reachable if a route forgot `verifyAccessToken`: fail closed.
  if (!payload) throw new UnauthorizedError();
  return payload;
}

const FOR_THE_BUYER = "orders need a token issued for the person who buys, e.g. through CIBA";

/** Auth0's `gty` for a client's own token, in either spelling. */
const CLIENT_GRANTS: readonly unknown[] = ["client-credentials", "client_credentials"];

/**
 * Why the token was not issued for a person, or undefined when it was. Orders belong to a
 * person, so the token must have been issued for one. Auth0 marks client-credentials tokens with
 * `gty: "client-credentials"` (a list when several grants made the token) and
 * `sub: "<client_id>@clients"`; RFC 9068 (section 2.2, Auth0's RFC 9068 profile has no `gty`)
 * makes `sub` the `client_id`. A token with no `sub` names nobody, whatever issued it.
 */
export function notIssuedForAPerson(payload: JWTPayload): string | undefined {
  const { gty, sub } = payload;
  const grants: unknown[] = Array.isArray(gty) ? gty : [gty];
  if (
    grants.some((grant) => CLIENT_GRANTS.includes(grant)) ||
    (typeof sub === "string" && (sub.endsWith("@clients") || sub === payload.client_id))
  ) {
    return `This token was issued to a client (client_credentials), not for a user: ${FOR_THE_BUYER}`;
  }
  if (typeof sub !== "string" || sub.length === 0) {
    return `This token names no person (its sub claim is missing, empty or not a string): ${FOR_THE_BUYER}`;
  }
  return undefined;
}

export const requireUserToken: Handler = (req, _res, next) => {
  const refusal = notIssuedForAPerson(tokenPayload(req));
  if (refusal !== undefined) {
    next(new InsufficientScopeError(undefined, refusal));
    return;
  }
  next();
};

/**
 * The claims the shop stores or looks orders up by: the person (`sub`) and the client (`azp`,
 * or RFC 9068's `client_id`).
 */
const STORED_CLAIMS = ["sub", "azp", "client_id"] as const;

/** A UTF-16 surrogate not part of a pair: in a `u` regular expression a pair is one code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The longest identifier the shop stores, in UTF-8 bytes. `sub` is a key of two B-tree indexes
 * (the person's orders, and the person's Idempotency-Keys beside a key of up to 255 bytes), and
 * PostgreSQL refuses an index entry over 2,704 bytes (a third of a page) with an error, at the
 * order's INSERT. Auth0's own identifiers are far shorter (a connection's name and a user id).
 */
export const MAX_IDENTIFIER_BYTES = 1024;

/**
 * Why a claim's string cannot name anyone here, or undefined when it can. PostgreSQL text holds
 * no U+0000, and node-postgres sends a lone surrogate (JSON's `"\ud800"`, not well-formed
 * Unicode) as U+FFFD: stored, the person `auth0|x\ud800y` would own the orders of
 * `auth0|x\ufffdy`, a different person. One longer than `MAX_IDENTIFIER_BYTES` failed the
 * order's INSERT as a 500.
 */
function unstorableBecause(value: string): string | undefined {
  if (value.includes("\u0000")) return "holds U+0000 (a NUL character)";
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_IDENTIFIER_BYTES) {
    return `is ${String(bytes)} bytes long in UTF-8, over ${String(MAX_IDENTIFIER_BYTES)}`;
  }
  const lone = LONE_SURROGATE.exec(value)?.[0];
  if (lone === undefined) return undefined;
  const code = lone.charCodeAt(0).toString(16).toUpperCase();
  return `holds a lone surrogate (U+${code}), so it is not a well-formed Unicode string`;
}

/**
 * A token whose `sub`, `azp` or `client_id` is not a string, or is a string no identifier may
 * be (see `unstorableBecause`), is refused before anything is looked up or stored: `401 invalid_token`,
 * naming the claim. The signature was good, so the issuer made such a claim; the shop will not
 * store or compare it.
 */
export const requireWellFormedClaims: Handler = (req, _res, next) => {
  const payload = tokenPayload(req);
  for (const claim of STORED_CLAIMS) {
    const value = payload[claim];
    if (value === undefined) continue;
    // OpenID Connect Core 2 and RFC 9068 section 2.2: each is a string. One of another type
    // was stored as null: an order by a client nobody could name.
    if (typeof value !== "string") {
      next(
        new InvalidTokenError(
          `The access token's ${claim} claim is ${jsonType(value)}, not a string, which this ` +
            `API cannot store or compare as an identifier; ask the authorization server for a ` +
            `token whose ${claim} is a string`,
        ),
      );
      return;
    }
    const because = unstorableBecause(value);
    if (because !== undefined) {
      next(
        new InvalidTokenError(
          `The access token's ${claim} claim ${because}, which this API cannot store or ` +
            "compare as an identifier; ask the authorization server for a token whose " +
            `${claim} is well-formed Unicode without U+0000, at most ${String(MAX_IDENTIFIER_BYTES)} bytes long`,
        ),
      );
      return;
    }
  }
  next();
};

/** What a JSON value is, as a person says it: "an array", "null", "a number". */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function hasPurchaseAuthorizationDetails(payload: JWTPayload): boolean {
  const claim = payload.authorization_details;
  return (
    Array.isArray(claim) &&
    claim.some(
      (entry: unknown) =>
        typeof entry === "object" &&
        entry !== null &&
        (entry as { type?: unknown }).type === PURCHASE_AUTHORIZATION_DETAILS_TYPE,
    )
  );
}

/** `SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=true`: a scope alone does not allow a purchase. */
export const requireAuthorizationDetails: Handler = (req, _res, next) => {
  if (!hasPurchaseAuthorizationDetails(tokenPayload(req))) {
    next(
      insufficientAuthorizationDetails(
        `This API requires the access token to carry RFC 9396 authorization_details of type ` +
          `'${PURCHASE_AUTHORIZATION_DETAILS_TYPE}' describing the purchase the person approved`,
      ),
    );
    return;
  }
  next();
};
