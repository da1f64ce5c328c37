import { CompactEncrypt } from "jose";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { createTestApp } from "../test-support/test-app.js";
import type { TestApp } from "../test-support/test-app.js";
import { nowSeconds, startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

const BODY = { product: "XYZ phone", qty: 1 };
const NO_CREDENTIALS = 'Bearer realm="api"';
const NOT_A_JWT =
  "The access token is not a JWT: it has five segments, and its first is not the header of an encrypted token (JWE); send the access token exactly as the authorization server issued it";
const ENCRYPTED =
  "The access token is encrypted (JWE), the kind Auth0 issues when the token request names no audience and only its /userinfo accepts: request it with audience=sample-shop-api (withAsyncAuthorization's audience)";
const challenge = (error: string, description: string, scope?: string) =>
  `Bearer realm="api", error="${error}", error_description="${description}"${scope ? `, scope="${scope}"` : ""}`;

let issuer: TestIssuer;
let shop: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer);
});

interface BadTokenCase {
  name: string;
  /** Builds the request: an Authorization header value and/or a query string. */
  send: () => Promise<{ authorization?: string; query?: string }>;
  status: number;
  wwwAuthenticate: string;
  error: string;
}

const bearer = async (token: Promise<string>) => ({ authorization: `Bearer ${await token}` });

