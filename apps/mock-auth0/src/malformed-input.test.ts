import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { startMockAuth0 } from "./server.js";
import type { RunningMockAuth0 } from "./server.js";
import { tenantWith } from "./tenant/load-tenant.js";
import { testKeys } from "./test-support/harness.js";
import { rawHttpsClient, rawRequest } from "./test-support/raw-https.js";
import { TickingClock } from "./test-support/ticking-clock.js";
import type { RawAnswer, RawClient } from "./test-support/raw-https.js";
import { fillPath, listRoutes } from "@ciba-testbed/shared/http/express-routes";
import type { RouteInfo } from "@ciba-testbed/shared/http/express-routes";

// Issue 10: no request, however malformed, may get a 5xx. Every route is found in the app's
// own router and attacked over the real HTTPS listener with bytes written by hand.

const BAD_PERCENT = ["%ZZ", "%", "%E0%A4%A", "%C0%AF", "%FF%FE", "%00", "%u2215", "%%41"];
const BAD_PARAMS = [
  ...BAD_PERCENT,
  "..%2F..%2Fsrc%2Fapp.ts",
  "\xC3\xA9t\xE9",
  "a".repeat(6_000),
  "%2e%2e",
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"];
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

interface Probe {
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Malformed bodies and headers, for a route that reads a body or not. */
function bodyProbes(method: string, target: string): Probe[] {
  const garbage = Buffer.from("this is not compressed at all");
  const probes: Probe[] = [];
  for (const type of [FORM, JSON_TYPE]) {
    for (const encoding of ["gzip", "deflate", "br", "x-unknown", "gzip, gzip", "identity"]) {
      probes.push({
        method,
        target,
        headers: { "Content-Type": type, "Content-Encoding": encoding },
        body: garbage,
      });
    }
    // Valid compression around an invalid body.
    probes.push(
      {
        method,
        target,
        headers: { "Content-Type": type, "Content-Encoding": "gzip" },
        body: gzipSync("{"),
      },
      {
        method,
        target,
        headers: { "Content-Type": type, "Content-Encoding": "deflate" },
        body: deflateSync("%ZZ=%"),
      },
      {
        method,
        target,
        headers: { "Content-Type": type, "Content-Encoding": "br" },
        body: brotliCompressSync('{"a":'),
      },
      // Truncated gzip: a valid start, then nothing.
      {
        method,
        target,
        headers: { "Content-Type": type, "Content-Encoding": "gzip" },
        body: gzipSync("x".repeat(1000)).subarray(0, 20),
      },
      { method, target, headers: { "Content-Type": `${type}; charset=utf-7` }, body: "a=b" },
      { method, target, headers: { "Content-Type": `${type}; charset=koi8-r` }, body: "a=b" },
      { method, target, headers: { "Content-Type": type }, body: "x".repeat(70_000) },
    );
  }
  const json = (body: string) => ({ method, target, headers: { "Content-Type": JSON_TYPE }, body });
  const form = (body: string) => ({ method, target, headers: { "Content-Type": FORM }, body });
  probes.push(
    json("{"),
    json("null"),
    json("[]"),
    json('"text"'),
    json("1e999"),
    json('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
    json(`${"[".repeat(5_000)}${"]".repeat(5_000)}`),
    json('{"client_id":{},"client_secret":[],"grant_type":{"a":1},"auth_req_id":null}'),
    json('{"default":{"nested":[1,2]},"rules":"x"}'),
    json('{"rules":[{"when":{"bindingMessage":"(a+)+$"},"outcome":"deny"}],"default":"approve"}'),
    form("%ZZ=%&a=%E0%A4%A&%C0%AF=1"),
    form("client_id=a&client_id=b&grant_type=x&grant_type=y"),
    form("a[b][c]=1&a[b][c]=2"),
    form(Array.from({ length: 1_500 }, (_, i) => `p${i}=1`).join("&")),
    form("login_hint=%7B%22format%22%3A%22iss_sub%22%7D&scope=openid&binding_message=%ZZ"),
    { method, target, headers: { "Content-Type": "text/plain" }, body: "hello" },
    {
      method,
      target,
      headers: { "Content-Type": "multipart/form-data; boundary=x" },
      body: "--x--",
    },
  );
  return probes;
}

function headerProbes(method: string, target: string): Probe[] {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`;
  return [
    { Authorization: "Bearer" },
    { Authorization: "Bearer %ZZ" },
    { Authorization: "Basic !!!" },
    { Authorization: basic(":") },
    { Authorization: basic("%ZZ:%E0%A4%A") },
    { Authorization: basic("ciba-testbed-agent") },
    { Cookie: "__Host-mock-auth0-session=%ZZ; =; ;;" },
    { Origin: "null" },
    { "Sec-Fetch-Site": "cross-site" },
    { Accept: "text/event-stream" },
    { "Content-Length": "-1" },
    { "Content-Length": "abc" },
    { "Transfer-Encoding": "chunked", body: "ZZ\r\nnot a chunk\r\n0\r\n\r\n" },
    { "Transfer-Encoding": "chunked", "Content-Length": "5", body: "0\r\n\r\n" },
    { "X-Forwarded-For": "%ZZ" },
    { "If-None-Match": "*", Range: "bytes=99999999-" },
  ].map(({ body = "", ...headers }) => ({ method, target, headers, body }));
}

function probesFor(route: RouteInfo, authReqId: string): Probe[] {
  const probes: Probe[] = [];
  const real = fillPath(route, route.mount ? "approver.js" : authReqId);
  for (const bad of BAD_PARAMS) {
    if (route.path.includes(":") || route.mount) {
      probes.push({ method: route.method, target: fillPath(route, bad) });
    }
    probes.push({ method: route.method, target: `${real}/${bad}` });
  }
  for (const bad of BAD_PERCENT) {
    probes.push({ method: route.method, target: `${real}${bad}` });
    probes.push({
      method: route.method,
      target: `${real}?${bad}=${bad}&status=${bad}&limit=${bad}&cursor=${bad}`,
    });
  }
  for (const method of METHODS) probes.push({ method, target: real });
  probes.push({
    method: route.method,
    target: `${real}?status=pending&status=denied&limit=9999&cursor=0`,
  });
  probes.push(...headerProbes(route.method, real));
  if (route.method === "POST" || route.method === "PUT")
    probes.push(...bodyProbes(route.method, real));
  return probes;
}

let tenant: RunningMockAuth0;
let client: RawClient;
let routes: RouteInfo[];
let authReqId: string;
let rotateSpy: { mockRestore(): void } | undefined;
let certDir: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "malformed-certs-"));
  const clock = new TickingClock();
  tenant = await startMockAuth0({
    // Hundreds of requests at one instant of a manual clock: Auth0's rate limits would answer
    // 429 before the request readers under test were reached, so they are off here.
    tenant: tenantWith({
      settings: (settings) => ({
        ...settings,
        ciba: {
          ...(settings.ciba as object),
          perUserRequestsPerMinute: null,
          perIpRequestsPerMinute: null,
        },
        rateLimits: { authenticationApiRequestsPerSecond: null },
      }),
    }),
    port: 0,
    host: "127.0.0.1",
    certDir,
    clock,
    ticker: clock,
    // The signing keys the worker's other tests share: a key pair costs about 100 ms of CPU,
    // and what matters here is how the routes read their input, not which keys sign.
    keys: await testKeys(),
  });
  client = rawHttpsClient(tenant.port, readFileSync(tenant.caCertPath, "utf8"));
  // The app that serves the listener, as it is.
  routes = listRoutes(tenant.app);
  const created = tenant.store.create(
    {
      authReqId: "known-request",
      clientId: "ciba-testbed-agent",
      userId: "auth0|testbed-user",
      scope: ["openid"],
      audience: undefined,
      bindingMessage: "hi",
      authorizationDetails: undefined,
      requestedExpiry: undefined,
      channel: "guardian-push",
      userEmail: "buyer@example.com",
      approverOutcome: { action: "manual" },
      expiresInSeconds: 300,
    },
    clock.now(),
  );
  if (!created.ok) throw new Error("could not create a request");
  authReqId = created.request.authReqId;
  // A key pair costs about 100 ms of CPU, and the corpus reaches the rotation route many times
  // with requests it accepts: what matters here is how the route's input is read. The keys are
  // shared with the worker's other files, which get them back unpatched after this one.
  rotateSpy = vi
    .spyOn(tenant.keys, "rotate")
    .mockResolvedValue({ current: "c", next: "n", previous: "p" });
});

afterAll(async () => {
  rotateSpy?.mockRestore();
  await tenant.close();
  rmSync(certDir, { recursive: true, force: true });
});

async function sendAll(probes: Probe[]): Promise<{ probe: Probe; answer: RawAnswer }[]> {
  const answers: { probe: Probe; answer: RawAnswer }[] = [];
  const queue = [...probes];
  const worker = async () => {
    for (let probe = queue.shift(); probe; probe = queue.shift()) {
      const answer = await client.send(
        rawRequest(probe.method, probe.target, probe.headers, probe.body),
      );
      answers.push({ probe, answer });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return answers;
}

const describeProbe = ({ method, target, headers }: Probe) =>
  `${method} ${target.slice(0, 80)} ${JSON.stringify(headers ?? {}).slice(0, 120)}`;

describe("malformed input", () => {
  it("finds every route of the tenant in its router", () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        "GET /.well-known/openid-configuration",
        "GET /.well-known/jwks.json",
        "POST /bc-authorize",
        "POST /oauth/token",
        "GET /approver",
        "GET /approver/assets",
        "GET /approver/api/events",
        "GET /approver/api/requests",
        "GET /approver/api/requests/:authReqId",
        "POST /approver/api/requests/:authReqId/approve",
        "POST /approver/api/requests/:authReqId/deny",
        "GET /approver/api/policy",
        "PUT /approver/api/policy",
        "GET /approver/api/refusals",
        "GET /approver/api/users",
        "POST /admin/signing-keys/rotate",
      ]),
    );
  });

  it(
    "never answers 5xx to a corpus of malformed paths, headers and bodies on every route",
    // Over 1,000 requests through TLS: about 7 s on a quiet 2-core machine, four times that
    // while the rest of the suite shares it. The limit only ends a hung tenant.
    { timeout: 90_000 },
    async () => {
      const probes = routes.flatMap((route) => probesFor(route, authReqId));
      expect(probes.length).toBeGreaterThan(1_000);
      const answers = await sendAll(probes);
      const serverErrors = answers.filter(({ answer }) => answer.status >= 500);
      expect(
        serverErrors.map(({ probe, answer }) => `${answer.status} ${describeProbe(probe)}`),
      ).toEqual([]);
      // What Express answers (rather than Node's HTTP parser) is the usual OAuth JSON error, or
      // for a path nobody serves an Auth0 tenant's 404.
      for (const { probe, answer } of answers) {
        const json = answer.headers["content-type"]?.startsWith("application/json");
        if (answer.status >= 400 && json && probe.method !== "HEAD") {
          expect(JSON.parse(answer.body), describeProbe(probe)).toEqual(
            answer.status === 404 && !JSON.parse(answer.body).error_description
              ? { statusCode: 404, error: "Not Found", message: expect.any(String) }
              : { error: expect.any(String), error_description: expect.any(String) },
          );
        }
      }
    },
  );

  it.each([
    ["/x/%ZZ"],
    ["/%"],
    ["/%E0%A4%A"],
    ["/approver/api/requests/%C0%AF"],
    ["/approver/api/requests/%ZZ/approve"],
  ])(
    "answers a path with broken percent-encoding, %s, with 400 invalid_request, on any route",
    async (target) => {
      const method = target.endsWith("/approve") ? "POST" : "GET";
      const answer = await client.send(rawRequest(method, target));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: "invalid_request",
        error_description: expect.stringMatching(
          /^The URL path is not valid percent-encoded UTF-8/,
        ),
      });
    },
  );

  it("answers JSON nested too deep with 400 invalid_request, before client authentication", async () => {
    // 9,000 levels in 18 KB parsed, then overflowed JSON.stringify reading the parameter: a 500.
    const deep = (levels: number) => `${"[".repeat(levels)}"x"${"]".repeat(levels)}`;
    for (const [method, endpoint, name] of [
      ["POST", "/bc-authorize", "authorization_details"],
      ["POST", "/oauth/token", "client_id"],
      ["POST", "/oauth/revoke", "token"],
      ["PUT", "/approver/api/policy", "rules"],
    ]) {
      const answer = await client.send(
        rawRequest(
          method!,
          endpoint!,
          { "Content-Type": JSON_TYPE },
          `{"${name!}":${deep(9_000)}}`,
        ),
      );
      expect(answer.status, endpoint).toBe(400);
      expect(JSON.parse(answer.body), endpoint).toEqual({
        error: "invalid_request",
        error_description:
          "The request body nests arrays and objects more than 32 levels deep; no parameter " +
          "needs that many: send a flatter body",
      });
    }
    // 32 levels are read, and refused for what they say: here, no client.
    const answer = await client.send(
      rawRequest("POST", "/oauth/token", { "Content-Type": JSON_TYPE }, `{"a":${deep(31)}}`),
    );
    expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_client" });
  });

  it("refuses a key repeated in a JSON body with 400 invalid_request naming it, on every route that reads JSON", async () => {
    // JSON.parse keeps the last value where a form's repeated parameter is refused.
    for (const [method, endpoint, body, name] of [
      ["POST", "/bc-authorize", '{"scope":"openid","scope":"openid product:buy"}', "scope"],
      ["POST", "/oauth/token", '{"grant_type":"a","client_id":"b","grant_type":"c"}', "grant_type"],
      ["POST", "/oauth/revoke", '{"token":"a","token":"b"}', "token"],
      ["PUT", "/approver/api/policy", '{"default":"approve","default":"deny"}', "default"],
      ["PUT", "/approver/api/policy", '{"rules":[{"a":1,"a":2}]}', "rules[0].a"],
      [
        "POST",
        "/bc-verify/api/consent",
        '{"consent":"a","decision":"deny","decision":"approve"}',
        "decision",
      ],
    ] as const) {
      const answer = await client.send(
        rawRequest(method, endpoint, { "Content-Type": JSON_TYPE }, body),
      );
      expect(answer.status, endpoint).toBe(400);
      expect(JSON.parse(answer.body), endpoint).toEqual({
        error: "invalid_request",
        error_description:
          `${name} must not be repeated: the JSON body names it more than once in one object, ` +
          "and only one of its values would be read; send it once",
      });
    }
    // The same name in two objects is no repeat: refused here for what it says, no client.
    const answer = await client.send(
      rawRequest(
        "POST",
        "/oauth/token",
        { "Content-Type": JSON_TYPE },
        '{"a":{"b":1},"c":{"b":1}}',
      ),
    );
    expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_client" });
  });

  it.each([["gzip"], ["deflate"], ["br"]])(
    "answers a body that is not valid %s with 400 invalid_request that says what to change",
    async (encoding) => {
      for (const endpoint of ["/bc-authorize", "/oauth/token", "/approver/api/policy"]) {
        const answer = await client.send(
          rawRequest(
            endpoint === "/approver/api/policy" ? "PUT" : "POST",
            endpoint,
            {
              "Content-Type": endpoint.includes("policy") ? JSON_TYPE : FORM,
              "Content-Encoding": encoding,
            },
            "not compressed",
          ),
        );
        expect(answer.status, endpoint).toBe(400);
        expect(JSON.parse(answer.body)).toEqual({
          error: "invalid_request",
          error_description: expect.stringMatching(
            /^The request body does not match its Content-Encoding; send it uncompressed/,
          ),
        });
      }
    },
  );

  it("answers an unsupported Content-Encoding and charset with 415, saying what to send", async () => {
    const encoding = await client.send(
      rawRequest(
        "POST",
        "/oauth/token",
        { "Content-Type": FORM, "Content-Encoding": "x-unknown" },
        "a=b",
      ),
    );
    expect(encoding.status).toBe(415);
    expect(JSON.parse(encoding.body)).toEqual({
      error: "invalid_request",
      error_description: expect.stringMatching(
        /Content-Encoding is not supported; send the body uncompressed, or gzip, deflate or br/,
      ),
    });
    const charset = await client.send(
      rawRequest("POST", "/oauth/token", { "Content-Type": `${FORM}; charset=koi8-r` }, "a=b"),
    );
    expect(charset.status).toBe(415);
    expect(JSON.parse(charset.body)).toEqual({
      error: "invalid_request",
      error_description: expect.stringMatching(/must be UTF-8/),
    });
  });

  it("reads a Content-Type's charset as RFC 9110 does, quoted values and all", async () => {
    // A client's form, "café" in UTF-8 in its client_id: the tenant answers for the client it
    // read, or refuses the label.
    const form = "grant_type=client_credentials&client_id=caf%C3%A9&client_secret=x";
    const answer = async (contentType: string) => {
      const sent = await client.send(
        rawRequest("POST", "/oauth/token", { "Content-Type": contentType }, form),
      );
      return [sent.status, JSON.parse(sent.body) as unknown];
    };
    const unknownClient = await answer(FORM);
    expect(unknownClient[0]).toBe(401);
    // "charset=" inside another parameter's quoted value names no charset: read as UTF-8.
    expect(await answer(`${FORM}; foo="a; charset=latin1"`)).toEqual(unknownClient);
    expect(await answer(`${FORM}; foo="a\\"; charset=latin1"`)).toEqual(unknownClient);
    // The charset that follows such a value is the one the form would be decoded with.
    expect(await answer(`${FORM}; foo="a; charset=utf-8 "; charset=ISO-8859-1`)).toEqual([
      415,
      {
        error: "invalid_request",
        error_description: expect.stringMatching(
          /^The request body must be UTF-8 encoded, and its Content-Type names charset=iso-8859-1: /,
        ),
      },
    ]);
  });

  it("never answers 5xx to random paths and bodies (property)", async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        ...BAD_PERCENT,
        "approver",
        "api",
        "requests",
        "known-request",
        "..",
        ".",
        "",
        "assets",
        "approve",
      ),
      fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n\s]/g, "")),
      fc.stringMatching(/^(%[0-9A-Fa-fZz]{0,2}){1,4}$/),
    );
    const target = fc
      .tuple(
        fc.constantFrom(...routes.map((r) => fillPath(r, authReqId))),
        fc.array(segment, { maxLength: 4 }),
        fc.option(fc.array(segment, { maxLength: 3 })),
      )
      .map(
        ([base, rest, query]) =>
          `${[base, ...rest].join("/")}${query ? `?${query.join("&")}` : ""}`,
      );
    const headers = fc.record(
      {
        "Content-Type": fc.constantFrom(
          FORM,
          JSON_TYPE,
          "text/plain",
          `${JSON_TYPE}; charset=latin1`,
        ),
        "Content-Encoding": fc.constantFrom("identity", "gzip", "deflate", "br", "bogus"),
        Authorization: fc.constantFrom("Bearer x", "Basic Og==", "Basic %%%"),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
      fc.json().map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT"),
        target,
        headers,
        body,
        async (method, path, head, payload) => {
          const answer = await client.send(
            rawRequest(method, path, head, method === "GET" ? "" : payload),
          );
          expect(answer.status, `${method} ${path}`).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
