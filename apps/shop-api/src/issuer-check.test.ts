import { Agent } from "node:https";
import type { AddressInfo } from "node:net";

import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { IssuerCheckError, checkIssuer, discoveryUrl } from "./issuer-check.js";
import type { IssuerProblem } from "./issuer-check.js";
import { createTestApp } from "./test-support/test-app.js";
import { localTls, close, listen, startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

let issuer: TestIssuer;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function failure(promise: Promise<unknown>): Promise<IssuerCheckError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IssuerCheckError);
  return error as IssuerCheckError;
}

/** A JSON server whose routes see its own base URL (for metadata that names itself). */
async function jsonServer(
  routes: (base: string) => Record<string, { status?: number; body: unknown }>,
): Promise<string> {
  let base = "";
  const server = await listen((req, res) => {
    const route = routes(base)[req.url ?? ""];
    res.writeHead(route?.status ?? (route ? 200 : 404), { "content-type": "application/json" });
    res.end(typeof route?.body === "string" ? route.body : JSON.stringify(route?.body ?? {}));
  });
  servers.push({ close: () => close(server) });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return base;
}

async function closedPort(): Promise<number> {
  const server = await listen(() => undefined);
  const { port } = server.address() as AddressInfo;
  await close(server);
  return port;
}

/** Node's fetch wraps the socket error in `cause`. */
const fetchFailingWith = (code: string): typeof fetch => {
  return () =>
    Promise.reject(
      new TypeError("fetch failed", { cause: Object.assign(new Error(`boom ${code}`), { code }) }),
    );
};

describe("discoveryUrl", () => {
  it("appends the well-known path once, with or without a trailing slash", () => {
    expect(discoveryUrl("https://localhost:4010/")).toBe(
      "https://localhost:4010/.well-known/openid-configuration",
    );
    expect(discoveryUrl("https://t.example/tenant")).toBe(
      "https://t.example/tenant/.well-known/openid-configuration",
    );
  });
});

