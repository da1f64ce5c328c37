import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { httpsJson } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let folder: string;
let ca: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "stack-https-json-"));
  const certificates = await ensureLocalCertificates(folder);
  ca = certificates.caCert;
  server = createServer({ cert: certificates.cert, key: certificates.key }, (req, res) => {
    if (req.url === "/cut") {
      // A tenant that ends in the middle of its answer: half a body, then the connection goes.
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"requests":');
      res.once("finish", () => req.socket.destroy());
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"requests":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://localhost:${String((server.address() as AddressInfo).port)}`;
});

afterAll(() => {
  server.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("the stack's httpsJson", () => {
  it("reads a whole JSON answer, trusting the CA it is given", async () => {
    await expect(httpsJson(new URL("/whole", origin), { ca })).resolves.toEqual({
      status: 200,
      body: { requests: [] },
    });
  });

  it("rejects, naming what happened, when the connection closes in the middle of the answer", async () => {
    const url = new URL("/cut", origin);
    const failure = await httpsJson(url, { ca }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      `${url.href} answered 200, and the connection closed before the answer ended ` +
        "(ECONNRESET): check that the tenant still runs",
    );
  });
});