const cases: BadTokenCase[] = [
  {
    name: "no Authorization header",
    send: () => Promise.resolve({}),
    status: 401,
    wwwAuthenticate: NO_CREDENTIALS,
    error: "invalid_request",
  },
  {
    name: "wrong scheme (Basic)",
    send: () => Promise.resolve({ authorization: "Basic dXNlcjpwYXNzd29yZA==" }),
    status: 400,
    wwwAuthenticate: NO_CREDENTIALS,
    error: "invalid_request",
  },
  {
    name: "DPoP scheme on a Bearer-only API",
    send: async () => ({ authorization: `DPoP ${await issuer.mint()}` }),
    status: 400,
    wwwAuthenticate: NO_CREDENTIALS,
    error: "invalid_request",
  },
  {
    name: "empty token ('Bearer ')",
    send: () => Promise.resolve({ authorization: "Bearer " }),
    status: 400,
    wwwAuthenticate: NO_CREDENTIALS,
    error: "invalid_request",
  },
  {
    name: "scheme only ('Bearer')",
    send: () => Promise.resolve({ authorization: "Bearer" }),
    status: 400,
    wwwAuthenticate: NO_CREDENTIALS,
    error: "invalid_request",
  },
  {
    name: "malformed JWT",
    send: () => Promise.resolve({ authorization: "Bearer not.a-jwt" }),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "Invalid Token or Protected Header formatting"),
    error: "invalid_token",
  },
  {
    name: "alg: none (unsigned)",
    send: () => bearer(issuer.mint({ alg: "none" })),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "Unsupported algorithm 'none' for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES256K, ES384, ES512, EdDSA",
    ),
    error: "invalid_token",
  },
  {
    name: "HS256 signed with the issuer's public key (key confusion)",
    send: () => bearer(issuer.mint({ alg: "HS256" })),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "Unsupported algorithm 'HS256' for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES256K, ES384, ES512, EdDSA",
    ),
    error: "invalid_token",
  },
  {
    name: "unknown kid",
    send: () => bearer(issuer.mint({ kid: "not-in-the-jwks" })),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "no applicable key found in the JSON Web Key Set: the token's header names the key 'not-in-the-jwks' for RS256, and the issuer publishes no such key for that algorithm. A key whose JWK names an alg verifies only that algorithm (Auth0's keys name RS256): sign with it, or publish the key for the token's algorithm; a key published since this API last read the JWKS is found within 30 s",
    ),
    error: "invalid_token",
  },
  {
    name: "bad signature (a key outside the JWKS, the issuer's kid)",
    send: () => bearer(issuer.mint({ foreignKey: true })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "signature verification failed"),
    error: "invalid_token",
  },
  {
    name: "tampered payload (signature no longer matches)",
    send: async () => {
      const [header, , signature] = (await issuer.mint()).split(".");
      const payload = Buffer.from(
        JSON.stringify({
          iss: issuer.issuer,
          aud: issuer.audience,
          sub: "auth0|someone-else",
          scope: "product:buy",
          exp: nowSeconds() + 300,
        }),
      ).toString("base64url");
      return { authorization: `Bearer ${header}.${payload}.${signature}` };
    },
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "signature verification failed"),
    error: "invalid_token",
  },
  {
    name: "expired (exp a minute ago, beyond the 5 s tolerance)",
    send: () => bearer(issuer.mint({ exp: nowSeconds() - 60, iat: nowSeconds() - 360 })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "'exp' claim timestamp check failed"),
    error: "invalid_token",
  },
  {
    name: "no exp claim",
    send: () => bearer(issuer.mint({ exp: null })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "Unexpected 'exp' value"),
    error: "invalid_token",
  },
  {
    name: "nbf in the future",
    send: () => bearer(issuer.mint({ nbf: nowSeconds() + 120 })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "'nbf' claim timestamp check failed"),
    error: "invalid_token",
  },
  {
    name: "wrong issuer",
    send: () => bearer(issuer.mint({ iss: "https://evil.example.com/" })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "Unexpected 'iss' value"),
    error: "invalid_token",
  },
  {
    name: "issuer without its trailing slash",
    send: () => bearer(issuer.mint({ iss: issuer.issuer.replace(/\/$/, "") })),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", "Unexpected 'iss' value"),
    error: "invalid_token",
  },
  {
    name: "wrong audience (a string)",
    send: () => bearer(issuer.mint({ aud: "another-api" })),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "Unexpected 'aud' value: the token is for 'another-api', and this API accepts only tokens for 'sample-shop-api': request the access token with audience=sample-shop-api (withAsyncAuthorization's audience)",
    ),
    error: "invalid_token",
  },
  {
    name: "audience array without ours",
    // As Auth0's token for another API with openid: that API and the tenant's /userinfo.
    send: () =>
      bearer(issuer.mint({ aud: ["another-api", "https://tenant.example.com/userinfo"] })),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "Unexpected 'aud' value: the token is for 'another-api', 'https://tenant.example.com/userinfo', and this API accepts only tokens for 'sample-shop-api': request the access token with audience=sample-shop-api (withAsyncAuthorization's audience)",
    ),
    error: "invalid_token",
  },
  {
    // The token response's id_token, or a web framework's idToken, sent in its access token's place.
    name: "an ID token of this issuer (aud the client's id, a nonce, no scope)",
    send: () =>
      bearer(
        issuer.mint({
          aud: "ciba-testbed-agent",
          scope: null,
          claims: { nonce: "n-0S6_WzA2Mj", sid: "s-1" },
        }),
      ),
    status: 401,
    wwwAuthenticate: challenge(
      "invalid_token",
      "Unexpected 'aud' value: this is an ID token (its aud is the client's id, and it is for 'ciba-testbed-agent'), which says who logged in and opens no API: send the access token of the same token response (access_token, not id_token), requested with audience=sample-shop-api",
    ),
    error: "invalid_token",
  },
  {
    name: "scope without product:buy",
    send: () => bearer(issuer.mint({ scope: "openid profile" })),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "The access token lacks the 'product:buy' scope",
      "product:buy",
    ),
    error: "insufficient_scope",
  },
  {
    name: "scope as a prefix (product:buyer)",
    send: () => bearer(issuer.mint({ scope: "openid product:buyer" })),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "The access token lacks the 'product:buy' scope",
      "product:buy",
    ),
    error: "insufficient_scope",
  },
  {
    name: "no scope claim",
    send: () => bearer(issuer.mint({ scope: null })),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "The access token lacks the 'product:buy' scope",
      "product:buy",
    ),
    error: "insufficient_scope",
  },
  {
    name: "client-credentials token (gty, sub <client>@clients)",
    send: () => bearer(issuer.mintClientCredentials()),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "This token was issued to a client (client_credentials), not for a user: orders need a token issued for the person who buys, e.g. through CIBA",
    ),
    error: "insufficient_scope",
  },
  {
    name: "token without sub",
    send: () => bearer(issuer.mint({ sub: null })),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "This token names no person (its sub claim is missing, empty or not a string): orders need a token issued for the person who buys, e.g. through CIBA",
    ),
    error: "insufficient_scope",
  },
  {
    name: "token whose gty is a list holding client-credentials",
    send: () => bearer(issuer.mint({ claims: { gty: ["client-credentials"] } })),
    status: 403,
    wwwAuthenticate: challenge(
      "insufficient_scope",
      "This token was issued to a client (client_credentials), not for a user: orders need a token issued for the person who buys, e.g. through CIBA",
    ),
    error: "insufficient_scope",
  },
  {
    name: "an encrypted token (JWE, dir/A256GCM), as Auth0 issues one for a request with no audience",
    send: async () => {
      const jwe = await new CompactEncrypt(new TextEncoder().encode('{"sub":"auth0|buyer"}'))
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .encrypt(crypto.getRandomValues(new Uint8Array(32)));
      return { authorization: `Bearer ${jwe}` };
    },
    status: 401,
    wwwAuthenticate: challenge("invalid_token", ENCRYPTED),
    error: "invalid_token",
  },
  {
    name: "five segments that are no token at all (a.b.c.d.e)",
    send: () => Promise.resolve({ authorization: "Bearer a.b.c.d.e" }),
    status: 401,
    wwwAuthenticate: challenge("invalid_token", NOT_A_JWT),
    error: "invalid_token",
  },
  {
    name: "five segments whose first is a signed token's header (no enc)",
    send: async () => {
      const [header = "", payload = "", signature = ""] = (await issuer.mint()).split(".");
      return { authorization: `Bearer ${header}.${payload}.${signature}.${payload}.${signature}` };
    },
    status: 401,
    wwwAuthenticate: challenge("invalid_token", NOT_A_JWT),
    error: "invalid_token",
  },
  {
    name: "token in the query string",
    send: async () => ({ query: `access_token=${await issuer.mint()}` }),
    status: 400,
    wwwAuthenticate: challenge(
      "invalid_request",
      "Access tokens are not accepted in the URL query; send 'Authorization: Bearer <token>'",
    ),
    error: "invalid_request",
  },
  {
    name: "token in the query string and in the header",
    send: async () => {
      const token = await issuer.mint();
      return { authorization: `Bearer ${token}`, query: `access_token=${token}` };
    },
    status: 400,
    wwwAuthenticate: challenge(
      "invalid_request",
      "Access tokens are not accepted in the URL query; send 'Authorization: Bearer <token>'",
    ),
    error: "invalid_request",
  },
];

