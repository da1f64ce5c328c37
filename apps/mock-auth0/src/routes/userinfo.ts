import type { Clock } from "@ciba-testbed/shared";
import { countHeader } from "@ciba-testbed/shared/http";
import { Router } from "express";
import type { RequestHandler } from "express";
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from "jose";

import { errors } from "../errors.js";
import type { OpaqueAccessTokens } from "../opaque-tokens.js";
import { enforce, userinfoRefusal } from "../rate-limit/rate-limits.js";
import type { RateLimits } from "../rate-limit/rate-limits.js";
import type { SigningKeys } from "../signing-keys.js";
import { SIGNING_ALG } from "../signing-keys.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import { userClaims } from "../user-claims.js";

export interface UserinfoDeps {
  issuer: string;
  directory: TenantDirectory;
  keys: SigningKeys;
  opaqueTokens: OpaqueAccessTokens;
  clock: Clock;
  /** The profiles' `updated_at`. */
  profileUpdatedAt: string;
  /** `userinfoPerUser` is counted here; the tenant-wide limit runs before the route. */
  rateLimits: Pick<RateLimits, "userinfoPerUser">;
}

/**
 * RFC 6750 section 3 in Auth0's words for a token that does not do: the realm `Users` and
 * `invalid_token` with what is wrong ("The token has expired", as Auth0 says it).
 */
function unauthorized(description: string) {
  const challenge = `Bearer realm="Users", error="invalid_token", error_description="${description}"`;
  return errors.invalidToken(description, { "WWW-Authenticate": challenge });
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** What a token grants at `/userinfo`: whose profile, and which scopes of it. */
async function readToken(
  token: string,
  deps: UserinfoDeps,
): Promise<{ sub: string; scope: string[] }> {
  const nowSeconds = Math.floor(deps.clock.now() / 1000);
  // Five segments: a JWE, the tenant's opaque token; three: a JWT whose audience names /userinfo.
  if (token.split(".").length === 5) {
    const claims = await deps.opaqueTokens.read(token, nowSeconds);
    if (claims === "expired") throw unauthorized("The token has expired");
    if (claims === undefined) throw unauthorized("Invalid token");
    return { sub: claims.sub, scope: claims.scope.split(" ") };
  }
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(deps.keys.jwks()), {
      issuer: deps.issuer,
      audience: `${deps.issuer}userinfo`,
      algorithms: [SIGNING_ALG],
      currentDate: new Date(deps.clock.now()),
      requiredClaims: ["sub"],
    });
    return {
      sub: String(payload.sub),
      scope: typeof payload.scope === "string" ? payload.scope.split(" ") : [],
    };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw unauthorized("The token has expired");
    }
    throw unauthorized("Invalid token");
  }
}

/**
 * OpenID Connect Core 1.0 section 5.3: the person's claims for the scopes the token carries,
 * for a GET or a POST with the token in the Authorization header (query and body tokens are
 * refused: they end up in logs). Auth0 accepts its opaque `/userinfo` tokens and JWT access
 * tokens whose audience includes `https://<tenant>/userinfo` (those issued with `openid`).
 */
export function userinfoRoutes(deps: UserinfoDeps): Router {
  const handler: RequestHandler = async (req, res) => {
    // RFC 6750 section 3.1: two Authorization headers are a malformed request. Node keeps the
    // first, so a proxy that reads the last would name another person than the answer does.
    const sent = countHeader(req.rawHeaders, "authorization");
    if (sent > 1) {
      throw errors.invalidRequest(
        `Send one Authorization header; this request had ${String(sent)}`,
        {
          "WWW-Authenticate": 'Bearer realm="Users", error="invalid_request"',
        },
      );
    }
    const match = BEARER.exec(req.get("authorization") ?? "");
    if (!match?.[1]) {
      // RFC 6750 section 3.1: a request without credentials gets the challenge and no error
      // code. Auth0's body for a 401 here is the plain text "Unauthorized" (Auth0.Android
      // issue 629); the challenge says what to send.
      res
        .status(401)
        .set("WWW-Authenticate", 'Bearer realm="Users"')
        .type("text/plain")
        .send("Unauthorized");
      return;
    }
    const { sub, scope } = await readToken(match[1], deps);
    // Users come from the tenant file and cannot go away; a token for another tenant's user can.
    const user = deps.directory.users.get(sub);
    if (!user) throw unauthorized("Invalid token");
    // Auth0's limit is "to a unique User ID": only a token that names someone is counted.
    const perUser = deps.rateLimits.userinfoPerUser;
    if (perUser) {
      enforce(res, perUser.take(user.sub, deps.clock.now()), (wait) =>
        userinfoRefusal(user.sub, perUser.policy.sustained, wait),
      );
    }
    res.set("Cache-Control", "no-store").json({
      sub: user.sub,
      ...userClaims(user, scope, deps.profileUpdatedAt),
    });
  };
  const router = Router();
  router.get("/userinfo", handler);
  router.post("/userinfo", handler);
  return router;
}
