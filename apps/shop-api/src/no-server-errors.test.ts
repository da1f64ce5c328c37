import type { Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";

import type { Express } from "express";
import { listRoutes } from "@ciba-testbed/shared/http/express-routes";
import type { RouteInfo } from "@ciba-testbed/shared/http/express-routes";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { errors } from "./errors.js";
import { createHttpServer } from "./http-server.js";
import { buildOpenApiDocument } from "./openapi.js";
import { createTestApp } from "./test-support/test-app.js";
import type { TestApp } from "./test-support/test-app.js";
import { close, startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

// Bad input of every kind, to every route, over a real socket: raw bytes, because an HTTP client
// (supertest included) would fix or refuse much of this before sending it. The answer is always
// below 500 and, for an error, the API's JSON error body.

/** Every route the app serves, read from its router: a new route is covered without edits. */
function routesOf(app: Express): RouteInfo[] {
  // `_ALL`: a path's refusal of the methods it does not serve (405), not a route.
  return listRoutes(app).filter((route) => route.method !== "_ALL" && !route.mount);
}

const SAMPLE_PARAMS: Record<string, string> = { product: "xyz-phone", id: "ord-0001" };
const withParams = (path: string, value?: string) =>
  path.replace(/:(\w+)/g, (_match, name: string) => value ?? SAMPLE_PARAMS[name] ?? "x");

/** One raw request. Strings are sent as latin1, so "\xff" is the byte 0xFF. */
interface RawRequest {
  method: string;
  target: string;
  /** Added after the defaults; `null` removes a default header. */
  headers?: Record<string, string | string[] | null>;
  body?: Buffer | string;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

let issuer: TestIssuer;
let shop: TestApp;
let server: Server;
let port: number;
let token: string;
let routes: RouteInfo[];

beforeAll(async () => {
  issuer = await startTestIssuer();
  token = await issuer.mint();
  shop = await createTestApp(issuer, {
    products: [{ id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 1_000_000 }],
  });
  routes = routesOf(shop.app);
  ({ server } = createHttpServer(shop.app));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await close(server);
  await issuer.close();
});

const PURCHASE = JSON.stringify({ product: "XYZ phone", qty: 1 });

function encode(request: RawRequest): Buffer {
  const body =
    typeof request.body === "string" ? Buffer.from(request.body, "latin1") : request.body;
  const headers: Record<string, string | string[] | null> = {
    Host: `127.0.0.1:${port}`,
    Connection: "close",
    Authorization: `Bearer ${token}`,
    ...(body ? { "Content-Type": "application/json", "Content-Length": String(body.length) } : {}),
    ...request.headers,
  };
  const lines = Object.entries(headers).flatMap(([name, value]) =>
    value === null ? [] : [value].flat().map((one) => `${name}: ${one}`),
  );
  const head = [`${request.method} ${request.target} HTTP/1.1`, ...lines, "", ""].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), body ?? Buffer.alloc(0)]);
}

/** Sends bytes on a fresh connection and reads the first final answer (1xx skipped). */
function send(bytes: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error("no answer within 5 s"));
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => {
      // A reset after the answer was read is fine; without one, `close` reports it below.
    });
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const answer = parseAnswer(text);
      if (answer) resolve(answer);
      else reject(new Error(`no HTTP answer, got ${JSON.stringify(text.slice(0, 200))}`));
    });
    // No half-close: Node aborts a request whose client ends its side before the answer.
    // `Connection: close` makes the server close once it has answered.
    socket.write(bytes);
  });
}

function parseAnswer(text: string): RawAnswer | undefined {
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const [statusLine = "", ...lines] = rest.slice(0, end).split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200) continue;
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers["content-length"] ?? rest.length);
    return { status, headers, body: Buffer.from(rest, "latin1").subarray(0, length).toString() };
  }
}

const DOCUMENTED = new Set(
  Object.values(errors.table).map(({ status, code }) => `${status} ${code}`),
);

/**
 * Why an answer breaks the rule (no 5xx; errors as `{error, error_description}` with a status
 * and code the error table, and so the OpenAPI document, lists), if it does.
 */
