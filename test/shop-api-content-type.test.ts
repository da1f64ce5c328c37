import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { describe, expect, it } from "vitest";

import { shopOnServer } from "./support/shop-http-server.js";

// A purchase's JSON whose Content-Type held "charset=" inside another parameter's quoted value
// was refused 415 "must be UTF-8 encoded": the shop's server reads the Content-Type as RFC 9110
// section 8.3.1 does, as body-parser does, and answers it as the same JSON sent plainly.
describe("the shop's server, given a Content-Type with a quoted parameter", () => {
  const on = shopOnServer();

  async function purchase(contentType: string, key: string) {
    const { port } = on.http.server.address() as AddressInfo;
    const token = await on.issuer.mint({});
    const body = '{"product":"caf\u00e9","qty":1}';
    const socket = connect(port, "127.0.0.1");
    const answered = rawAnswerOf(socket);
    socket.write(
      `POST /api/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
        `Authorization: Bearer ${token}\r\nIdempotency-Key: ${key}\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const answer = await answered;
    if (typeof answer === "string") throw new Error(`no HTTP answer: ${answer}`);
    return [answer.status, JSON.parse(answer.body) as unknown];
  }

  it("reads the JSON as UTF-8, as it reads it without the parameter", async () => {
    const plain = await purchase("application/json", "plain-1");
    expect(plain[0]).not.toBe(415);
    expect(await purchase('application/json; foo="a; charset=latin1"', "quoted-1")).toEqual(plain);
    expect(await purchase('application/json; foo="a\\"; charset=latin1"', "quoted-2")).toEqual(
      plain,
    );
  });
});
