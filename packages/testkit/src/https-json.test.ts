import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { httpsJson } from "./https-json.js";
import { TestbedError } from "./testbed-error.js";

let folder: string;
let ca: string;
let server: Server;
let origin: string;
/** An HTTPS server whose certificate another CA signed: not the tenant the CA belongs to. */
let stranger: Server;
let strangerOrigin: string;
/** Where nothing listens: a port that was free a moment ago. */
let closedOrigin: string;

const listening = async (listener: Server) => {
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  return `https://localhost:${String((listener.address() as AddressInfo).port)}`;
};

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-https-json-"));
  const certificates = await ensureLocalCertificates(folder);
  ca = certificates.caCert;
  // What answers at a tenant's address when it is not the tenant: a proxy's or another
  // server's error page, or nothing at all.
  server = createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
    if (req.url === "/empty") {
      res.writeHead(502).end();
      return;
    }
    if (req.url === "/cut") {
      // The tenant ending in the middle of its answer: half a body, then the connection goes.
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"requests":');
      res.once("finish", () => req.socket.destroy());
      res.end();
      return;
    }
    res.writeHead(404, { "content-type": "text/html" }).end("<html>Not here</html>");
  });
  origin = await listening(server);
  const other = await ensureLocalCertificates(path.join(folder, "other"));
  stranger = createServer({ cert: other.cert, key: other.key }, (_req, res) => res.end("{}"));
  strangerOrigin = await listening(stranger);
  const closed = createServer();
  closedOrigin = await listening(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(() => {
  server.close();
  stranger.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("httpsJson", () => {
  it("names, for an answer that is no JSON, what to check and where the tenant's log is", async () => {
    const url = new URL("/approver/api/requests", origin);
    await expect(httpsJson(url, { method: "GET", ca })).rejects.toMatchObject({
      name: "TestbedError",
      code: "TESTBED_NOT_THE_TENANT",
    });
    await expect(httpsJson(url, { method: "GET", ca })).rejects.toThrow(
      `${url.href} answered 404: "<html>Not here</html>", which is no JSON, as mock-auth0 always ` +
        "answers: check that the testbed's tenant still runs (stop() not called yet, its " +
        `process not killed) and that nothing else listens at ${origin}; startTestbed's logs ` +
        "option (logs: process.stderr) shows the tenant's log",
    );
  });

  it("says so when the answer has no body at all", async () => {
    const url = new URL("/empty", origin);
    await expect(httpsJson(url, { method: "GET", ca })).rejects.toThrow(
      `${url.href} answered 502: no body, which is no JSON`,
    );
  });

  // Each ended in Node's own error and its stack (the reset one never ended: the call hung).
  it.each([
    {
      what: "a refused connection",
      url: () => new URL("/approver/api/requests", closedOrigin),
      said: (url: URL) => `(ECONNREFUSED): nothing listens at ${url.origin}`,
    },
    {
      what: "a connection closed in the middle of the answer",
      url: () => new URL("/cut", origin),
      said: () => "(ECONNRESET): the connection closed before the answer ended",
    },
    {
      what: "a certificate another CA signed",
      url: () => new URL("/approver/api/requests", strangerOrigin),
      said: (url: URL) =>
        `(UNABLE_TO_VERIFY_LEAF_SIGNATURE): what answers at ${url.origin} shows a certificate ` +
        "the tenant's CA did not sign for it, so it is not the testbed's tenant",
    },
  ])("names, for $what, what it means and the next step, with a stable code", async (each) => {
    const url = each.url();
    const error = await httpsJson(url, { method: "GET", ca }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestbedError);
    expect(error).toMatchObject({ code: "TESTBED_TENANT_UNREACHABLE" });
    expect((error as Error).message).toBe(
      `GET ${url.href} got no answer ${each.said(url)}; check that the testbed's tenant still ` +
        `runs (stop() not called yet, its process not killed) and that nothing else listens at ` +
        `${url.origin}; startTestbed's logs option (logs: process.stderr) shows the tenant's log`,
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