describe("POST /api/purchases: a token signed with a key the issuer does not publish", () => {
  const refusal = async (token: string) => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .send(BODY)
      .expect(401);
    expect(res.body.error).toBe("invalid_token");
    expect(res.headers["www-authenticate"]).toBe(
      challenge("invalid_token", String(res.body.error_description)),
    );
    expect(await shop.orderCount()).toBe(0);
    return String(res.body.error_description);
  };
  const otherIssuer = (named: string) =>
    `no applicable key found in the JSON Web Key Set: the token ${named}, and this API ` +
    `accepts tokens of '${issuer.issuer}' only, none of whose keys signed it; it may be from ` +
    `another issuer (another Auth0 tenant): request it from '${issuer.issuer}', or point this ` +
    "API at the issuer that issued it (AUTH0_DOMAIN, AUTH0_ISSUER_BASE_URL)";

  it("from another tenant (its iss, its kid): names both issuers", async () => {
    const token = await issuer.mint({ iss: "https://other-tenant.us.auth0.com/", kid: "k-other" });
    expect(await refusal(token)).toBe(
      otherIssuer("names the issuer 'https://other-tenant.us.auth0.com/'"),
    );
  });

  it("naming no issuer: says so", async () => {
    expect(await refusal(await issuer.mint({ iss: null, kid: "k-other" }))).toBe(
      otherIssuer("names no issuer (iss)"),
    );
  });

  it("quotes an unverified iss only in part, and header-safe", async () => {
    const iss = `https://x"y\\z'é\n${"a".repeat(200)}`;
    const description = await refusal(await issuer.mint({ iss, kid: "k-other" }));
    expect(description).toContain(`names the issuer 'https://x?y?z???${"a".repeat(104)}...'`);
  });

  const unpublished = (asked: string) =>
    `no applicable key found in the JSON Web Key Set: the token's header ${asked}, and the ` +
    "issuer publishes no such key for that algorithm. A key whose JWK names an alg verifies " +
    "only that algorithm (Auth0's keys name RS256): sign with it, or publish the key for the " +
    "token's algorithm; a key published since this API last read the JWKS is found within 30 s";

  it("of this issuer: a key not published yet, named with its algorithm", async () => {
    expect(await refusal(await issuer.mint({ kid: "not-in-the-jwks" }))).toBe(
      unpublished("names the key 'not-in-the-jwks' for RS256"),
    );
  });

  it("of this issuer, PS256 with the kid of a key published for RS256: says a key's alg binds it", async () => {
    expect(await refusal(await issuer.mint({ alg: "PS256" }))).toBe(
      unpublished(`names the key '${issuer.kid}' for PS256`),
    );
  });
});

