import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createHttpServer } from "../apps/shop-api/src/http-server.js";
import type { ShopHttpServer } from "../apps/shop-api/src/http-server.js";
import { createTestApp } from "../apps/shop-api/src/test-support/test-app.js";
import type { TestApp } from "../apps/shop-api/src/test-support/test-app.js";
import { startTestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";
import type { TestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";

// A purchase whose body stops short of its Content-Length was held for Node's 300 s: the shop's
// server bounds a request's arrival (30 s, shortened here) and answers 408 with its JSON error.
describe("the shop's server, given a body that stops short", () => {
  let issuer: TestIssuer;
  let shop: TestApp;
  let http: ShopHttpServer;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    shop = await createTestApp(issuer);
    http = createHttpServer(shop.app);
    await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
  }, 120_000);
  afterAll(async () => {
    await http.stop();
    await issuer.close();
  });

  it("answers 408 once its time is up, and logs it once, at warn as other client faults", async () => {
    expect(http.server.requestTimeout).toBe(30_000);
    expect(http.server.headersTimeout).toBe(30_000);
    http.server.requestTimeout = 300;
    http.server.headersTimeout = 300;
    const { port } = http.server.address() as AddressInfo;
    const token = await issuer.mint({});
    const socket = connect(port, "127.0.0.1");
    const answered = rawAnswerOf(socket);
    socket.write(
      "POST /api/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        `Authorization: Bearer ${token}\r\nIdempotency-Key: stalled-1\r\n` +
        'Content-Length: 100\r\n\r\n{"product"',
    );
    const answer = await answered;

    expect(answer).toMatchObject({
      status: 408,
      headers: { "content-type": "application/json; charset=utf-8", connection: "close" },
    });
    expect(JSON.parse(typeof answer === "string" ? answer : answer.body)).toEqual({
      error: "invalid_request",
      error_description: expect.stringMatching(/^The request did not arrive whole within 0\.3 s: /),
    });
    await expect
      .poll(() => shop.logs.filter((line) => line.includes('"statusCode":408')))
      .toHaveLength(1);
    const records = shop.logs.map((line) => JSON.parse(line) as { level: number; res?: unknown });
    expect(records.filter((record) => record.res !== undefined || record.level >= 40)).toEqual([
      expect.objectContaining({ level: 40, res: { statusCode: 408 } }),
    ]);
    expect(await shop.orderCount()).toBe(0);
  });
});
