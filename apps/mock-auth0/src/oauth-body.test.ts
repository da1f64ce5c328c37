import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";

import express, { urlencoded } from "express";
import type { ErrorRequestHandler, Express } from "express";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { oauthBody, parseForm } from "./oauth-body.js";

const LIMIT = 20 * 1024;

/** `req.body` as each reader leaves it, or the error's status and type (also kept in `seen`). */
function echo(reader: express.RequestHandler, seen: string[] = []): Express {
  const app = express();
  app.post("/", reader, (req, res) => {
    const body: unknown = req.body;
    // No body read: Express 5 leaves req.body undefined.
    const prototype = body !== undefined && Object.getPrototypeOf(body) === null;
    res.json({ body, prototype });
  });
  const answerError: ErrorRequestHandler = (
    error: { status?: number; type?: string },
    _req,
    res,
    _next,
  ) => {
    seen.push(error.type ?? "unknown");
    res.status(error.status ?? 500).json({ error: error.type ?? "unknown" });
  };
  app.use(answerError);
  return app;
}

const fast = echo(oauthBody(LIMIT));
// What the tenant used before, and still uses for every other body.
const reference = echo(urlencoded({ extended: false, limit: LIMIT }));

async function both(body: string | Buffer, headers: Record<string, string>) {
  const send = (app: Express) => {
    const req = request(app).post("/");
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    // As written: superagent would otherwise encode a Buffer as a form for this content type.
    return req.serialize((raw: unknown) => raw as string).send(body);
  };
  const [ours, theirs] = await Promise.all([send(fast), send(reference)]);
  return { ours: [ours.status, ours.body], theirs: [theirs.status, theirs.body] };
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

/** Form text from pieces that parsers treat specially, and ordinary ones. */
const formText = fc
  .array(
    fc.constantFrom(
      "a",
      "b",
      "scope",
      "=",
      "&",
      "+",
      "%",
      "%20",
      "%2B",
      "%26",
      "%3D",
      "%E2%82%AC",
      "%E0%A4%A",
      "%ZZ",
      "[",
      "]",
      "%5B",
      "%5d",
      "[]",
      "__proto__",
      "constructor",
      "0",
      "é",
      " ",
    ),
    { maxLength: 24 },
  )
  .map((pieces) => pieces.join(""));

describe("oauthBody: the tenant's OAuth request bodies", () => {
  it("reads a form into the same req.body as body-parser's urlencoded({ extended: false })", async () => {
    await fc.assert(
      fc.asyncProperty(formText, async (text) => {
        const { ours, theirs } = await both(text, FORM);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it("matches body-parser on the forms OAuth clients send", async () => {
    const forms = [
      "grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=abc&client_id=x&client_secret=y",
      "scope=openid+product%3Abuy&binding_message=Do+you+want+to+buy+2+XYZ+phones&login_hint=%7B%22format%22%3A%22iss_sub%22%7D",
      "client_id=a&client_id=b",
      "a&b=&=c&&d=1",
      "",
    ];
    for (const form of forms) {
      const { ours, theirs } = await both(form, FORM);
      expect(ours, form).toEqual(theirs);
    }
    const withCharset = await both("a=%E2%82%AC", {
      "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
    });
    expect(withCharset.ours).toEqual([200, { body: { a: "€" }, prototype: false }]);
    expect(withCharset.ours).toEqual(withCharset.theirs);
  });

  it("refuses what body-parser refuses, with its status and type", async () => {
    const tooMany = Array.from({ length: 1001 }, (_, i) => `p${String(i)}=1`).join("&");
    expect((await both(tooMany, FORM)).ours).toEqual([413, { error: "parameters.too.many" }]);
    expect((await both("a=".padEnd(LIMIT + 1, "x"), FORM)).ours).toEqual([
      413,
      { error: "entity.too.large" },
    ]);
    const latin1 = await both("a=1", {
      "Content-Type": "application/x-www-form-urlencoded; charset=koi8-r",
    });
    expect(latin1.ours).toEqual([415, { error: "charset.unsupported" }]);
    expect(latin1.ours).toEqual(latin1.theirs);
  });

  it("refuses a charset body-parser would read as other text, where body-parser decodes it", async () => {
    // "café" in UTF-8, labelled ISO-8859-1: body-parser reads it as "cafÃ©".
    const mislabelled = await both("name=caf%C3%A9", {
      "Content-Type": 'application/x-www-form-urlencoded; charset="ISO-8859-1"',
    });
    expect(mislabelled.theirs).toEqual([
      200,
      { body: { name: "caf\u00c3\u00a9" }, prototype: false },
    ]);
    expect(mislabelled.ours).toEqual([415, { error: "charset.unsupported" }]);
    const utf16 = await request(fast)
      .post("/")
      .set("Content-Type", "application/json; charset=utf-16")
      .send('{"auth_req_id":"abc"}');
    expect([utf16.status, utf16.body]).toEqual([415, { error: "charset.unsupported" }]);
  });

  it("leaves compressed forms, JSON and other bodies to body-parser", async () => {
    const gzipped = await both(gzipSync("a=1&b=2"), { ...FORM, "Content-Encoding": "gzip" });
    expect(gzipped.ours).toEqual([200, { body: { a: "1", b: "2" }, prototype: false }]);
    const json = await request(fast)
      .post("/")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ auth_req_id: "abc", authorization_details: [{ type: "x" }] }));
    expect(json.body).toEqual({
      body: { auth_req_id: "abc", authorization_details: [{ type: "x" }] },
      prototype: false,
    });
    const broken = await request(fast).post("/").set("Content-Type", "application/json").send("{");
    expect(broken.body).toEqual({ error: "entity.parse.failed" });
    // Bytes that are not UTF-8 would be read as U+FFFD: a binding message nobody sent.
    const notUtf8 = await request(fast)
      .post("/")
      .set("Content-Type", "application/json")
      .serialize((bytes: unknown) => bytes as string)
      .send(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])); // {"a":"\xff"}
    expect([notUtf8.status, notUtf8.body]).toEqual([400, { error: "encoding.invalid_utf8" }]);
  });

  it("refuses a body of a type it does not read, naming it, rather than reading no parameters", async () => {
    const seen: string[] = [];
    const app = echo(oauthBody(LIMIT), seen);
    const send = (type: string | undefined, body: string) => {
      const req = request(app).post("/");
      if (type !== undefined) req.set("Content-Type", type);
      return req.serialize((raw: unknown) => raw as string).send(body);
    };
    const params = "client_id=a&client_secret=b";
    for (const type of [
      "text/plain;charset=UTF-8",
      "multipart/form-data; boundary=x",
      "application/jwt",
    ]) {
      const answer = await send(type, params);
      expect([answer.status, answer.body], type).toEqual([415, { error: "entity.refused" }]);
    }
    // No Content-Type: Node's fetch with a string body, urllib with bytes.
    const untyped = await request(app)
      .post("/")
      .set("Content-Length", String(params.length))
      .serialize((raw: unknown) => raw as string)
      .send(params)
      .unset("Content-Type");
    expect([untyped.status, untyped.body]).toEqual([415, { error: "entity.refused" }]);
    // A request with no body is answered for the parameters it lacks, as before.
    const empty = await request(app).post("/").set("Content-Type", "text/plain").send("");
    expect([empty.status, empty.body]).toEqual([200, { prototype: false }]);
  });

  it("refuses JSON sent as a form, and a JSON array, as not parameters", async () => {
    const app = echo(oauthBody(LIMIT));
    const json = JSON.stringify({ client_id: "a", client_secret: "b", scope: "openid" });
    const asForm = await request(app)
      .post("/")
      .set("Content-Type", FORM["Content-Type"])
      .serialize((raw: unknown) => raw as string)
      .send(json);
    expect([asForm.status, asForm.body]).toEqual([400, { error: "entity.refused" }]);
    const gzippedAsForm = await request(app)
      .post("/")
      .set({ ...FORM, "Content-Encoding": "gzip" })
      .serialize((raw: unknown) => raw as string)
      .send(gzipSync(json));
    expect([gzippedAsForm.status, gzippedAsForm.body]).toEqual([400, { error: "entity.refused" }]);
    const array = await request(app).post("/").set("Content-Type", "application/json").send("[1]");
    expect([array.status, array.body]).toEqual([400, { error: "entity.parse.failed" }]);
  });

  it("parses the usual form without qs and gives each repeated key an array", () => {
    expect(parseForm("a=1&b=x+y&a=2&a=3&c")).toEqual({ a: ["1", "2", "3"], b: "x y", c: "" });
    expect(parseForm("v=%E0%A4%A")).toEqual({ v: "%E0%A4%A" });
  });

  it("reports a client that goes away mid-body as request.aborted, and keeps serving", async () => {
    const seen: string[] = [];
    const server = echo(oauthBody(LIMIT), seen).listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, "127.0.0.1");
      await once(socket, "connect");
      socket.write(
        "POST / HTTP/1.1\r\nHost: localhost\r\n" +
          "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=1",
      );
      await new Promise((resolve) => setImmediate(resolve));
      socket.destroy();
      await expect.poll(() => seen).toEqual(["request.aborted"]);
      const after = await request(server).post("/").type("form").send("a=2");
      expect(after.body).toEqual({ body: { a: "2" }, prototype: false });
    } finally {
      server.close();
    }
  });
});