describe("POST /api/purchases: a token without kid, against a JWKS of two keys", () => {
  let twoKeys: TestIssuer;
  beforeAll(async () => {
    twoKeys = await startTestIssuer({ nextKey: true });
  });
  afterAll(async () => {
    await twoKeys.close();
  });

  it("says that the token names no key, not that the JWKS is at fault", async () => {
    const shop = await createTestApp(twoKeys);
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await twoKeys.mint({ kid: null })}`)
      .send(BODY);
    const description =
      "The access token's header names no signing key (kid), and the issuer publishes several " +
      "keys for RS256, so none can be chosen: send the token exactly as the authorization " +
      "server issued it (Auth0's access tokens name their key in kid)";
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 401,
      body: { error: "invalid_token", error_description: description },
    });
    expect(res.headers["www-authenticate"]).toBe(challenge("invalid_token", description));
    expect(await shop.orderCount()).toBe(0);
    // The same token with its key named buys.
    const named = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await twoKeys.mint()}`)
      .send(BODY);
    expect(named.status).toBe(201);
  });

  it.each([[5], [true], [["k"]]])(
    "says that a kid of %j is not a string, not that the token names none",
    async (kid) => {
      const shop = await createTestApp(twoKeys);
      const res = await request(shop.app)
        .post("/api/purchases")
        .set("Authorization", `Bearer ${await twoKeys.mint({ kid: null, header: { kid } })}`)
        .send(BODY);
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 401,
        body: {
          error: "invalid_token",
          error_description:
            "The access token's header has a kid that is not a string (RFC 7515 section 4.1.4), so it names no signing key: send the token exactly as the authorization server issued it (Auth0's access tokens name their key in kid, a string)",
        },
      });
      expect(await shop.orderCount()).toBe(0);
    },
  );
});

describe("POST /api/purchases refuses bad tokens", () => {
  it("has at least 15 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)("$name -> $status $error", async (testCase) => {
    const { authorization, query } = await testCase.send();
    let req = request(shop.app).post(`/api/purchases${query ? `?${query}` : ""}`);
    if (authorization !== undefined) req = req.set("Authorization", authorization);
    const res = await req.send(BODY);

    expect(res.status).toBe(testCase.status);
    expect(res.headers["www-authenticate"]).toBe(testCase.wwwAuthenticate);
    expect(res.body.error).toBe(testCase.error);
    expect(typeof res.body.error_description).toBe("string");
    expect(res.body.error_description.length).toBeGreaterThan(0);
    expect(await shop.orderCount()).toBe(0);
    expect(await shop.stockOf("xyz-phone")).toBe(50);
  });

  it("accepts the well-formed token the bad ones are variations of", async () => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint()}`)
      .send(BODY);
    expect(res.status).toBe(201);
    expect(await shop.orderCount()).toBe(1);
  });

  it("accepts a token whose aud is a plain string equal to the audience", async () => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint({ aud: issuer.audience })}`)
      .send(BODY);
    expect(res.status).toBe(201);
  });

  it("accepts a token that expired within the 5 s clock tolerance", async () => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint({ exp: nowSeconds() - 2 })}`)
      .send(BODY);
    expect(res.status).toBe(201);
  });

  it("applies the same checks to reading orders", async () => {
    const client = await issuer.mintClientCredentials();
    for (const path of ["/api/purchases", "/api/purchases/ord-0001"]) {
      const none = await request(shop.app).get(path);
      expect(none.status).toBe(401);
      expect(none.headers["www-authenticate"]).toBe(NO_CREDENTIALS);
      const machine = await request(shop.app).get(path).set("Authorization", `Bearer ${client}`);
      expect(machine.status).toBe(403);
      const expired = await request(shop.app)
        .get(path)
        .set("Authorization", `Bearer ${await issuer.mint({ exp: nowSeconds() - 60 })}`);
      expect(expired.status).toBe(401);
      expect(expired.body.error).toBe("invalid_token");
    }
  });

  it("ignores the library's process.env fallbacks (SECRET would switch it to HS256)", async () => {
    vi.stubEnv("SECRET", "a-shared-secret-from-somewhere-else");
    vi.stubEnv("JWKS_URI", "http://127.0.0.1:1/jwks.json");
    try {
      const fresh = await createTestApp(issuer);
      const ok = await request(fresh.app)
        .post("/api/purchases")
        .set("Authorization", `Bearer ${await issuer.mint()}`)
        .send(BODY);
      expect(ok.status).toBe(201);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
