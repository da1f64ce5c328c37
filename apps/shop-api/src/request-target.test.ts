import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createHttpServer } from "./http-server.js";
import type { ShopHttpServer } from "./http-server.js";
import { createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

const BODY = JSON.stringify({ product: "XYZ phone", qty: 1 });

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
  http = createHttpServer(shop.app);
  await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
  port = (http.server.address() as AddressInfo).port;
  return () => http.stop();
});

/** `lines` sent as they are, on a connection the server closes after its answer. */
async function send(lines: string[], body = "") {
  const socket = connect(port, "127.0.0.1");
  const answer = rawAnswerOf(socket);
  socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  const got = await answer;
  if (typeof got === "string") throw new Error(`no answer: ${got}`);
  return got;
}

/** A purchase with an approved token, its request line and Host as given. */
async function purchase(requestLine: string, host: string) {
  const token = await issuer.mint();
  return send(
    [
      requestLine,
      `Host: ${host}`,
      "Connection: close",
      "Content-Type: application/json",
      `Authorization: Bearer ${token}`,
      `Content-Length: ${String(BODY.length)}`,
    ],
    BODY,
  );
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

// An HTTP/1.0 request may come without Host (RFC 9112 section 3.3): the routes behind the token
// library answered it 400 "Invalid Host header", a header it had not sent.
describe("an HTTP/1.0 request without Host", () => {
  it("buys with an approved token, once, as with a Host", async () => {
    const token = await issuer.mint();
    const purchase = [
      "POST /api/purchases HTTP/1.0",
      "Content-Type: application/json",
      `Authorization: Bearer ${token}`,
      "Idempotency-Key: http10",
      `Content-Length: ${String(BODY.length)}`,
    ];
    const answer = await send(purchase, BODY);
    expect(answer.status).toBe(201);
    expect(json(answer.body)).toMatchObject({ product: { id: "xyz-phone" }, qty: 1 });
    const again = await send(purchase, BODY);
    expect(again.status).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(await shop.orderCount()).toBe(1);
  });

  it("lists the caller's orders", async () => {
    const token = await issuer.mint();
    const answer = await send(["GET /api/purchases HTTP/1.0", `Authorization: Bearer ${token}`]);
    expect({ status: answer.status, body: json(answer.body) }).toEqual({
      status: 200,
      body: { orders: [], next_cursor: null },
    });
  });
});

describe("a Host the token library cannot use", () => {
  it.each(["a/b", "shop.example:99999", "http://shop.example"])(
    "is 400 saying what a Host must be: %s",
    async (host) => {
      const answer = await purchase("POST /api/purchases HTTP/1.1", host);
      expect({ status: answer.status, body: json(answer.body) }).toEqual({
        status: 400,
        body: {
          error: "invalid_request",
          error_description:
            "The Host header must be the host name or IP address the request was sent to, with an optional port up to 65535 (RFC 9110 section 7.2): no scheme, path or other characters",
        },
      });
      expect(await shop.orderCount()).toBe(0);
    },
  );
});

// RFC 9112 section 3.2.4: `*` asks about the server as a whole, and only OPTIONS may use it.
describe("the asterisk form", () => {
  it("answers OPTIONS * with the methods the shop serves", async () => {
    const answer = await send(["OPTIONS * HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]);
    expect(answer.status).toBe(200);
    expect(answer.headers.allow).toBe("GET, HEAD, POST");
  });

  it.each(["GET", "POST", "DELETE"])("refuses %s * with 400, buying nothing", async (method) => {
    const answer = await purchase(`${method} * HTTP/1.1`, "127.0.0.1");
    expect({ status: answer.status, body: json(answer.body) }).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        error_description: `The request target * is for OPTIONS only (RFC 9112 section 3.2.4); send ${method} to a path such as /api/purchases`,
      },
    });
    expect(await shop.orderCount()).toBe(0);
  });
});

describe("a request target in absolute form", () => {
  // Served as its path with the host it names (README): a port no host has is not a host.
  it("refuses a port past 65535 with 400", async () => {
    const answer = await send([
      "GET http://shop.example:99999/api/products HTTP/1.1",
      "Host: shop.example",
      "Connection: close",
    ]);
    expect({ status: answer.status, body: json(answer.body) }).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        error_description:
          "The request target must be a path such as /api/purchases, or an http URL with a host and an optional port (RFC 9112 section 3.2)",
      },
    });
  });
});
