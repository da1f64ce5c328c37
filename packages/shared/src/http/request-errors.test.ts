import express from "express";
import type { ErrorRequestHandler } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { requestReadError, requireUtf8Body } from "./request-errors.js";

/** An app that reads a body as the servers do: requireUtf8Body, then body-parser. */
function echo(parser: express.RequestHandler) {
  const app = express();
  app.post("/", requireUtf8Body, parser, (req, res) => {
    res.json({ body: req.body as unknown });
  });
  app.use(((error: { status?: number; type?: string; charset?: string }, _req, res, _next) => {
    res.status(error.status ?? 500).json({ type: error.type, charset: error.charset });
  }) as ErrorRequestHandler);
  return app;
}

describe("requireUtf8Body", () => {
  it.each([
    "application/json",
    // A "charset=" inside another parameter's quoted value is that value's text.
    'application/json; foo="a; charset=latin1"',
    'application/json; foo="a\\"; charset=latin1"',
    // A quoted-pair is the character it quotes (RFC 9110 section 5.6.4).
    'application/json; charset="utf\\-8"',
    'application/json; foo="a; charset=utf8 "; charset=utf8',
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json; charset=utf8",
    'application/json; charset="UTF8"',
    "application/json;charset=utf8; x=y",
  ])("takes JSON labelled %s, and body-parser reads it", async (contentType) => {
    const res = await request(echo(express.json()))
      .post("/")
      .set("Content-Type", contentType)
      .send('{"product":"café"}');
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: { body: { product: "café" } },
    });
  });

  it("takes a form labelled utf8", async () => {
    const res = await request(echo(express.urlencoded()))
      .post("/")
      .set("Content-Type", "application/x-www-form-urlencoded; charset=utf8")
      .send("product=caf%C3%A9");
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: { body: { product: "café" } },
    });
  });

  it.each([
    // The charset after a quoted value that holds "charset=utf-8" is the one body-parser decodes
    // with: this form was read as "cafÃ©".
    'application/x-www-form-urlencoded; foo="a; charset=utf-8 "; charset=ISO-8859-1',
  ])("refuses a form labelled %s before body-parser decodes it", async (contentType) => {
    const res = await request(echo(express.urlencoded()))
      .post("/")
      .set("Content-Type", contentType)
      .send("product=caf%C3%A9");
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 415,
      body: { type: "charset.unsupported", charset: "iso-8859-1" },
    });
  });

  it.each(["latin1", "utf-16", "us-ascii", "utf-8x"])(
    "refuses a body labelled %s before body-parser decodes it",
    async (charset) => {
      const res = await request(echo(express.json()))
        .post("/")
        .set("Content-Type", `application/json; charset=${charset}`)
        .send('{"product":"café"}');
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 415,
        body: { type: "charset.unsupported", charset },
      });
    },
  );
});

describe("requestReadError of a refused charset", () => {
  it.each([
    ["ISO-8859-1", "charset=ISO-8859-1"],
    ["us-ascii", "charset=us-ascii"],
    ['a"b\r\nX-Injected: 1', "another charset"],
    ["x".repeat(41), "another charset"],
  ])("names %j as %s, and the fix", (charset, named) => {
    const refusal = requestReadError(
      Object.assign(new Error("unsupported charset"), {
        status: 415,
        type: "charset.unsupported",
        charset,
      }),
      "64kb",
    );
    expect({ status: refusal?.status, description: refusal?.description }).toEqual({
      status: 415,
      description: `The request body must be UTF-8 encoded, and its Content-Type names ${named}: send charset=utf-8, or no charset (a JSON or form body is read as UTF-8)`,
    });
  });
});
