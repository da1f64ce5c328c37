import { request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { ManualClock } from "@ciba-testbed/shared";
import express from "express";
import type { Handler } from "express";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createApp } from "./app.js";
import { withVerifiedTokenCache } from "./auth.js";
import { createDeps } from "./deps.js";
import { createLogger } from "./logging.js";
import { FIXED_NOW, createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { close, nowSeconds, startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";
import { VerifiedTokenCache } from "./verified-token-cache.js";
import type { VerifiedToken } from "./verified-token-cache.js";

const EXP = Math.floor(FIXED_NOW / 1000) + 300;
const MAX_AGE_MS = 600_000;

const verified = (token: string, exp = EXP): VerifiedToken => ({
  header: { alg: "RS256" },
  payload: { sub: "auth0|someone", scope: "product:buy", exp, authorization_details: [{}] },
  token,
});

describe("VerifiedTokenCache", () => {
  let clock: ManualClock;
  let cache: VerifiedTokenCache;
  beforeEach(() => {
    clock = new ManualClock(FIXED_NOW);
    cache = new VerifiedTokenCache({ maxEntries: 3, clock, maxAgeMs: MAX_AGE_MS });
  });

  it("answers a remembered token with the library's own req.auth, frozen to the last member", () => {
    const auth = verified("a.b.c");
    cache.remember(auth);
    const hit = cache.get("a.b.c");
    expect(hit).toBe(auth);
    expect(Object.isFrozen(hit)).toBe(true);
    expect(Object.isFrozen(hit?.payload.authorization_details)).toBe(true);
    expect(() => {
      (hit?.payload as Record<string, unknown>).sub = "someone else";
    }).toThrow(TypeError);
  });

  it("misses a token it was never given, and any other spelling of one it holds", () => {
    cache.remember(verified("a.b.c"));
    expect(cache.get("x.y.z")).toBeUndefined();
    expect(cache.get("a.b.c=")).toBeUndefined();
    expect(cache.get("A.b.c")).toBeUndefined();
    expect(cache.get("a.b.c")).toBeDefined();
  });

  it("holds a token until its exp by the app's clock, and not a millisecond longer", () => {
    cache.remember(verified("a.b.c"));
    clock.advance(EXP * 1000 - FIXED_NOW - 1);
    expect(cache.get("a.b.c")).toBeDefined();
    clock.advance(1);
    expect(cache.get("a.b.c")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keeps no verdict longer than maxAgeMs after it was given, whatever the exp", () => {
    cache.remember(verified("a.b.c", EXP + 86_400));
    clock.advance(MAX_AGE_MS - 1);
    expect(cache.get("a.b.c")).toBeDefined();
    clock.advance(1);
    expect(cache.get("a.b.c")).toBeUndefined();
  });

  it("does not keep a token already expired by its clock, or one without exp", () => {
    cache.remember(verified("expired", Math.floor(FIXED_NOW / 1000)));
    const { exp: _exp, ...withoutExp } = verified("no-exp").payload;
    cache.remember({ ...verified("no-exp"), payload: withoutExp });
    expect(cache.size).toBe(0);
  });

  it("holds at most maxEntries, dropping the least recently used first", () => {
    cache.remember(verified("one"));
    cache.remember(verified("two"));
    cache.remember(verified("three"));
    expect(cache.get("one")).toBeDefined(); // now the most recently used
    cache.remember(verified("four"));
    expect(cache.size).toBe(3);
    expect(cache.get("two")).toBeUndefined();
    expect(["one", "three", "four"].map((t) => cache.get(t)?.token)).toEqual([
      "one",
      "three",
      "four",
    ]);
  });

  it("with maxEntries 0 keeps nothing", () => {
    const none = new VerifiedTokenCache({ maxEntries: 0, clock, maxAgeMs: MAX_AGE_MS });
    none.remember(verified("a.b.c"));
    expect(none.get("a.b.c")).toBeUndefined();
    expect(() => new VerifiedTokenCache({ maxEntries: -1, clock, maxAgeMs: 1 })).toThrow(
      RangeError,
    );
  });
});

describe("withVerifiedTokenCache in front of a verifier", () => {
  let clock: ManualClock;
  let cache: VerifiedTokenCache;
  let calls: string[];
  /** Accepts tokens starting with "good", like the library would: sets req.auth, calls next(). */
  const fakeLibrary: Handler = (req, _res, next) => {
    const authorization = req.headers.authorization ?? "";
    const token = authorization.slice(authorization.indexOf(" ") + 1);
    calls.push(token);
    if (token.startsWith("good")) {
      req.auth = verified(token);
      next();
    } else {
      next(Object.assign(new Error("refused"), { status: 401 }));
    }
  };
  const app = () => {
    const shop = express();
    shop.get("/x", withVerifiedTokenCache(fakeLibrary, cache), (req, res) => {
      res.json({ sub: req.auth?.payload.sub, token: req.auth?.token });
    });
    shop.use(((error, _req, res, _next) => {
      res.status((error as { status: number }).status).json({ error: "refused" });
    }) as express.ErrorRequestHandler);
    return shop;
  };
  const get = (shop: express.Express, authorization: string) =>
    request(shop).get("/x").set("Authorization", authorization);

  beforeEach(() => {
    clock = new ManualClock(FIXED_NOW);
    cache = new VerifiedTokenCache({ maxEntries: 2, clock, maxAgeMs: MAX_AGE_MS });
    calls = [];
  });

  it("verifies a token once, then answers it from the cache until its exp", async () => {
    const shop = app();
    for (let i = 0; i < 3; i++) {
      const res = await get(shop, "Bearer good-1");
      expect(res.body).toEqual({ sub: "auth0|someone", token: "good-1" });
    }
    expect(calls).toEqual(["good-1"]);
    clock.advance(EXP * 1000 - FIXED_NOW);
    expect((await get(shop, "Bearer good-1")).status).toBe(200);
    expect(calls).toEqual(["good-1", "good-1"]);
  });

  it("never caches a token the verifier refused", async () => {
    const shop = app();
    expect((await get(shop, "Bearer bad-1")).status).toBe(401);
    expect((await get(shop, "Bearer bad-1")).status).toBe(401);
    expect(calls).toEqual(["bad-1", "bad-1"]);
    expect(cache.size).toBe(0);
  });

  it("sends another spelling of a cached token to the verifier", async () => {
    const shop = app();
    await get(shop, "Bearer good-1");
    await get(shop, "Bearer good-1=");
    expect(calls).toEqual(["good-1", "good-1="]);
  });

  it("verifies again a token evicted by newer ones", async () => {
    const shop = app();
    for (const token of ["good-1", "good-2", "good-3", "good-1"]) {
      await get(shop, `Bearer ${token}`);
    }
    expect(calls).toEqual(["good-1", "good-2", "good-3", "good-1"]);
  });

  it("leaves requests the library would judge apart from the token to the library", async () => {
    const shop = app();
    await get(shop, "Bearer good-1");
    await request(shop).get("/x?access_token=x").set("Authorization", "Bearer good-1");
    await request(shop)
      .get("/x")
      .set("Authorization", "Bearer good-1")
      .set("X-Forwarded-Host", "example.com");
    await request(shop).get("/x").set("Authorization", "Bearer good-1").set("Host", "a b");
    await get(shop, "Bearer  good-1");
    await get(shop, "DPoP good-1");
    expect(calls).toEqual(["good-1", "good-1", "good-1", "good-1", " good-1", "good-1"]);
  });
});

/** The shop as a whole, with the real express-oauth2-jwt-bearer and the cache on or off. */
describe("the shop with its token cache", () => {
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

  const buy = (token: string, idempotencyKey?: string) => {
    const req = request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .send({ product: "XYZ phone", qty: 1 });
    return idempotencyKey === undefined ? req : req.set("Idempotency-Key", idempotencyKey);
  };

  it("lets one approval buy once, from the cache as from the library", async () => {
    const token = await issuer.mint({
      claims: {
        authorization_details: [
          { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
        ],
      },
    });
    const first = await buy(token, "k-1");
    expect(first.status).toBe(201);
    expect((await buy(token, "k-1")).status).toBe(201); // the same order, replayed
    const second = await buy(token, "k-2");
    expect(second.status).toBe(403);
    expect(second.body.error).toBe("insufficient_authorization_details");
    expect(await shop.orderCount()).toBe(1);
  });

  it("refuses every other spelling of a cached token, as without the cache", async () => {
    const token = await issuer.mint();
    expect((await buy(token)).status).toBe(201);
    for (const respelled of [`${token}=`, `${token}==`, `${token}=AAAA`]) {
      const res = await buy(respelled);
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toContain("not canonical base64url");
    }
    expect(await shop.orderCount()).toBe(1);
  });

  it("never remembers a token the library refused: each one is refused again", async () => {
    const refused = [
      await issuer.mint({ foreignKey: true }),
      await issuer.mint({ aud: "another-api" }),
      await issuer.mint({ iss: "https://elsewhere.example/" }),
      await issuer.mint({ exp: nowSeconds() - 60 }),
      await issuer.mint({ alg: "HS256" }),
    ];
    for (let round = 0; round < 2; round++) {
      for (const token of refused) expect((await buy(token)).status).toBe(401);
    }
    expect(await shop.orderCount()).toBe(0);
  });

  it("still checks the scope and the person on every request", async () => {
    const noScope = await issuer.mint({ scope: "openid" });
    const machine = await issuer.mintClientCredentials();
    for (let round = 0; round < 2; round++) {
      expect((await buy(noScope)).body.error).toBe("insufficient_scope");
      expect((await buy(machine)).body.error).toBe("insufficient_scope");
    }
  });

  /**
   * Answers to requests that differ from a plain one around the token (Host, target, header
   * shape), sent raw with a token the cache holds, are the same with the cache as without it.
   */
  it("answers odd requests around a cached token exactly as the library does", async () => {
    const token = await issuer.mint();
    const withCache = shop.app;
    const withoutCache = createApp(
      { ...shop.config, tokenCacheSize: 0 },
      createDeps(shop.config, {
        catalog: shop.catalog,
        store: shop.store,
        clock: new ManualClock(FIXED_NOW),
        logger: createLogger("silent"),
      }),
    );
    const servers = await Promise.all([serve(withCache), serve(withoutCache)]);
    try {
      const [cached, uncached] = servers.map((server) => (server.address() as AddressInfo).port);
      const answer = (port: number | undefined, r: RawRequest) => rawGet({ ...r, port });
      // Warm the cache with a plain request.
      expect((await answer(cached, { path: "/api/purchases", token })).status).toBe(200);

      const cases: RawRequest[] = [];
      const hosts = ["127.0.0.1", "a b", "999.999.999.999", "[::1]:99999", "x/y", "EXAMPLE.com"];
      const paths = [
        "/api/purchases",
        "//api/purchases",
        "/api/purchases?access_token=x",
        "/api/purchases?a=1",
        "http://evil.example/api/purchases",
        "/api/purchases/none",
        "/api/purchases/http:%2F%2Fx",
      ];
      const authorizations = (t: string) => [
        `Bearer ${t}`,
        `bearer ${t}`,
        `Bearer  ${t}`,
        `DPoP ${t}`,
        `Basic ${t}`,
        `Bearer ${t} x`,
      ];
      for (const host of hosts)
        for (const path of paths)
          for (const authorization of authorizations(token))
            cases.push({ host, path, authorization });
      cases.push({ path: "/api/purchases", token, forwardedHost: "evil.example" });

      for (const raw of cases) {
        const [a, b] = await Promise.all([answer(cached, raw), answer(uncached, raw)]);
        expect({ raw, ...a }).toEqual({ raw, ...b });
      }
    } finally {
      await Promise.all(servers.map(close));
    }
  });
});

interface RawRequest {
  path: string;
  host?: string;
  token?: string;
  authorization?: string;
  forwardedHost?: string;
}

function serve(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => {
      resolve(server);
    });
  });
}

/** One GET as given (Host and target unchecked by any client library). */
function rawGet(
  r: RawRequest & { port: number | undefined },
): Promise<{ status: number | undefined; challenge: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      host: r.host ?? "127.0.0.1",
      authorization: r.authorization ?? `Bearer ${r.token ?? ""}`,
      "x-request-id": "fixed",
    };
    if (r.forwardedHost !== undefined) headers["x-forwarded-host"] = r.forwardedHost;
    const req = httpRequest(
      { host: "127.0.0.1", port: r.port, method: "GET", path: r.path, headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode, challenge: res.headers["www-authenticate"], body });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}
