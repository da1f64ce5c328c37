import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { httpsJson } from "./https-json.js";

let folder: string;
let ca: string;
let server: Server;
let origin: string;

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
    res.writeHead(404, { "content-type": "text/html" }).end("<html>Not here</html>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://localhost:${String((server.address() as AddressInfo).port)}`;
});

afterAll(() => {
  server.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("httpsJson", () => {
  it("names, for an answer that is no JSON, what to check and where the tenant's log is", async () => {
    const url = new URL("/approver/api/requests", origin);
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
});
