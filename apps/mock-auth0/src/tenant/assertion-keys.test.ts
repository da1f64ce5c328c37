import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { assertionPublicKey } from "./assertion-keys.js";
import { TenantFileError, loadTenantReport } from "./load-tenant.js";

const rsa = (modulusLength: number) => generateKeyPairSync("rsa", { modulusLength });
const { publicKey, privateKey } = rsa(2048);
const SPKI = publicKey.export({ type: "spki", format: "pem" }).toString();

/** A tenant whose client authenticates with Private Key JWT, the PEM given as a keyword. */
function tenantWithCredentials(credentials: string, keywords: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "pkjwt-tenant-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(
    path.join(dir, "tenant.yaml"),
    `clients:
  - name: Key agent
    app_type: regular_web
    token_endpoint_auth_method: null
    grant_types: [urn:openid:params:grant-type:ciba]
    client_authentication_methods:
      private_key_jwt:
        credentials:
${credentials}
`,
  );
  writeFileSync(path.join(dir, "users.json"), "[]");
  writeFileSync(
    path.join(dir, "mock-auth0.json"),
    JSON.stringify({ keywords, clients: { "Key agent": { client_id: "key-agent" } } }),
  );
  return path.join(dir, "tenant.yaml");
}

describe("Private Key JWT credentials in tenant.yaml", () => {
  it("reads a credential's PEM, here from a mock-auth0.json @@KEYWORD@@ (JSON-quoted, so newlines survive)", () => {
    const report = loadTenantReport(
      tenantWithCredentials(
        `          - name: agent key
            credential_type: public_key
            pem: "@@AGENT_PUBLIC_KEY@@"
            alg: PS256`,
        { AGENT_PUBLIC_KEY: SPKI },
      ),
    );
    const client = report.tenant.clients[0];
    expect(client?.authentication).toBe("private_key_jwt");
    expect(client?.clientSecret).toBeUndefined();
    expect(client?.assertionKeys).toEqual([
      {
        name: "agent key",
        alg: "PS256",
        publicKey: expect.anything(),
        kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: undefined,
      },
    ]);
    expect(client?.assertionKeys[0]?.publicKey.equals(publicKey)).toBe(true);
  });

  it("says that a credential without a PEM (as a0deploy exports them) cannot authenticate", () => {
    const report = loadTenantReport(
      tenantWithCredentials(`          - name: exported key
            credential_type: public_key`),
    );
    expect(report.tenant.clients[0]?.assertionKeys).toEqual([]);
    expect(report.notices).toContainEqual(expect.stringMatching(/"exported key" has no pem/));
  });

  it("refuses a private key, a short key, a third credential and an alg Auth0 does not allow", () => {
    const file = tenantWithCredentials(
      `          - name: private
            pem: ${JSON.stringify(privateKey.export({ type: "pkcs8", format: "pem" }))}
          - name: short
            pem: ${JSON.stringify(rsa(1024).publicKey.export({ type: "spki", format: "pem" }))}
            alg: ES256
          - name: third
            pem: ${JSON.stringify(SPKI)}`,
    );
    let problems: readonly string[] = [];
    try {
      loadTenantReport(file);
    } catch (error) {
      expect(error).toBeInstanceOf(TenantFileError);
      problems = (error as TenantFileError).problems;
    }
    const at = "clients[0].client_authentication_methods.private_key_jwt.credentials";
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${at}: Auth0 allows at most two credentials`),
        expect.stringContaining(`${at}[1].alg: must be one of RS256, RS384, PS256`),
      ]),
    );
    expect(() =>
      loadTenantReport(
        tenantWithCredentials(`          - name: private
            pem: ${JSON.stringify(privateKey.export({ type: "pkcs8", format: "pem" }))}`),
      ),
    ).toThrow(`${at}[0].pem: pem holds a private key`);
  });
});

describe("assertionPublicKey", () => {
  it("takes SPKI, PKCS #1 and an X.509 certificate's key", () => {
    expect(assertionPublicKey(SPKI)).toHaveProperty("type", "public");
    const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(assertionPublicKey(pkcs1)).toHaveProperty("type", "public");
  });

  it.each([
    [
      "a private key",
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      /private key/,
    ],
    [
      "a 1024-bit key",
      rsa(1024).publicKey.export({ type: "spki", format: "pem" }).toString(),
      /at least 2048 bits \(got rsa 1024\)/,
    ],
    [
      "an EC key",
      generateKeyPairSync("ec", { namedCurve: "P-256" })
        .publicKey.export({ type: "spki", format: "pem" })
        .toString(),
      /RSA key of at least 2048 bits \(got ec\)/,
    ],
    ["text that is no PEM", "not a key", /not a PEM public key/],
  ])("refuses %s", (_name, pem, problem) => {
    expect(assertionPublicKey(pem)).toEqual({ problem: expect.stringMatching(problem) });
  });
});
