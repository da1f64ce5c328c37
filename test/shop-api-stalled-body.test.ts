import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { describe, expect, it } from "vitest";

import { shopOnServer } from "./support/shop-http-server.js";

// A purchase whose body stops short of its Content-Length was held for Node's 300 s: the shop's
// server bounds a request's arrival (30 s, shortened here) and answers 408 with its JSON error.
describe("the shop's server, given a body that stops short", () => {
  const on = shopOnServer();

  it("answers 408 once its time is up, and logs it once, at warn as other client faults", async () => {
    expect(on.http.server.requestTimeout).toBe(30_000);
    expect(on.http.server.headersTimeout).toBe(30_000);
    on.http.server.requestTimeout = 300;
    on.http.server.headersTimeout = 300;
    const { port } = on.http.server.address() as AddressInfo;
    const token = await on.issuer.mint({});
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
      .poll(() => on.shop.logs.filter((line) => line.includes('"statusCode":408')))
      .toHaveLength(1);
    const records = on.shop.logs.map(
      (line) => JSON.parse(line) as { level: number; res?: unknown },
    );
    expect(records.filter((record) => record.res !== undefined || record.level >= 40)).toEqual([
      expect.objectContaining({ level: 40, res: { statusCode: 408 } }),
    ]);
    expect(await on.shop.orderCount()).toBe(0);
  });
});
