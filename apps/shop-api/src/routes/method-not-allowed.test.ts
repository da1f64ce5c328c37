import { listRoutes } from "@ciba-testbed/shared/http/express-routes";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestApp } from "../test-support/test-app.js";
import type { TestApp } from "../test-support/test-app.js";
import { startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

/** The methods each path serves, read from the app's router: a new route is covered as it comes. */
function servedMethods(shop: TestApp): Map<string, Set<string>> {
  const served = new Map<string, Set<string>>();
  // `_ALL`: a path's refusal of the methods it does not serve (405), not a route.
  for (const route of listRoutes(shop.app)) {
    if (route.method === "_ALL" || route.mount) continue;
    const known = served.get(route.path) ?? new Set<string>();
    known.add(route.method);
    served.set(route.path, known);
  }
  return served;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const concrete = (path: string) => path.replace(/:\w+/g, "x");

let issuer: TestIssuer;
let shop: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  shop = await createTestApp(issuer, { config: { adminToken: "an-admin-token-for-tests" } });
});
afterAll(async () => {
  await issuer.close();
});

describe("a method a path does not serve (RFC 9110 section 15.5.6)", () => {
  it("knows every route of the shop", () => {
    expect([...servedMethods(shop)].map(([path, methods]) => [path, [...methods]])).toEqual([
      ["/health", ["GET"]],
      ["/ready", ["GET"]],
      ["/openapi.json", ["GET"]],
      ["/api/products", ["GET"]],
      ["/api/products/:product", ["GET"]],
      ["/api/purchases", ["POST", "GET"]],
      ["/api/purchases/:id", ["GET"]],
      ["/admin/orders", ["GET"]],
    ]);
  });

  it("is 405 method_not_allowed with Allow naming the methods the path serves, HEAD with GET", async () => {
    for (const [path, methods] of servedMethods(shop)) {
      const allow = ["GET", "HEAD", "POST"]
        .filter((method) => methods.has(method) || (method === "HEAD" && methods.has("GET")))
        .join(", ");
      for (const method of METHODS.filter((m) => !methods.has(m.toUpperCase()))) {
        const res = await request(shop.app)[method](concrete(path));
        expect([method, path, res.status, res.headers.allow]).toEqual([method, path, 405, allow]);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(res.body).toEqual({
          error: "method_not_allowed",
          error_description: `${method.toUpperCase()} is not served at ${concrete(path)}; it serves ${allow}`,
        });
      }
    }
    expect(await shop.orderCount()).toBe(0);
  });

  it("leaves OPTIONS to Express, which lists the same methods", async () => {
    const res = await request(shop.app).options("/api/purchases");
    expect([res.status, res.headers.allow]).toEqual([200, "GET, HEAD, POST"]);
  });
});