function problemWith(request: RawRequest, answer: RawAnswer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body}`;
  if (answer.status < 400 || request.method === "HEAD") return undefined;
  if (!(answer.headers["content-type"] ?? "").startsWith("application/json")) {
    return `answered ${answer.status} as ${answer.headers["content-type"]}: ${answer.body}`;
  }
  // Read as the JSON it is, and kept by no cache, as every answer of the shop.
  if (
    answer.headers["x-content-type-options"] !== "nosniff" ||
    answer.headers["cache-control"] !== "no-store"
  ) {
    return `answered ${answer.status} without nosniff and no-store: ${JSON.stringify(answer.headers)}`;
  }
  try {
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    const { error, error_description: description } = body;
    if (typeof error !== "string" || typeof description !== "string" || description === "") {
      return `answered ${answer.status} without an error and a description: ${answer.body}`;
    }
    if (!DOCUMENTED.has(`${answer.status} ${error}`)) {
      return `answered ${answer.status} ${error}, which the error table does not list`;
    }
  } catch {
    return `answered ${answer.status} with a body that is not JSON: ${answer.body}`;
  }
  return undefined;
}

const PARAM_VALUES = [
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%C0%AF",
  "%C0%80",
  "%ED%A0%80",
  "%FF%FE",
  "%00",
  "..",
  "%2e%2e",
  "a%2Fb",
  "\xc0\xaf",
  "\xff",
  "x".repeat(8_000),
];

/** Malformed paths for one route: its parameters replaced, or text added after it. */
function pathCases(route: RouteInfo): [string, string][] {
  const base = withParams(route.path);
  const replaced = route.path.includes(":")
    ? PARAM_VALUES.map((value): [string, string] => [
        `param ${value.slice(0, 20)}`,
        withParams(route.path, value),
      ])
    : [];
  return [
    ...replaced,
    ...PARAM_VALUES.map((value): [string, string] => [
      `suffix ${value.slice(0, 20)}`,
      `${base}/${value}`,
    ]),
    ["trailing %", `${base}%`],
    ["malformed query", `${base}?%ZZ=%E0%A4%A&a[b]=%&access_token`],
    ["dot segments", `/..${base}/../..`],
    ["double slashes", `//${base}//`],
    ["a NUL byte", `${base}\x00`],
    ["a space", `${base}/a b`],
    ["a fragment", `${base}#x`],
    ["an absolute URI", `http://127.0.0.1:${port}${base}`],
    ["an asterisk", "*"],
    ["a path over the header size limit", `${base}/${"a".repeat(20_000)}`],
  ];
}

const gzipBomb = gzipSync(Buffer.alloc(2_000_000, " "));

const ENCODINGS: [string, Record<string, string>, Buffer | string][] = [
  ["gzip that is not gzip", { "Content-Encoding": "gzip" }, "not gzip at all"],
  ["deflate that is not deflate", { "Content-Encoding": "deflate" }, "not deflate at all"],
  ["br that is not br", { "Content-Encoding": "br" }, "not brotli at all"],
  ["truncated gzip", { "Content-Encoding": "gzip" }, gzipSync(PURCHASE).subarray(0, 12)],
  ["gzip labelled deflate", { "Content-Encoding": "deflate" }, gzipSync(PURCHASE)],
  ["br labelled gzip", { "Content-Encoding": "gzip" }, brotliCompressSync(PURCHASE)],
  ["gzip of something not JSON", { "Content-Encoding": "gzip" }, gzipSync("{nope")],
  ["a gzip bomb (2 MB of spaces)", { "Content-Encoding": "gzip" }, gzipBomb],
  ["an unknown encoding", { "Content-Encoding": "x-unknown" }, PURCHASE],
  ["compress", { "Content-Encoding": "compress" }, PURCHASE],
  ["zstd", { "Content-Encoding": "zstd" }, "(\xb5/\xfd junk"],
  ["stacked gzip, gzip", { "Content-Encoding": "gzip, gzip" }, gzipSync(gzipSync(PURCHASE))],
  ["stacked br, deflate", { "Content-Encoding": "br, deflate" }, deflateSync(PURCHASE)],
  ["an empty encoding", { "Content-Encoding": "" }, PURCHASE],
  ["upper-case GZIP (valid)", { "Content-Encoding": "GZIP" }, gzipSync(PURCHASE)],
  [
    "gzip with a bad charset",
    { "Content-Encoding": "gzip", "Content-Type": "application/json; charset=koi8" },
    gzipSync(PURCHASE),
  ],
];

