import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, get } from "node:https";
import { connect as netConnect } from "node:net";
import type { AddressInfo } from "node:net";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import path from "node:path";

import { pino } from "pino";
import { describe, expect, it, onTestFinished } from "vitest";

import { answerNodeRefusals, lateRequestLine } from "@ciba-testbed/shared/http";

import { ensureLocalCertificates } from "./certificates.js";
import { errors } from "./errors.js";
import { startMockAuth0 } from "./server.js";
import { loadTenant } from "./tenant/load-tenant.js";
import { startRepositoryTenant, testKeys } from "./test-support/harness.js";

/** The tenant's discovery document at `issuer`, over TLS trusting `ca` alone. */
function discovery(issuer: string, ca: string): Promise<{ issuer?: unknown }> {
  return new Promise((resolve, reject) => {
    get(`${issuer}.well-known/openid-configuration`, { ca }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        resolve(JSON.parse(text) as { issuer?: unknown });
      });
    }).on("error", reject);
  });
}

async function tenantOn(host: string, certDir: string) {
  const tenant = await startRepositoryTenant(certDir, host);
  onTestFinished(() => tenant.close());
  return tenant;
}

describe("startMockAuth0's issuer", () => {
  it("names localhost on 127.0.0.1, and another loopback address itself, each reached and trusted at its issuer", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "server-certs-"));
    onTestFinished(() => {
      rmSync(certDir, { recursive: true, force: true });
    });
    const usual = await tenantOn("127.0.0.1", certDir);
    // Listening on 127.0.0.2 alone, it is not reached at localhost.
    const other = await tenantOn("127.0.0.2", certDir);

    expect(usual.issuer).toBe(`https://localhost:${usual.port}/`);
    expect(other.issuer).toBe(`https://127.0.0.2:${other.port}/`);
    const ca = readFileSync(other.caCertPath, "utf8");
    expect(usual.caCertPath).toBe(other.caCertPath);
    for (const { issuer } of [usual, other]) {
      expect(await discovery(issuer, ca)).toMatchObject({ issuer });
    }
  });
});

/**
 * `request` sent as written over TLS, and the answer read until the tenant closes. `keepOpen`:
 * the client's side stays open after it, as a client whose body stalled.
 */
function rawAnswer(
  port: number,
  ca: string,
  request: string,
  keepOpen = false,
): Promise<{ status: number; headers: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      if (keepOpen) socket.write(request);
      else socket.end(request);
    });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
        headers: head.toLowerCase(),
        body: body === "" ? undefined : (JSON.parse(body) as unknown),
      });
    });
  });
}

