import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

import { createHttpServer } from "../http-server.js";
import type { ShopHttpServer } from "../http-server.js";
import { createTestApp } from "./test-app.js";
import type { TestApp } from "./test-app.js";
import { startTestIssuer } from "./test-issuer.js";
import type { TestIssuer } from "./test-issuer.js";

export interface TestServer {
  issuer: TestIssuer;
  /** A shop that never sold anything, new for each test. */
  shop: TestApp;
  http: ShopHttpServer;
  port: number;
}

/**
 * For the file or describe that calls it, a test issuer, and for each test a fresh test app
 * (`createTestApp`) served by the shop's own HTTP server (`createHttpServer`, with `options`) on
 * a free loopback port: for tests that speak raw HTTP to it. Read its fields inside the tests.
 */
export function serveTestAppPerTest(
  options: Parameters<typeof createHttpServer>[1] = {},
): TestServer {
  const served = {} as TestServer;
  beforeAll(async () => {
    served.issuer = await startTestIssuer();
  }, 120_000);
  beforeEach(async () => {
    served.shop = await createTestApp(served.issuer);
    served.http = createHttpServer(served.shop.app, options);
    await new Promise<void>((resolve) => served.http.server.listen(0, "127.0.0.1", resolve));
    served.port = (served.http.server.address() as AddressInfo).port;
  });
  afterEach(() => served.http.stop());
  afterAll(() => served.issuer.close());
  return served;
}