const HEADERS: [string, Record<string, string | string[] | null>, (Buffer | string)?][] = [
  ["Content-Length not a number", { "Content-Length": "abc" }, PURCHASE],
  ["a negative Content-Length", { "Content-Length": "-1" }, PURCHASE],
  ["a Content-Length list", { "Content-Length": "3, 4" }, PURCHASE],
  ["two different Content-Length headers", { "Content-Length": ["3", "4"] }, PURCHASE],
  ["a Content-Length shorter than the body", { "Content-Length": "5" }, PURCHASE],
  ["Content-Length 0 with a body", { "Content-Length": "0" }, PURCHASE],
  [
    "Content-Length and chunked",
    { "Transfer-Encoding": "chunked" },
    `${PURCHASE.length.toString(16)}\r\n${PURCHASE}\r\n0\r\n\r\n`,
  ],
  [
    "a broken chunked body",
    { "Transfer-Encoding": "chunked", "Content-Length": null },
    "zz\r\nxx\r\n0\r\n\r\n",
  ],
  [
    "Transfer-Encoding not chunked",
    { "Transfer-Encoding": "gzip", "Content-Length": null },
    PURCHASE,
  ],
  ["two Authorization headers", { Authorization: ["Bearer x.y.z", "Bearer y"] }],
  ["two Content-Type headers", { "Content-Type": ["text/plain", "application/json"] }, PURCHASE],
  ["two Idempotency-Key headers", { "Idempotency-Key": ["a", "b"] }, PURCHASE],
  ["two Host headers", { Host: ["127.0.0.1", "evil.example"] }],
  ["no Host header", { Host: null }],
  ["a Host with a path", { Host: "evil.example/x" }],
  ["a Host with a bad port", { Host: "127.0.0.1:99999" }],
  ["an unmet Expect", { Expect: "the-unexpected" }, PURCHASE],
  ["Expect: 100-continue", { Expect: "100-continue" }, PURCHASE],
  ["an empty Authorization", { Authorization: "" }],
  ["Authorization: Bearer", { Authorization: "Bearer" }],
  ["Authorization: 'Bearer '", { Authorization: "Bearer " }],
  ["two spaces after Bearer", { Authorization: "Bearer  x.y.z" }],
  ["a token with a space", { Authorization: "Bearer a.b c" }],
  ["Basic", { Authorization: "Basic dXNlcjpwYXNz" }],
  ["DPoP", { Authorization: "DPoP a.b.c" }],
  ["a padded token", { Authorization: "Bearer a.b.c=" }],
  ["latin1 bytes in the token", { Authorization: "Bearer \xff\xfe.\xe9.\xe0" }],
  ["a 12 KB token", { Authorization: `Bearer ${"A".repeat(12_000)}` }],
  ["an unsigned token", { Authorization: "Bearer e30.e30." }],
  ["a TAB after the scheme", { Authorization: "Bearer\tx.y.z" }],
  ["a control character", { Authorization: "Bearer x\x01y" }],
  [
    "a charset this API does not read",
    { "Content-Type": "application/json; charset=latin1" },
    PURCHASE,
  ],
  ["UTF-16", { "Content-Type": "application/json; charset=utf-16" }, PURCHASE],
  ["an unterminated quoted charset", { "Content-Type": 'application/json; charset="' }, PURCHASE],
  ["a Content-Type of semicolons", { "Content-Type": ";;;" }, PURCHASE],
  ["an empty Content-Type", { "Content-Type": "" }, PURCHASE],
  ["text/plain", { "Content-Type": "text/plain" }, PURCHASE],
  ["two charsets", { "Content-Type": "application/json; charset=utf-8; charset=ascii" }, PURCHASE],
  [
    "a form with access_token",
    { "Content-Type": "application/x-www-form-urlencoded" },
    "access_token=a.b.c",
  ],
  ["multipart without a boundary", { "Content-Type": "multipart/form-data; boundary=" }, PURCHASE],
  ["an odd Idempotency-Key", { "Idempotency-Key": "\xff\xfe" }, PURCHASE],
  ["an odd X-Request-Id", { "X-Request-Id": `../${"\xe9".repeat(300)}` }],
];

