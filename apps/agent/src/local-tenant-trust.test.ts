import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, get, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The local tenant's own certificates: a CA and a `localhost` certificate it signed.
import { ensureLocalCertificates } from "../../mock-auth0/src/certificates.js";
import { localTenantCertificates, trustCertificates } from "./local-tenant-trust.js";

let dir: string;
let caPem: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "agent-trust-"));
  const certificates = await ensureLocalCertificates(dir);
  caPem = certificates.caCert;
  server = createServer(
    { cert: certificates.cert, key: certificates.key },
    (_request, response) => {
      // A new TLS connection each time, so each request is verified again.
      response.setHeader("connection", "close");
      response.end("tenant");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://localhost:${String((server.address() as AddressInfo).port)}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function httpsGet(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(target, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => {
        resolve(body);
      });
    }).on("error", reject);
  });
}

function causeCode(error: unknown): unknown {
  return (error as { cause?: { code?: unknown } }).cause?.code;
}

describe("localTenantCertificates", () => {
  const env = () => ({ MOCK_AUTH0_CERT_DIR: dir, AUTH0_DOMAIN: "localhost:4010" });

  it("names the local CA when Node did not load it at start", async () => {
    expect(localTenantCertificates(env(), undefined)).toEqual([caPem.trim()]);
    const other = path.join(dir, "other.pem");
    await writeFile(other, "-----BEGIN CERTIFICATE-----\nother\n-----END CERTIFICATE-----\n");
    expect(localTenantCertificates(env(), other)).toEqual([caPem.trim()]);
  });

  it("adds nothing when the bundle Node loaded at start holds the local CA", async () => {
    const bundle = path.join(dir, "bundle.pem");
    await writeFile(bundle, `${await readFile(path.join(dir, "ca.pem"), "utf8")}\n`);
    expect(localTenantCertificates(env(), bundle)).toBeUndefined();
  });

  it("adds a NODE_EXTRA_CA_CERTS that only .env names, which Node never read", async () => {
    const extra = path.join(dir, "extra.pem");
    const pem = "-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n";
    await writeFile(extra, pem);
    expect(localTenantCertificates({ ...env(), NODE_EXTRA_CA_CERTS: extra }, undefined)).toEqual([
      pem,
      caPem.trim(),
    ]);
  });

  it("adds nothing for a remote tenant or before the local CA exists", () => {
    expect(localTenantCertificates({ ...env(), AUTH0_DOMAIN: "tenant.us.auth0.com" })).toBe(
      undefined,
    );
    const missing = { MOCK_AUTH0_CERT_DIR: path.join(dir, "none") };
    expect(localTenantCertificates(missing, undefined)).toBeUndefined();
  });
});

describe("trustCertificates", () => {
  it("makes global fetch and node:https trust the tenant, in this process", async () => {
    const refused = await fetch(url).catch((error: unknown) => error);
    expect(causeCode(refused)).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");

    const restore = trustCertificates([caPem]);
    try {
      expect(await (await fetch(url)).text()).toBe("tenant");
      expect(await httpsGet(url)).toBe("tenant");
      // A client that names its own CAs keeps exactly those.
      await expect(
        new Promise((resolve, reject) => {
          get(url, { ca: [...rootCertificates], agent: false }, resolve).on("error", reject);
        }),
      ).rejects.toThrow(/unable to verify/);
    } finally {
      restore();
    }
  });

  it("keeps trusting what NODE_EXTRA_CA_CERTS named when Node started", async () => {
    // A process started trusting the tenant's CA through the variable, which then trusts another
    // CA: its connections to the tenant must still verify.
    const extraFile = path.join(dir, "extra.pem");
    await writeFile(extraFile, caPem);
    const script = `
      import { trustCertificates } from ${JSON.stringify(fileURLToPath(new URL("./local-tenant-trust.ts", import.meta.url)))};
      trustCertificates([${JSON.stringify(rootCertificates[0] ?? "")}]);
      console.log(await (await fetch(${JSON.stringify(url)})).text());
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: extraFile } },
    );
    expect(stdout.trim()).toBe("tenant");
  });
});
