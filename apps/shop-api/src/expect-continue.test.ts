import { connect } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import type { RawAnswer } from "@ciba-testbed/shared/node/raw-answer";
import { describe, expect, it } from "vitest";

import { serveTestAppPerTest } from "./test-support/test-server.js";

// A client that sends `Expect: 100-continue` holds its body back until the server says
// `100 Continue`: the shop says it once the token passed, and to nobody else.

const BODY = JSON.stringify({ product: "XYZ phone", qty: 1 });

const served = serveTestAppPerTest();

/** The head of a purchase that waits for `100 Continue`, its body not sent. */
function head(headers: Record<string, string>, method = "POST", path = "/api/purchases"): string {
  const lines = Object.entries({
    Host: "127.0.0.1",
    "Content-Type": "application/json",
    "Content-Length": String(BODY.length),
    Expect: "100-continue",
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return [`${method} ${path} HTTP/1.1`, ...lines, "", ""].join("\r\n");
}

/**
 * The first answer the server sends on a fresh connection that sent `request`: a `100 Continue`
 * as soon as it comes (the client would now send its body), a final one once the server closed.
 */
function firstAnswer(request: string): Promise<RawAnswer | string> {
  const socket = connect(served.port, "127.0.0.1");
  let text = "";
  const continued = new Promise<string>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.startsWith("HTTP/1.1 100 ") && text.includes("\r\n\r\n")) {
        socket.destroy();
        resolve("100 Continue: the server asked for the body");
      }
    });
  });
  const answer = rawAnswerOf(socket);
  socket.write(request);
  return Promise.race([continued, answer]);
}

describe("Expect: 100-continue", () => {
  it.each([
    ["no token", 401, "invalid_request", {}],
    ["a malformed token", 401, "invalid_token", { Authorization: "Bearer x.y.z" }],
  ])(
    "with %s, the first answer is the final %i %s, and the connection closes",
    async (_name, status, code, headers) => {
      await expect(firstAnswer(head(headers))).resolves.toMatchObject({
        status,
        headers: { connection: "close" },
        body: expect.stringContaining(`"error":"${code}"`) as unknown,
      });
      expect(await served.shop.orderCount()).toBe(0);
    },
  );

  it("with a token signed by another key, the first answer is the final 401", async () => {
    const token = await served.issuer.mint({ foreignKey: true });
    await expect(firstAnswer(head({ Authorization: `Bearer ${token}` }))).resolves.toMatchObject({
      status: 401,
      headers: { connection: "close" },
    });
    expect(await served.shop.orderCount()).toBe(0);
  });

  it("with a good token but no JSON Content-Type, the first answer is the final 415", async () => {
    const token = await served.issuer.mint();
    const request = head({ Authorization: `Bearer ${token}`, "Content-Type": "text/plain" });
    await expect(firstAnswer(request)).resolves.toMatchObject({ status: 415 });
  });

  it("on a route that reads no body, the answer is final and the connection closes", async () => {
    const token = await served.issuer.mint();
    await expect(
      firstAnswer(head({ Authorization: `Bearer ${token}` }, "GET")),
    ).resolves.toMatchObject({
      status: 200,
      headers: { connection: "close" },
    });
  });

  it("with a good token, 100 Continue comes first, and the body then sent buys", async () => {
    const socket = connect(served.port, "127.0.0.1");
    let text = "";
    const closed = new Promise<void>((resolve) => {
      socket.on("close", () => {
        resolve();
      });
    });
    socket.on("data", (chunk: Buffer) => {
      const before = text;
      text += chunk.toString("latin1");
      // The body goes only once the server has asked for it.
      if (!before.includes("\r\n\r\n") && text.includes("\r\n\r\n")) socket.write(BODY);
    });
    socket.write(
      head({ Authorization: `Bearer ${await served.issuer.mint()}`, Connection: "close" }),
    );
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
    expect(await served.shop.orderCount()).toBe(1);
  });
});