const OTHER_METHODS = ["HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "BREW"];

function corpus(): [string, RawRequest][] {
  return routes.flatMap((route): [string, RawRequest][] => {
    const target = withParams(route.path);
    const body = route.method === "POST" ? PURCHASE : undefined;
    const name = (what: string) => `${route.method} ${route.path}: ${what}`;
    return [
      ...pathCases(route).map(([what, path]): [string, RawRequest] => [
        name(what),
        { method: route.method, target: path, ...(body ? { body } : {}) },
      ]),
      ...HEADERS.map(([what, headers, withBody]): [string, RawRequest] => {
        const sent = withBody ?? body;
        return [
          name(what),
          { method: route.method, target, headers, ...(sent === undefined ? {} : { body: sent }) },
        ];
      }),
      ...ENCODINGS.map(([what, headers, encoded]): [string, RawRequest] => [
        name(what),
        { method: route.method, target, headers, body: encoded },
      ]),
      ...OTHER_METHODS.map((method): [string, RawRequest] => [
        `${method} ${route.path}`,
        { method, target },
      ]),
    ];
  });
}

describe("no request gets a 5xx", () => {
  it("finds the routes the OpenAPI document lists", () => {
    const documented = Object.entries(
      (buildOpenApiDocument(shop.config) as { paths: Record<string, object> }).paths,
    ).flatMap(([path, item]) =>
      Object.keys(item).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`,
      ),
    );
    expect(routes.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(documented.sort());
  });

  it("answers a corpus of malformed paths, headers and encodings on every route with a JSON 4xx", async () => {
    const cases = corpus();
    const problems: string[] = [];
    const statuses: number[] = [];
    for (const [name, request] of cases) {
      const answer = await send(encode(request));
      const problem = problemWith(request, answer);
      if (problem) problems.push(`${name}: ${problem.slice(0, 300)}`);
      statuses.push(answer.status);
    }
    expect(problems).toEqual([]);
    expect(cases.length).toBeGreaterThan(500);
    // The corpus reaches every layer: Node's parser, the router (405 for a method a path does
    // not serve), the token check, the body.
    expect(new Set(statuses)).toEqual(new Set([200, 201, 400, 401, 404, 405, 413, 415, 417, 431]));
    // Bad input changed nothing: only the requests answered 201 placed an order.
    expect(await shop.orderCount()).toBe(statuses.filter((status) => status === 201).length);
    expect(shop.logs.filter((line) => line.includes('"unexpected error"'))).toEqual([]);
  });

  it("answers the malformed percent-encodings of issue 10 with 400 invalid_request", async () => {
    for (const target of [
      "/api/products/%ZZ",
      "/api/products/%",
      "/api/products/%E0%A4%A",
      "/api/purchases/%C0%AF",
    ]) {
      const answer = await send(encode({ method: "GET", target }));
      expect(answer.status, target).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: "invalid_request",
        error_description:
          "The URL path is not valid percent-encoded UTF-8 (RFC 3986 section 2.1: '%' must be followed by two hex digits, and the bytes must form UTF-8); encode each path segment with encodeURIComponent",
      });
    }
  });

  it.each(["gzip", "deflate", "br"])(
    "answers a body that is not valid %s with 400 invalid_request",
    async (encoding) => {
      const answer = await send(
        encode({
          method: "POST",
          target: "/api/purchases",
          headers: { "Content-Encoding": encoding },
          body: "not compressed",
        }),
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: "invalid_request",
        error_description:
          "The request body does not match its Content-Encoding; send it uncompressed, or compress it correctly",
      });
    },
  );

  it("answers what Node's HTTP parser refuses with the same JSON error", async () => {
    const answer = await send(
      encode({ method: "GET", target: "/api/products", headers: { "Content-Length": "abc" } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_request" });
  });
});

const segment = fc.oneof(
  fc.constantFrom(
    "%",
    "%Z",
    "%ZZ",
    "%C0%AF",
    "%E0%A4%A",
    "%00",
    "..",
    ".",
    "%2F",
    "?",
    "#",
    "&",
    "=",
    ";",
    "\xff",
    "\x00",
    " ",
  ),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

const randomRequest = fc
  .record({
    route: fc.nat(),
    method: fc.option(fc.constantFrom("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"), {
      nil: undefined,
    }),
    segments: fc.array(segment, { maxLength: 4 }),
    contentType: fc.constantFrom(
      "application/json",
      "application/json; charset=latin1",
      "text/plain",
      ";",
      "",
    ),
    contentEncoding: fc.option(
      fc.constantFrom("gzip", "deflate", "br", "identity", "x", "gzip, br"),
      { nil: undefined },
    ),
    body: fc.oneof(
      fc.constant(PURCHASE),
      fc.json({ maxDepth: 2 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    ),
  })
  .map(({ route, method, segments, contentType, contentEncoding, body }): RawRequest => {
    const chosen = routes[route % routes.length] ?? { method: "GET", path: "/" };
    const tail = segments.join("/");
    const path = chosen.path.includes(":")
      ? withParams(chosen.path, tail)
      : `${chosen.path}${tail === "" ? "" : `/${tail}`}`;
    // CR and LF would end the request line early and leave a request the server waits on.
    const target = path.replace(/[\r\n]/g, "");
    return {
      method: method ?? chosen.method,
      target: target.startsWith("/") ? target : `/${target}`,
      headers: {
        "Content-Type": contentType,
        ...(contentEncoding === undefined ? {} : { "Content-Encoding": contentEncoding }),
      },
      body,
    };
  });

describe("property: random paths and bodies", () => {
  it("never get a 5xx, and every error is a JSON error body", async () => {
    await fc.assert(
      fc.asyncProperty(randomRequest, async (request) => {
        const answer = await send(encode(request));
        expect(problemWith(request, answer)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