describe("checkIssuer", () => {
  it("reads the metadata and counts the signing keys", async () => {
    await expect(checkIssuer({ issuer: issuer.issuer })).resolves.toEqual({
      issuer: issuer.issuer,
      metadataUrl: `${issuer.issuer}.well-known/openid-configuration`,
      jwksUri: issuer.jwksUri,
      keyCount: 1,
    });
  });

  it("names an untrusted certificate and the NODE_EXTRA_CA_CERTS fix (a real TLS server)", async () => {
    const server = await listen((_req, res) => res.end("{}"), await localTls());
    servers.push({ close: () => close(server) });
    const { port } = server.address() as AddressInfo;

    const error = await failure(checkIssuer({ issuer: `https://localhost:${port}/` }));
    expect(error.problem).toBe("tls_untrusted");
    expect(error.message).toMatch(
      /\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    );
    expect(error.message).toContain(
      "set NODE_EXTRA_CA_CERTS=<path to .certs/ca.pem> when starting the process",
    );

    // What the check prevents: the library reports the same problem as a bad token, which the
    // shop answers as the outage it is.
    const shop = await createTestApp(issuer, { config: { issuer: `https://localhost:${port}/` } });
    const res = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint({ iss: `https://localhost:${port}/` })}`)
      .send({ product: "XYZ phone", qty: 1 });
    expect(res.status).toBe(503);
    expect(res.body.error_description).toContain("(Failed to fetch authorization server metadata)");
    // ...while /ready names the cause.
    const ready = await request(shop.app).get("/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.error_description).toContain("NODE_EXTRA_CA_CERTS");
  });

  it("trusts what the agent it is given trusts: the token library's transport", async () => {
    const tls = await localTls();
    const tlsIssuer = await startTestIssuer({ tls });
    servers.push(tlsIssuer);
    const agent = new Agent({ ca: tls.ca });
    await expect(checkIssuer({ issuer: tlsIssuer.issuer, agent })).resolves.toMatchObject({
      issuer: tlsIssuer.issuer,
      keyCount: 1,
    });
    expect((await failure(checkIssuer({ issuer: tlsIssuer.issuer }))).problem).toBe(
      "tls_untrusted",
    );
  });

  it("gives up on an issuer that accepts the connection but never answers", async () => {
    const silent = await listen(() => undefined);
    servers.push({ close: () => close(silent) });
    const { port } = silent.address() as AddressInfo;
    const error = await failure(
      checkIssuer({ issuer: `http://127.0.0.1:${port}/`, timeoutMs: 100 }),
    );
    expect(error.problem).toBe("timeout");
    expect(error.message).toContain("did not answer within 100 ms");
  });

  it.each<[string, IssuerProblem, string]>([
    ["SELF_SIGNED_CERT_IN_CHAIN", "tls_untrusted", "NODE_EXTRA_CA_CERTS"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls_untrusted", "NODE_EXTRA_CA_CERTS"],
    ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "tls_untrusted", "NODE_EXTRA_CA_CERTS"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls_hostname", "not valid for localhost"],
    ["ENOTFOUND", "dns", "does not resolve (ENOTFOUND). Check AUTH0_DOMAIN"],
    ["EAI_AGAIN", "dns", "Check AUTH0_DOMAIN"],
    ["ECONNRESET", "unreachable", "(ECONNRESET)"],
  ])("classifies %s from the error's cause as %s", async (code, problem, text) => {
    const error = await failure(
      checkIssuer({ issuer: "https://localhost:4010/", fetch: fetchFailingWith(code) }),
    );
    expect(error.problem).toBe(problem);
    expect(error.message).toContain(text);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("finds codes inside an AggregateError (IPv4 and IPv6 both refused)", async () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: "ECONNREFUSED" });
    const fetch: typeof globalThis.fetch = () =>
      Promise.reject(
        new TypeError("fetch failed", {
          cause: new AggregateError([refused("::1:4010"), refused("127.0.0.1:4010")]),
        }),
      );
    const error = await failure(checkIssuer({ issuer: "https://localhost:4010/", fetch }));
    expect(error.problem).toBe("connection_refused");
  });

  it("falls back to the messages along the cause chain", async () => {
    const fetch: typeof globalThis.fetch = () =>
      Promise.reject(new TypeError("fetch failed", { cause: new Error("other side closed") }));
    const error = await failure(checkIssuer({ issuer: "http://127.0.0.1:1/", fetch }));
    expect(error.problem).toBe("unreachable");
    expect(error.message).toContain("is unreachable (fetch failed: other side closed)");
  });

  it("names a port that fetch refuses to connect to, when the check runs on fetch", async () => {
    const error = await failure(
      checkIssuer({ issuer: "https://127.0.0.1:6000/", fetch: globalThis.fetch }),
    );
    expect(error.problem).toBe("unreachable");
    expect(error.message).toBe(
      "The issuer's metadata at https://127.0.0.1:6000/.well-known/openid-configuration is unreachable: fetch refuses to connect to port 6000 (one of the ports browsers and fetch block). Run the tenant on another port.",
    );
  });

  it("reports a timeout", async () => {
    const fetch: typeof globalThis.fetch = () =>
      Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    const error = await failure(
      checkIssuer({ issuer: "https://localhost:4010/", fetch, timeoutMs: 250 }),
    );
    expect(error.problem).toBe("timeout");
    expect(error.message).toContain("did not answer within 250 ms");
  });

  it("names a refused connection: the tenant is not running", async () => {
    const port = await closedPort();
    const error = await failure(checkIssuer({ issuer: `http://127.0.0.1:${port}/` }));
    expect(error.problem).toBe("connection_refused");
    expect(error.message).toContain(
      `nothing is listening at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(error.message).toContain("pnpm mock-auth0");
  });

  it("names HTTPS spoken to a plain HTTP port", async () => {
    const port = new URL(issuer.issuer).port;
    const error = await failure(checkIssuer({ issuer: `https://127.0.0.1:${port}/` }));
    expect(error.problem).toBe("tls_handshake");
    expect(error.message).toContain("speaking HTTPS");
  });

  it("names an issuer mismatch, pointing at the trailing slash", async () => {
    const base = await jsonServer((b) => ({
      "/.well-known/openid-configuration": {
        body: { issuer: b.replace(/\/$/, ""), jwks_uri: `${b}jwks` },
      },
    }));
    const error = await failure(checkIssuer({ issuer: base }));
    expect(error.problem).toBe("issuer_mismatch");
    expect(error.message).toContain("They differ only by the trailing slash");
    expect(error.message).toContain(`AUTH0_ISSUER_BASE_URL=${base.replace(/\/$/, "")}`);
  });

  it("names an issuer mismatch with another tenant", async () => {
    const base = await jsonServer(() => ({
      "/.well-known/openid-configuration": {
        body: { issuer: "https://other.example/", jwks_uri: "https://other.example/jwks" },
      },
    }));
    const error = await failure(checkIssuer({ issuer: base }));
    expect(error.problem).toBe("issuer_mismatch");
    expect(error.message).not.toContain("trailing slash");
  });

  it.each<[string, Record<string, { status?: number; body: unknown }>, IssuerProblem, string]>([
    ["metadata 404", {}, "http_status", "answered 404"],
    [
      "metadata that is not JSON",
      { "/.well-known/openid-configuration": { body: "<html>" } },
      "bad_metadata",
      "is not JSON",
    ],
    [
      "metadata without issuer",
      { "/.well-known/openid-configuration": { body: { jwks_uri: "x" } } },
      "bad_metadata",
      'no "issuer" member',
    ],
  ])("names %s", async (_name, routes, problem, text) => {
    const base = await jsonServer(() => routes);
    const error = await failure(checkIssuer({ issuer: base }));
    expect(error.problem).toBe(problem);
    expect(error.message).toContain(text);
  });

  const withJwks = (jwks: { status?: number; body: unknown } | undefined, jwksUri?: string) =>
    jsonServer((b) => ({
      "/.well-known/openid-configuration": {
        body: { issuer: b, ...(jwksUri === "" ? {} : { jwks_uri: jwksUri ?? `${b}jwks` }) },
      },
      ...(jwks ? { "/jwks": jwks } : {}),
    }));

  it.each<[string, { status?: number; body: unknown } | undefined, IssuerProblem, string]>([
    ["an empty JWKS", { body: { keys: [] } }, "jwks_empty", "has no public signing keys"],
    [
      "a JWKS with only a symmetric key",
      { body: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } },
      "jwks_empty",
      "has no public signing keys",
    ],
    ["a JWKS that is not a key set", { body: { nope: true } }, "jwks_empty", 'no "keys" array'],
    ["a JWKS answering 500", { status: 500, body: {} }, "jwks_unreachable", "answered 500"],
    ["a missing JWKS", undefined, "jwks_unreachable", "answered 404"],
  ])("names %s", async (_name, jwks, problem, text) => {
    const error = await failure(checkIssuer({ issuer: await withJwks(jwks) }));
    expect(error.problem).toBe(problem);
    expect(error.message).toContain(text);
  });

  it("names metadata without jwks_uri", async () => {
    const error = await failure(checkIssuer({ issuer: await withJwks(undefined, "") }));
    expect(error.problem).toBe("bad_metadata");
    expect(error.message).toContain('no valid "jwks_uri"');
  });

  it("names an unreachable jwks_uri", async () => {
    const port = await closedPort();
    const error = await failure(
      checkIssuer({ issuer: await withJwks(undefined, `http://127.0.0.1:${port}/jwks`) }),
    );
    expect(error.problem).toBe("connection_refused");
    expect(error.message).toContain("The issuer's signing keys (JWKS)");
  });
});
