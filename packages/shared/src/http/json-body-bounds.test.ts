import express from "express";
import request from "supertest";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { jsonBodyPastBounds, verifyJsonBody, type JsonBodyBounds } from "./json-body-bounds.js";
import { requestReadError } from "./request-errors.js";

const past = (text: string, bounds: JsonBodyBounds) =>
  jsonBodyPastBounds(Buffer.from(text), bounds);

describe("jsonBodyPastBounds", () => {
  it("counts each array, object and comma outside strings as one element", () => {
    const text = '{"a":[1,2],"b":{}}'; // { [ , , {
    expect(past(text, { maxElements: 5 })).toBeUndefined();
    expect(past(text, { maxElements: 4 })).toBe("elements");
  });

  it("counts nothing inside a string, whatever its escapes", () => {
    // The strings hold [ { , and escaped quotes and backslashes; the text has 3 elements: [ , [
    const text = String.raw`["[{,\"[{,\\",["a\\\"b,{"]]`;
    expect(JSON.parse(text)).toEqual(['[{,"[{,\\', ['a\\"b,{']]);
    expect(past(text, { maxElements: 3 })).toBeUndefined();
    expect(past(text, { maxElements: 2 })).toBe("elements");
  });

  it("needs no decoding: characters past ASCII are never structure", () => {
    const text = '["é,[","日本",{"ü":"€"}]'; // [ , , {
    expect(past(text, { maxElements: 4, maxDepth: 2 })).toBeUndefined();
    expect(past(text, { maxElements: 3 })).toBe("elements");
  });

  it("counts the arrays and objects open at once as the depth", () => {
    expect(past("[[],[{}],[]]", { maxElements: 100, maxDepth: 3 })).toBeUndefined();
    expect(past("[[],[{}],[]]", { maxElements: 100, maxDepth: 2 })).toBe("depth");
    expect(past('{"a":{"b":"[[[["}}', { maxElements: 100, maxDepth: 2 })).toBeUndefined();
    expect(past("[".repeat(1_000_000), { maxElements: 2_000_000, maxDepth: 64 })).toBe("depth");
    expect(past("[".repeat(1_000_000), { maxElements: 2_000_000 })).toBeUndefined();
  });

  it("stops reading at the first bound it goes past", () => {
    // The 11th element is the comma at byte 15; a string past it would be looked for with indexOf.
    const body = Buffer.from(`[${Array<string>(1000).fill("[]").join(",")},"x"]`);
    const indexOf = vi.spyOn(body, "indexOf");
    expect(jsonBodyPastBounds(body, { maxElements: 10 })).toBe("elements");
    expect(indexOf).not.toHaveBeenCalled();
    expect(jsonBodyPastBounds(body, { maxElements: 5000 })).toBeUndefined();
    expect(indexOf).toHaveBeenCalled();
  });

  it("leaves text that is not JSON, such as an unended string, to the parser", () => {
    expect(past('["[[[[', { maxElements: 1, maxDepth: 1 })).toBeUndefined();
  });
});

describe("verifyJsonBody", () => {
  const app = () => {
    const server = express();
    const verify = verifyJsonBody({ maxElements: 4, maxDepth: 2 }, (excess) =>
      excess === "elements"
        ? { status: 413, message: "more than 4 elements" }
        : { status: 400, message: "deeper than 2 levels" },
    );
    server.post("/", express.json({ verify }), (req, res) => res.json(req.body));
    server.use(
      (error: unknown, _req: express.Request, res: express.Response, _next: unknown): void => {
        const read = requestReadError(error, "100kb");
        res.status(read?.status ?? 500).json({ description: read?.description });
      },
    );
    return server;
  };
  const post = (body: string | Buffer) =>
    request(app())
      .post("/")
      .set("Content-Type", "application/json")
      // As they are: superagent would write a Buffer as JSON of its bytes.
      .serialize((bytes: string | Buffer) => bytes as string)
      .send(body);

  it("refuses a body past a bound with the status and message it is given", async () => {
    const parse = vi.spyOn(JSON, "parse");
    onTestFinished(() => {
      parse.mockRestore();
    });
    const many = "[1,2,3,4,5]";
    const deep = "[[[1]]]";
    expect(await post(many)).toMatchObject({
      status: 413,
      body: { description: "more than 4 elements" },
    });
    expect(await post(deep)).toMatchObject({
      status: 400,
      body: { description: "deeper than 2 levels" },
    });
    // Refused from the bytes: neither was parsed.
    const parsed = parse.mock.calls.map(([text]) => text);
    expect(parsed).not.toContain(many);
    expect(parsed).not.toContain(deep);
  });

  it("takes a body within its bounds, and still refuses bytes that are not UTF-8", async () => {
    expect(await post("[[1],2]")).toMatchObject({ status: 200, body: [[1], 2] });
    const latin1 = Buffer.from([0x5b, 0x22, 0xe9, 0x22, 0x5d]); // ["é"] in ISO-8859-1
    expect((await post(latin1)).body.description).toMatch(/not valid UTF-8/);
  });
});
