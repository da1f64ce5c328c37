import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createHttpServer } from "./http-server.js";
import type { ShopHttpServer } from "./http-server.js";
import { createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

// The audit's SIGTERM race: 50 purchases with one approval, then the stop. Clients whose
// connections were still in the listening socket's queue got ECONNRESET.

const APPROVAL = {
  authorization_details: [
    { type: "product_purchase", product: "XYZ phone", quantity: 1, currency: "USD" },
  ],
};
const BODY = JSON.stringify({ product: "XYZ phone", qty: 1 });

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A keep-alive connection, open (the kernel has queued it for the server) and read raw. */
function open(port: number): Promise<{
  socket: Socket;
  /** The answer, or the socket error's code; once the connection has closed. */
  ended: Promise<Answer | string>;
}> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const ended = rawAnswerOf(socket).then((answer) =>
      typeof answer === "string"
        ? answer
        : { ...answer, body: JSON.parse(answer.body) as Record<string, unknown> },
    );
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({ socket, ended });
    });
  });
}

const purchase = (token: string, key: string) =>
  [
    "POST /api/purchases HTTP/1.1",
    "Host: 127.0.0.1",
    "Content-Type: application/json",
    `Authorization: Bearer ${token}`,
    `Idempotency-Key: ${key}`,
    `Content-Length: ${String(BODY.length)}`,
    "",
    BODY,
  ].join("\r\n");

const stopping = {
  status: 503,
  headers: expect.objectContaining({ connection: "close", "retry-after": "2" }) as unknown,
  body: {
    error: "temporarily_unavailable",
    error_description:
      "This shop-api is stopping and took no new request: nothing was done. Send the same " +
      "request again (with the same Idempotency-Key) in a moment",
  },
};

let issuer: TestIssuer;
let shop: TestApp;
let http: ShopHttpServer;
let port: number;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer);
  // The grace never ends by itself here: every connection must close because it was answered.
  http = createHttpServer(shop.app, { sleep: () => new Promise(() => undefined) });
  await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
  port = (http.server.address() as AddressInfo).port;
});

describe("a stopping shop", () => {
  it("answers every purchase it was sent, none reset and none a 500, and places one order", async () => {
    const token = await issuer.mint({ claims: APPROVAL });
    // The stop begins as the fifth purchase reaches the app: five under way, the rest not begun.
    let begun = 0;
    let stopped: Promise<void> | undefined;
    http.server.on("request", () => {
      if (++begun === 5) stopped = http.stop();
    });
    const connections = await Promise.all(Array.from({ length: 50 }, () => open(port)));
    connections.forEach(({ socket }, i) => socket.write(purchase(token, `stop-${String(i)}`)));
    const answers = await Promise.all(connections.map(({ ended }) => ended));
    await stopped;

    expect(answers.filter((answer) => typeof answer === "string")).toEqual([]);
    const served = (answers as Answer[]).filter((answer) => answer.status !== 503);
    const refused = (answers as Answer[]).filter((answer) => answer.status === 503);
    // The five under way: one order, and four refused for the approval it used.
    expect(served.map((answer) => answer.status).sort()).toEqual([201, 403, 403, 403, 403]);
    expect(await shop.orderCount()).toBe(1);
    expect(refused).toEqual(refused.map(() => stopping));
    expect(refused).toHaveLength(45);
  });

  it("refuses with 503, Retry-After and Connection: close a request that comes after the stop began", async () => {
    const token = await issuer.mint({ claims: APPROVAL });
    const connections = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const stopped = http.stop();
    connections.forEach(({ socket }, i) => socket.write(purchase(token, `late-${String(i)}`)));

    expect(await Promise.all(connections.map(({ ended }) => ended))).toEqual(
      connections.map(() => stopping),
    );
    await stopped;
    expect(await shop.orderCount()).toBe(0);
  });
});

describe("a CONNECT request", () => {
  it.each(["127.0.0.1:1", "/api/purchases"])(
    "to %s gets 405 method_not_allowed in the JSON error body, not a closed connection",
    async (target) => {
      const { socket, ended } = await open(port);
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(await ended).toEqual({
        status: 405,
        headers: expect.objectContaining({ allow: "", connection: "close" }) as unknown,
        body: {
          error: "method_not_allowed",
          error_description:
            "CONNECT is not served: this is the shop's API, not a proxy. Send GET or POST to a " +
            "path such as /api/purchases (GET /openapi.json lists them)",
        },
      });
      await http.stop();
    },
  );
});
