import { request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { purchaseRequestSchema } from "@ciba-testbed/shared";
import fc from "fast-check";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createTestApp } from "../test-support/test-app.js";
import type { TestApp } from "../test-support/test-app.js";
import { close, startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

let issuer: TestIssuer;
let token: string;
let shop: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  token = await issuer.mint();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer);
});

const post = (body: string, contentType = "application/json") =>
  request(shop.app)
    .post("/api/purchases")
    .set("Authorization", `Bearer ${token}`)
    .set("Content-Type", contentType)
    .send(body);

async function expectNothingWritten() {
  expect(await shop.orderCount()).toBe(0);
  expect(await shop.stockList()).toEqual([50, 10, 500, 1]);
}

describe("POST /api/purchases refuses bad bodies", () => {
  it.each([
    ["qty as a string", { product: "XYZ phone", qty: "2" }, "qty must be a number"],
    ["product as a number", { product: 42, qty: 1 }, "product must be a string"],
    [
      "priceLimit as a string",
      { product: "XYZ phone", qty: 1, priceLimit: "500" },
      "priceLimit must be a number",
    ],
    ["qty 0", { product: "XYZ phone", qty: 0 }, "qty must be at least 1"],
    ["negative qty", { product: "XYZ phone", qty: -3 }, "qty must be at least 1"],
    [
      "fractional qty",
      { product: "XYZ phone", qty: 1.5 },
      "qty must be a whole number, and the JSON body writes it as 1.5; send the number of " +
        "units in digits alone, e.g. 1",
    ],
    ["huge qty", { product: "XYZ phone", qty: 1e12 }, "qty must be at most 1000"],
    ["qty null", { product: "XYZ phone", qty: null }, "qty must be a number"],
    ["missing qty", { product: "XYZ phone" }, "qty is required"],
    ["missing product", { qty: 1 }, "product is required"],
    ["empty product", { product: "   ", qty: 1 }, "product must not be empty"],
    [
      "product name too long",
      { product: "x".repeat(101), qty: 1 },
      "product must be at most 100 characters",
    ],
    [
      "negative priceLimit",
      { product: "XYZ phone", qty: 1, priceLimit: -5 },
      "priceLimit must be at least 0.01 (one cent)",
    ],
    [
      "extra field",
      { product: "XYZ phone", qty: 1, color: "red" },
      "Unrecognized key(s) in object: 'color'",
    ],
    [
      "access_token in the body",
      { product: "XYZ phone", qty: 1, access_token: "x" },
      "Unrecognized key(s) in object: 'access_token'",
    ],
    ["a JSON array", [{ product: "XYZ phone", qty: 1 }], "Expected object, received array"],
    ["an empty object", {}, "product is required; qty is required"],
  ])("%s -> 400", async (_name, body, message) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description: `Invalid purchase: ${message}`,
    });
    await expectNothingWritten();
  });

  it.each([
    ["not JSON at all", "product=XYZ&qty=1", "application/json", 400, "invalid_request"],
    ["truncated JSON", '{"product":"XYZ phone","qty":', "application/json", 400, "invalid_request"],
    [
      "a bare JSON string (not an object)",
      '"XYZ phone"',
      "application/json",
      400,
      "invalid_request",
    ],
    ["a bare JSON number", "1", "application/json", 400, "invalid_request"],
    [
      "form-encoded",
      "product=XYZ+phone&qty=1",
      "application/x-www-form-urlencoded",
      415,
      "unsupported_media_type",
    ],
    ["text/plain", '{"product":"XYZ phone","qty":1}', "text/plain", 415, "unsupported_media_type"],
    [
      "JSON in Latin-1",
      '{"product":"XYZ phone","qty":1}',
      "application/json; charset=latin1",
      415,
      "unsupported_media_type",
    ],
    // body-parser would decode these UTF-8 bytes as UTF-16: other text, then "not JSON".
    [
      "JSON labelled UTF-16",
      '{"product":"XYZ phone","qty":1}',
      "application/json; charset=utf-16",
      415,
      "unsupported_media_type",
    ],
  ])("%s -> %i %s", async (_name, body, contentType, status, error) => {
    const res = await post(body, contentType);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    if (status === 400) {
      expect(res.body.error_description).toBe("The request body is not a valid JSON object");
    }
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    await expectNothingWritten();
  });

  // body-parser would read the bad bytes as U+FFFD and go on: a product name the client never sent.
  it.each([
    ["bytes that are not UTF-8", Buffer.from([0xff, 0xfe])],
    ["a lone UTF-16 surrogate, UTF-8 encoded", Buffer.from([0xed, 0xa0, 0x80])],
    ["a truncated sequence", Buffer.from([0xe2, 0x82])],
  ])("%s in a JSON body -> 400 naming UTF-8", async (_name, bad) => {
    const body = Buffer.concat([
      Buffer.from('{"product":"XYZ phone'),
      bad,
      Buffer.from('","qty":1}'),
    ]);
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .set("Content-Type", "application/json")
      // As the bytes are, not as superagent would serialize a Buffer for JSON.
      .serialize((bytes: unknown) => bytes as string)
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description:
        "The request body is not valid UTF-8 (RFC 8259 section 8.1): send its text UTF-8 encoded",
    });
    await expectNothingWritten();
  });

  it("JSON nested deeper than 32 levels -> 400 invalid_request, nothing written", async () => {
    const res = await post(
      `{"product":"XYZ phone","qty":1,"note":${"[".repeat(33)}${"]".repeat(33)}}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description:
        "The request body nests arrays and objects more than 32 levels deep; no parameter " +
        "needs that many: send a flatter body",
    });
    await expectNothingWritten();
  });

  // JSON.parse keeps the last of a repeated key: {"qty":1,"qty":5} bought 5, where a reader
  // that takes the first (a gateway, a log) saw 1.
  it.each([
    ['{"product":"XYZ phone","qty":1,"qty":5}', "qty"],
    ['{"qty":1,"product":"XYZ phone","\\u0071ty":5}', "qty"],
    ['{"product":"USB-C cable","product":"XYZ phone","qty":1}', "product"],
    ['{"product":"XYZ phone","qty":1,"priceLimit":1,"priceLimit":5000}', "priceLimit"],
  ])("refuses a key given twice, naming it, and buys nothing: %s", async (body, key) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description: `Invalid purchase: ${key} is given more than once in the JSON body, and a reader may take either value; send each key once`,
    });
    await expectNothingWritten();
  });

  it.each([
    ["0.99999999999999999", "1"],
    ["1.00000000000000001", "1"],
    ["4.9999999999999999e0", "5"],
    ["2999999999999999999e-18", "3"],
  ])(
    "refuses qty %s, which JSON.parse rounds to %s, and buys nothing",
    async (written, rounded) => {
      const res = await post(`{"product":"XYZ phone","qty":${written}}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: "invalid_request",
        error_description:
          `Invalid purchase: qty must be a whole number, and the JSON body writes it as ` +
          `${written}, which JSON.parse would round to ${rounded}; send the number of units in ` +
          "digits alone, e.g. 1",
      });
      await expectNothingWritten();
    },
  );

  it.each([
    ["2.0", 2],
    ["2e0", 2],
    ["20E-1", 2],
    ["0.3e1", 3],
  ])("takes qty %s, a whole number however JSON writes it", async (written, qty) => {
    const res = await post(`{"product":"XYZ phone","qty":${written}}`);
    expect(res.status).toBe(201);
    expect(res.body.qty).toBe(qty);
  });

  // JSON.parse makes the nearest double of a limit: 498.999999999999999999 became 499, and the
  // 499.00 USD XYZ phone was bought under a limit written below its price.
  it.each([
    ["498.999999999999999999", "499", "498.99"],
    ["4.98999999999999999999e2", "499", "498.99"],
    ["0.0099999999999999999999", "0.01", "0.00"],
    // Refused even where the price is under both: what is allowed must not hang on the reader.
    ["499.009999999999999999", "499.01", "499.00"],
  ])(
    "refuses priceLimit %s, which JSON.parse reads as %s, and buys nothing",
    async (written, read, cents) => {
      const res = await post(`{"product":"XYZ phone","qty":1,"priceLimit":${written}}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: "invalid_request",
        error_description:
          `Invalid purchase: the JSON body writes priceLimit as ${written}, which JSON.parse ` +
          `reads as ${read}, not the limit written; send the limit in whole cents, e.g. ${cents}`,
      });
      await expectNothingWritten();
    },
  );

  it.each(["499", "499.000", "4.99E2", "499.0000000000000000001"])(
    "takes priceLimit %s, which allows what it writes: the 499.00 USD phone",
    async (written) => {
      const res = await post(`{"product":"XYZ phone","qty":1,"priceLimit":${written}}`);
      expect(res.status).toBe(201);
      expect(await shop.orderCount()).toBe(1);
    },
  );

  it("reads a body after a byte order mark as JSON.parse does: a repeated key, a qty below one", async () => {
    const repeated = await post('\ufeff{"product":"XYZ phone","qty":1,"qty":5}');
    expect(repeated.status).toBe(400);
    expect(repeated.body.error_description).toBe(
      "Invalid purchase: qty is given more than once in the JSON body, and a reader may take " +
        "either value; send each key once",
    );
    const inexact = await post('\ufeff{"product":"XYZ phone","qty":0.99999999999999999}');
    expect(inexact.status).toBe(400);
    expect(inexact.body.error_description).toMatch(/^Invalid purchase: qty must be a whole number/);
    await expectNothingWritten();
    const plain = await post('\ufeff{"product":"XYZ phone","qty":2}');
    expect(plain.status).toBe(201);
    expect(plain.body.qty).toBe(2);
  });

  it.each(["application/json; charset=utf8", 'application/json; charset="UTF8"'])(
    "takes a body labelled with UTF-8's other name: %s",
    async (contentType) => {
      const res = await post('{"product":"XYZ phone","qty":1}', contentType);
      expect(res.status).toBe(201);
      expect(await shop.orderCount()).toBe(1);
    },
  );

  it("no body at all -> 400", async () => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/A JSON body is required/);
    await expectNothingWritten();
  });

  it("oversized body -> 413 invalid_request, as in every app of the testbed", async () => {
    const res = await post(
      JSON.stringify({ product: "XYZ phone", qty: 1, pad: "x".repeat(11_000) }),
    );
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description: "The request body is larger than 10kb",
    });
    await expectNothingWritten();
  });

  it("malformed Idempotency-Key -> 400", async () => {
    for (const key of ["has space", "x".repeat(256), "\u00e9t\u00e9"]) {
      const res = await post(JSON.stringify({ product: "XYZ phone", qty: 1 })).set(
        "Idempotency-Key",
        key,
      );
      expect(res.status, key).toBe(400);
      expect(res.body.error_description).toMatch(/Idempotency-Key/);
    }
    await expectNothingWritten();
  });

  it("takes the draft's quoted Idempotency-Key as the same key as the bare one", async () => {
    const body = JSON.stringify({ product: "USB-C cable", qty: 1 });
    const quoted = await post(body).set("Idempotency-Key", '"order-\\"7\\""');
    const bare = await post(body).set("Idempotency-Key", 'order-"7"');
    expect([quoted.status, bare.status]).toEqual([201, 201]);
    expect(bare.headers["idempotent-replayed"]).toBe("true");
    expect(bare.body.id).toBe(quoted.body.id);
    expect(await shop.orderCount()).toBe(1);
  });

  it("refuses two Idempotency-Key headers, saying so", async () => {
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .set("Content-Type", "application/json")
      // superagent sends an array as two headers; its types allow arrays for Cookie only.
      .set("Idempotency-Key", ["one", "two"] as unknown as string)
      .send(JSON.stringify({ product: "USB-C cable", qty: 1 }));
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe("Send one Idempotency-Key header; this request had 2");
    await expectNothingWritten();
  });

  it.each([
    ["the same type twice", ["application/json", "application/json"]],
    ["JSON, then text", ["application/json", "text/plain"]],
  ])("refuses two Content-Type headers (%s), saying so", async (_name, types) => {
    // Sent raw: superagent sends one Content-Type at most.
    const server = await new Promise<Server>((resolve) => {
      const listening = shop.app.listen(0, "127.0.0.1", () => {
        resolve(listening);
      });
    });
    const body = JSON.stringify({ product: "USB-C cable", qty: 1 });
    const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const sent = httpRequest(
        {
          port: (server.address() as AddressInfo).port,
          host: "127.0.0.1",
          method: "POST",
          path: "/api/purchases",
          // As an array Node sends them as they are, and no Host of its own.
          headers: [
            "Host",
            "127.0.0.1",
            "Authorization",
            `Bearer ${token}`,
            ...types.flatMap((type) => ["Content-Type", type]),
            "Content-Length",
            String(Buffer.byteLength(body)),
          ],
        },
        (response) => {
          let text = "";
          response.on("data", (chunk: Buffer) => (text += chunk.toString()));
          response.on("end", () => {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
          });
        },
      );
      sent.on("error", reject);
      sent.end(body);
    }).finally(() => close(server));
    expect(answer).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        error_description: "Send one Content-Type header; this request had 2",
      },
    });
    await expectNothingWritten();
  });

  it.each([
    ["the same token twice", () => [`Bearer ${token}`, `Bearer ${token}`]],
    ["a valid token, then another", () => [`Bearer ${token}`, "Bearer a.b.c"]],
    ["another token, then a valid one", () => ["Bearer a.b.c", `Bearer ${token}`]],
  ])("refuses two Authorization headers (%s), saying so", async (_name, headers) => {
    for (const [method, path] of [
      ["post", "/api/purchases"],
      ["get", "/api/purchases"],
    ] as const) {
      const res = await request(shop.app)
        [method](path)
        // Two headers, as superagent sends an array (its types allow arrays for Cookie only).
        .set("Authorization", headers() as unknown as string)
        .set("Content-Type", "application/json")
        .send(JSON.stringify({ product: "USB-C cable", qty: 1 }));
      expect([res.status, res.body]).toEqual([
        400,
        {
          error: "invalid_request",
          error_description: "Send one Authorization header; this request had 2",
        },
      ]);
      expect(res.headers["www-authenticate"]).toMatch(
        /^Bearer realm="api", error="invalid_request"/,
      );
    }
    await expectNothingWritten();
  });

  // What a proxy makes of two Authorization headers (RFC 9110 section 5.3): one value, joined
  // by a comma. Read as one token it has five segments, and was called an encrypted one.
  it.each([
    ["the same token twice", () => `Bearer ${token}, Bearer ${token}`],
    ["without a space", () => `Bearer ${token},Bearer ${token}`],
    ["a valid token, then another", () => `Bearer ${token}, Bearer a.b.c`],
    ["another token, then a valid one", () => `Bearer a.b.c, Bearer ${token}`],
    ["another scheme, then a token", () => `Basic YTpi, Bearer ${token}`],
    ["a token and a trailing comma", () => `Bearer ${token},`],
    ["two tokens joined by a space", () => `Bearer ${token} Bearer ${token}`],
  ])(
    "refuses two credentials in one Authorization header (%s), saying so",
    async (_name, header) => {
      for (const [method, path] of [
        ["post", "/api/purchases"],
        ["get", "/api/purchases"],
      ] as const) {
        const res = await request(shop.app)
          [method](path)
          .set("Authorization", header())
          .set("Content-Type", "application/json")
          .send(JSON.stringify({ product: "USB-C cable", qty: 1 }));
        expect([res.status, res.body]).toEqual([
          400,
          {
            error: "invalid_request",
            error_description:
              "Send one Authorization header with one token; this one holds several, joined by a " +
              "comma as a proxy joins two Authorization headers",
          },
        ]);
        expect(res.headers["www-authenticate"]).toMatch(
          /^Bearer realm="api", error="invalid_request"/,
        );
      }
      await expectNothingWritten();
    },
  );

  it.each([
    ["unknown product", { product: "Flux capacitor", qty: 1 }, 422, "unknown_product"],
    ["more than in stock", { product: "ABC laptop", qty: 11 }, 409, "insufficient_stock"],
    [
      "total above priceLimit",
      { product: "XYZ phone", qty: 2, priceLimit: 998 - 0.01 },
      422,
      "price_limit_exceeded",
    ],
  ])("%s, nothing written", async (_name, body, status, error) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    await expectNothingWritten();
  });

  it("compares money in cents: a priceLimit equal to the total passes", async () => {
    // 3 x 9.99 is 29.970000000000002 in floating point.
    const res = await post(JSON.stringify({ product: "USB-C cable", qty: 3, priceLimit: 29.97 }));
    expect(res.status).toBe(201);
    expect(res.body.total).toBe(29.97);
  });
});

/** Bodies that look like purchases, with every field sometimes wrong, missing or extra. */
const nearlyValid = fc.record(
  {
    product: fc.oneof(
      fc.constantFrom("XYZ phone", "xyz-phone", "XYZ phones", "Last one", "ABC laptop", "nope"),
      fc.string({ maxLength: 120 }),
      fc.anything(),
    ),
    qty: fc.oneof(fc.integer({ min: -5, max: 1_005 }), fc.double(), fc.anything()),
    priceLimit: fc.oneof(fc.double({ min: -10, max: 2_000_000 }), fc.anything()),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

const plausible = fc.record(
  {
    product: fc.constantFrom("XYZ phone", "USB-C cable", "Last one", "nope"),
    qty: fc.integer({ min: 1, max: 20 }),
    priceLimit: fc.integer({ min: 1, max: 20_000 }),
  },
  { requiredKeys: ["product", "qty"] },
);

const anyBody = fc.oneof(
  plausible.map((body) => JSON.stringify(body)),
  nearlyValid.map((body) => JSON.stringify(body)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  // JSON.stringify(undefined) is undefined at run time: then no body is sent.
  fc.anything().map((value) => (JSON.stringify(value) as string | undefined) ?? ""),
  fc.string({ maxLength: 200 }),
);

describe("property: random bodies", () => {
  it("never answer 5xx and never create an order from an invalid body", async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(anyBody, async (text) => {
        const before = await shop.orderCount();
        const res = await post(text);
        statuses.add(res.status);
        expect(res.status).toBeLessThan(500);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(typeof res.body.error === "string" || res.status === 201).toBe(true);

        let parsed: unknown;
        let isJson = true;
        try {
          parsed = JSON.parse(text);
        } catch {
          isJson = false;
        }
        const valid =
          isJson && typeof parsed === "object" && purchaseRequestSchema.safeParse(parsed).success;
        if (!valid) {
          expect(res.status).toBe(400);
          expect(await shop.orderCount()).toBe(before);
        } else {
          expect([201, 403, 409, 422]).toContain(res.status);
          expect(await shop.orderCount()).toBe(before + (res.status === 201 ? 1 : 0));
        }
        for (const stock of await shop.stockList()) expect(stock).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
    // The run exercised both sides: refusals and real orders.
    expect(statuses).toContain(400);
    expect(statuses).toContain(201);
  });
});
