import { afterAll, beforeAll } from "vitest";

import { createHttpServer } from "../../apps/shop-api/src/http-server.js";
import type { ShopHttpServer } from "../../apps/shop-api/src/http-server.js";
import { createTestApp } from "../../apps/shop-api/src/test-support/test-app.js";
import type { TestApp } from "../../apps/shop-api/src/test-support/test-app.js";
import { startTestIssuer } from "../../apps/shop-api/src/test-support/test-issuer.js";
import type { TestIssuer } from "../../apps/shop-api/src/test-support/test-issuer.js";

export interface ShopOnServer {
  issuer: TestIssuer;
  shop: TestApp;
  http: ShopHttpServer;
}

/**
 * The shop's own HTTP server (`createHttpServer`) on a free loopback port, with a test issuer,
 * for the describe block that calls it: started before its tests, stopped after them; `options`
 * go to `createHttpServer` (its logger, say).
 */
export function shopOnServer(options: Parameters<typeof createHttpServer>[1] = {}): ShopOnServer {
  const started = {} as ShopOnServer;
  beforeAll(async () => {
    started.issuer = await startTestIssuer();
    started.shop = await createTestApp(started.issuer);
    started.http = createHttpServer(started.shop.app, options);
    await new Promise<void>((resolve) => started.http.server.listen(0, "127.0.0.1", resolve));
  }, 120_000);
  afterAll(async () => {
    await started.http.stop();
    await started.issuer.close();
  });
  return started;
}
