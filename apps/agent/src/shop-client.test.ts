import { afterEach, describe, expect, it } from "vitest";

import { fetchProducts, placeOrder, probePurchaseEndpoint } from "./shop-client.js";
import { expectAllStubsUsed, isolateNetwork, nock, SHOP } from "./test-support/stubs.js";

isolateNetwork();
afterEach(expectAllStubsUsed);

const order = () =>
  placeOrder({
    fetch,
    url: `${SHOP}/api/purchases`,
    accessToken: "at",
    idempotencyKey: "call_1",
    purchase: { product: "XYZ phone", qty: 1 },
    timeoutMs: 5_000,
  });

describe("placeOrder", () => {
  it("returns the order", async () => {
    nock(SHOP).post("/api/purchases").reply(201, { id: "ord_1" });
    expect(await order()).toEqual({ ok: true, order: { id: "ord_1" } });
  });

  it("reads the OAuth error from the body", async () => {
    nock(SHOP)
      .post("/api/purchases")
      .reply(409, { error: "insufficient_stock", error_description: "Only 1 left" });
    expect(await order()).toEqual({
      ok: false,
      status: 409,
      error: "insufficient_stock",
      description: "Only 1 left",
    });
  });

  it("falls back to WWW-Authenticate, then to the status", async () => {
    nock(SHOP).post("/api/purchases").reply(403, "", {
      "www-authenticate":
        'Bearer realm="api", error="insufficient_authorization_details", error_description="approved 1, ordered 2"',
    });
    expect(await order()).toMatchObject({
      status: 403,
      error: "insufficient_authorization_details",
      description: "approved 1, ordered 2",
    });
    nock(SHOP).post("/api/purchases").reply(502, "Bad gateway");
    expect(await order()).toMatchObject({ status: 502, error: "http_502" });
  });
});

describe("fetchProducts", () => {
  const read = (timeoutMs = 2000) =>
    fetchProducts({ fetch, url: `${SHOP}/api/products`, timeoutMs });

  it("returns the products", async () => {
    nock(SHOP)
      .get("/api/products")
      .reply(200, { products: [{ id: "a", name: "A" }] });
    expect(await read()).toEqual({ ok: true, products: [{ id: "a", name: "A" }] });
  });

  it("says why the catalog cannot be read", async () => {
    nock(SHOP).get("/api/products").reply(503);
    expect(await read()).toEqual({ ok: false, problem: "it answered 503" });
    nock(SHOP).get("/api/products").reply(200, { items: [] });
    expect(await read()).toEqual({ ok: false, problem: "its answer is not a product list" });
  });

  it("names a port that fetch refuses to connect to", async () => {
    // What Node's fetch throws for one of the Fetch standard's bad ports (6000 here).
    const refusing: typeof fetch = () =>
      Promise.reject(new TypeError("fetch failed", { cause: new Error("bad port") }));
    expect(
      await fetchProducts({
        fetch: refusing,
        url: "http://localhost:6000/api/products",
        timeoutMs: 2000,
      }),
    ).toEqual({
      ok: false,
      problem: "bad port: fetch refuses to connect to this port, as browsers do; use another port",
    });
  });

  it("counts a shop that does not answer in time as unreachable", async () => {
    // A shop that accepts the connection and never answers, until the request is aborted.
    const silent: typeof fetch = (_, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          reject(init.signal?.reason as Error);
        });
      });
    expect(
      await fetchProducts({ fetch: silent, url: `${SHOP}/api/products`, timeoutMs: 20 }),
    ).toEqual({
      ok: false,
      problem: "no answer within 20 ms",
    });
  });
});

describe("probePurchaseEndpoint", () => {
  it("sends a POST with no token and no body, and reads the status", async () => {
    let body: string | undefined;
    nock(SHOP, { badheaders: ["authorization", "idempotency-key", "content-type"] })
      .post("/api/purchases")
      .reply(async (request: Request) => {
        body = await request.text();
        return [401, { error: "invalid_request" }, { "www-authenticate": 'Bearer realm="api"' }];
      });

    const probe = await probePurchaseEndpoint({
      fetch,
      url: `${SHOP}/api/purchases`,
      timeoutMs: 2000,
    });

    expect(probe).toEqual({ ok: true, status: 401 });
    expect(body).toBe("");
  });

  it("hands on what kept the request from an answer", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const probe = await probePurchaseEndpoint({
      fetch: () => Promise.reject(new TypeError("fetch failed", { cause: refused })),
      url: `${SHOP}/api/purchases`,
      timeoutMs: 2000,
    });
    expect(probe).toMatchObject({ ok: false, error: { cause: refused } });
  });
});
