import { request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { close, startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

let issuer: TestIssuer;
let shop: TestApp;
let server: Server;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer);
  server = await new Promise<Server>((resolve) => {
    const listening = shop.app.listen(0, "127.0.0.1", () => {
      resolve(listening);
    });
  });
  return () => close(server);
});

/** One request with the target exactly as given: Node's client sends an absolute URL as is. */
function send(
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number | undefined; body: Record<string, unknown> }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path: target, headers, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("a request target in absolute form (RFC 9112 section 3.2.2)", () => {
  it("buys and lists as the same request in origin form would", async () => {
    const token = await issuer.mint();
    const headers = { host: "127.0.0.1", authorization: `Bearer ${token}` };
    const bought = await send(
      "POST",
      "http://shop.example/api/purchases",
      { ...headers, "content-type": "application/json", "idempotency-key": "absolute-1" },
      JSON.stringify({ product: "XYZ phone", qty: 1 }),
    );
    expect(bought.status).toBe(201);
    const listed = await send("GET", "http://shop.example:8080/api/purchases?limit=1", headers);
    expect(listed.status).toBe(200);
    expect(listed.body.orders).toEqual([bought.body]);
    expect(await shop.orderCount()).toBe(1);
  });

  it.each([
    ["another scheme", "ftp://shop.example/api/purchases"],
    ["no host", "http:///api/purchases"],
    ["user information", "http://user@shop.example/api/purchases"],
  ])("refuses %s with 400 naming the forms it takes", async (_name, target) => {
    const token = await issuer.mint();
    const res = await send("GET", target, {
      host: "127.0.0.1",
      authorization: `Bearer ${token}`,
    });
    expect(res).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        error_description:
          "The request target must be a path such as /api/purchases, or an http URL with a " +
          "host and an optional port (RFC 9112 section 3.2)",
      },
    });
  });
});
