import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { lateRequestLine } from "@ciba-testbed/shared/http";
import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { describe, expect, it } from "vitest";

import { createLogger } from "../apps/shop-api/src/logging.js";
import { shopOnServer } from "./support/shop-http-server.js";

// A purchase whose body stops short of its Content-Length was held for Node's 300 s: the shop's
// server bounds a request's arrival (30 s, shortened here) and answers 408 with its JSON error.
describe("the shop's server, given a body that stops short", () => {
  /** `request` written on a connection of its own, which then sends nothing; its 408's body. */
  async function answer408(request: string): Promise<unknown> {
    const { port } = on.http.server.address() as AddressInfo;
    const socket = connect(port, "127.0.0.1");
    const answered = rawAnswerOf(socket);
    socket.write(request);
    const answer = await answered;
    expect(answer).toMatchObject({
      status: 408,
      headers: { "content-type": "application/json; charset=utf-8", connection: "close" },
    });
    return JSON.parse(typeof answer === "string" ? answer : answer.body);
  }
  /** What the server itself logged, as raw JSON text (the app's request log is `on.shop.logs`). */
  const serverLogs: string[] = [];

  const on = shopOnServer({
    logger: createLogger("info", { write: (line: string) => serverLogs.push(line) }),
  });

  it("answers 408 once its time is up, and logs it once, at warn as other client faults", async () => {
    expect(on.http.server.requestTimeout).toBe(30_000);
    expect(on.http.server.headersTimeout).toBe(30_000);
    on.http.server.requestTimeout = 300;
    on.http.server.headersTimeout = 300;
    const token = await on.issuer.mint({});
    const body = await answer408(
      "POST /api/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        `Authorization: Bearer ${token}\r\nIdempotency-Key: stalled-1\r\n` +
        'Content-Length: 100\r\n\r\n{"product"',
    );

    expect(body).toEqual({
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
    expect(serverLogs).toEqual([]);
  });

  // No app sees a request whose headers never end (slowloris), so the request log said nothing.
  it("answers 408 to a request whose headers never end, and logs it once, at warn, without them", async () => {
    const token = await on.issuer.mint({});
    const before = on.shop.logs.length;
    const body = await answer408(
      "POST /api/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        `Authorization: Bearer ${token}\r\nIdempotency-Key: stalled-2`,
    );

    expect(body).toEqual({
      error: "invalid_request",
      error_description: expect.stringMatching(
        /^The request's line and headers did not arrive whole within 0\.3 s: /,
      ),
    });
    expect(serverLogs.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: lateRequestLine({ headersCame: false, remoteAddress: "127.0.0.1", limitSeconds: 0.3 }),
      }),
    ]);
    expect(serverLogs.join("")).not.toContain(token.slice(-20));
    expect(serverLogs.join("")).not.toContain("stalled-2");
    expect(on.shop.logs.slice(before)).toEqual([]);
    expect(await on.shop.orderCount()).toBe(0);
  });
});