describe("what Node answers or drops itself", () => {
  it("closes a connection whose TLS handshake never comes, as Node does: it holds no file descriptor after", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "server-certs-"));
    const certificates = await ensureLocalCertificates(certDir);
    // The tenant's server and its refusals, with a handshake timeout of 0.2 s instead of 120 s.
    const server = createServer({
      key: certificates.key,
      cert: certificates.cert,
      handshakeTimeout: 200,
    });
    answerNodeRefusals(server, errors, { server: "tenant", connectHint: "" });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(certDir, { recursive: true, force: true });
    });
    const refused: string[] = [];
    server.on("clientError", (error: NodeJS.ErrnoException) => refused.push(error.code ?? ""));

    // A client that connects and sends nothing (a port forward that carries nothing, a probe).
    const silent = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    const closed = new Promise<void>((resolve) =>
      silent.on("close", () => {
        resolve();
      }),
    );
    silent.on("error", () => undefined);
    await closed;

    expect(refused).toEqual(["ERR_TLS_HANDSHAKE_TIMEOUT"]);
    const open = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => {
        if (error) reject(error);
        else resolve(count);
      }),
    );
    expect(open).toBe(0);
  });

  it("gets the tenant's JSON error, over TLS: a malformed request, too many headers, no Host, an unmet Expect, a CONNECT", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "server-certs-"));
    onTestFinished(() => {
      rmSync(certDir, { recursive: true, force: true });
    });
    const { port, caCertPath } = await tenantOn("127.0.0.1", certDir);
    const ca = readFileSync(caCertPath, "utf8");
    const send = (request: string) => rawAnswer(port, ca, request);
    const invalid = (description: string | RegExp) => ({
      error: "invalid_request",
      error_description:
        typeof description === "string" ? description : expect.stringMatching(description),
    });
    // Each was an empty body, or (CONNECT) a connection closed unanswered.
    expect(
      await send(
        "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      ),
    ).toMatchObject({ status: 400, body: invalid(/^The HTTP request is malformed/) });
    expect(
      await send(
        `GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
      ),
    ).toMatchObject({ status: 431, body: invalid(/larger than this tenant accepts \(16 KB\)/) });
    expect(
      await send("POST /oauth/token HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b"),
    ).toMatchObject({
      status: 400,
      body: invalid("An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)"),
    });
    expect(
      await send(
        "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nExpect: foo\r\nContent-Length: 3\r\n" +
          "Connection: close\r\n\r\na=b",
      ),
    ).toMatchObject({ status: 417, body: invalid(/^The only Expect value this tenant meets/) });
    const tunnel = await send("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n");
    expect(tunnel).toMatchObject({ status: 405, body: invalid(/^CONNECT is not served/) });
    expect(tunnel.headers).toMatch(/\r\nallow: \r\n/);
    expect(tunnel.headers).toContain("content-type: application/json; charset=utf-8");
  });
});

describe("a request that stops short", () => {
  /** A tenant whose log is kept, a request's arrival shortened to 0.3 s (30 s as started). */
  async function startLogged() {
    const certDir = mkdtempSync(path.join(tmpdir(), "server-certs-"));
    const records: { level: number; msg: string; res?: { statusCode: number } }[] = [];
    const logger = pino(
      { level: "info" },
      { write: (line: string) => records.push(JSON.parse(line)) },
    );
    const tenant = await startMockAuth0({
      tenant: loadTenant(),
      port: 0,
      host: "127.0.0.1",
      certDir,
      keys: await testKeys(),
      logger,
    });
    onTestFinished(async () => {
      await tenant.close();
      rmSync(certDir, { recursive: true, force: true });
    });
    // 30 s for a request to arrive, checked every second; here 0.3 s.
    expect(tenant.server.requestTimeout).toBe(30_000);
    expect(tenant.server.headersTimeout).toBe(30_000);
    tenant.server.requestTimeout = 300;
    tenant.server.headersTimeout = 300;
    return { tenant, records, ca: readFileSync(tenant.caCertPath, "utf8") };
  }

  it("is answered 408 with the tenant's JSON error once its time is up, and logged once at info", async () => {
    const { tenant, records, ca } = await startLogged();

    // The headers, a tenth of the body, then nothing: held for Node's 300 s before.
    const started = Date.now();
    const answer = await rawAnswer(
      tenant.port,
      ca,
      "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n" +
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n" +
        "grant_type",
      true,
    );

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answer.status).toBe(408);
    expect(answer.headers).toContain("content-type: application/json; charset=utf-8");
    expect(answer.headers).toContain("connection: close");
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description:
        "The request did not arrive whole within 0.3 s: its body stopped short of its " +
        "Content-Length, or came too slowly. Send the whole request again, with as many bytes " +
        "of body as its Content-Length says",
    });
    // The request log's one record of it, at info as any other refusal of a client's request.
    await expect.poll(() => records.filter((record) => record.res !== undefined)).toHaveLength(1);
    const logged = records.filter((record) => record.res !== undefined || record.level >= 40);
    expect(logged).toEqual([
      expect.objectContaining({ level: 30, msg: "request completed", res: { statusCode: 408 } }),
    ]);
  });

  // No app sees a request whose headers never end (slowloris): the request log said nothing.
  it("is answered 408 when its headers never end, and logged once at warn, without them", async () => {
    const { tenant, records, ca } = await startLogged();

    const answer = await rawAnswer(
      tenant.port,
      ca,
      "POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic c2VjcmV0OnNlY3JldA==",
      true,
    );

    expect(answer).toMatchObject({
      status: 408,
      body: {
        error: "invalid_request",
        error_description: expect.stringMatching(
          /^The request's line and headers did not arrive whole within 0\.3 s: /,
        ),
      },
    });
    await expect.poll(() => records.filter((record) => record.level >= 40)).toHaveLength(1);
    expect(records.filter((record) => record.res !== undefined || record.level >= 40)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: lateRequestLine({ headersCame: false, remoteAddress: "127.0.0.1", limitSeconds: 0.3 }),
      }),
    ]);
    expect(JSON.stringify(records)).not.toContain("c2VjcmV0");
  });
});
