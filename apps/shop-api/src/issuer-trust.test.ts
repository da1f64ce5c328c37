import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { IssuerCheckError, checkIssuer } from "./issuer-check.js";
import { IssuerTrust, LocalCaError } from "./issuer-trust.js";
import { localTls, startTestIssuer } from "./test-support/test-issuer.js";
import type { LocalTls, TestIssuer } from "./test-support/test-issuer.js";

let tls: LocalTls;
let issuer: TestIssuer;

beforeAll(async () => {
  tls = await localTls();
  issuer = await startTestIssuer({ tls });
});
afterAll(async () => {
  await issuer.close();
});

/** An empty certificate folder, as a tenant that has not started yet leaves it. */
async function certDir(): Promise<{ dir: string; ca: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "shop-issuer-trust-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return { dir, ca: path.join(dir, "ca.pem") };
}

/** The start-up check through what `trust` trusts now. */
async function check(trust: IssuerTrust): Promise<unknown> {
  return checkIssuer({
    issuer: issuer.issuer,
    agent: trust.tokenVerification.agent,
    untrustedHint: trust.untrustedHint(),
  }).catch((error: unknown) => error);
}

describe("IssuerTrust", () => {
  it("trusts a local tenant's CA that appears after the shop first looked", async () => {
    const { dir, ca } = await certDir();
    const trust = new IssuerTrust(issuer.issuer, { MOCK_AUTH0_CERT_DIR: dir });
    expect(trust.tokenVerification.agent).toBeUndefined();
    expect(trust.refresh()).toBe(false);

    // The tenant's first start makes it.
    await writeFile(ca, tls.ca);
    expect(trust.refresh()).toBe(true);
    expect(await check(trust)).toMatchObject({ issuer: issuer.issuer, keyCount: 1 });
    // Found once: not looked for again.
    await rm(ca);
    expect(trust.refresh()).toBe(false);
    expect(await check(trust)).toMatchObject({ issuer: issuer.issuer });
  });

  it("says which folder the shop looked in when the tenant has no CA there, never to set NODE_EXTRA_CA_CERTS for it", async () => {
    const { dir, ca } = await certDir();
    const error = await check(new IssuerTrust(issuer.issuer, { MOCK_AUTH0_CERT_DIR: dir }));
    expect(error).toBeInstanceOf(IssuerCheckError);
    const { problem, message } = error as IssuerCheckError;
    expect(problem).toBe("tls_untrusted");
    expect(message).toContain(
      `The shop trusts the local mock-auth0's CA by itself once the tenant has made it, and there is none at ${ca}: start the shop with the MOCK_AUTH0_CERT_DIR the tenant was started with`,
    );
    expect(message).not.toMatch(/set NODE_EXTRA_CA_CERTS/);
  });

  it("says the CA it trusts did not sign the certificate of a tenant with another folder", async () => {
    const { dir, ca } = await certDir();
    await writeFile(ca, (await localTls()).ca);
    const trust = new IssuerTrust(issuer.issuer, { MOCK_AUTH0_CERT_DIR: dir });
    expect(trust.tokenVerification.agent).toBeDefined();
    const { problem, message } = (await check(trust)) as IssuerCheckError;
    expect(problem).toBe("tls_untrusted");
    expect(message).toContain(
      `The shop trusts the local mock-auth0's CA in ${ca} by itself, and it did not sign this certificate: start the shop with the MOCK_AUTH0_CERT_DIR the tenant was started with`,
    );
  });

  it("looks for no local CA for a remote or plain-HTTP issuer", async () => {
    const { dir, ca } = await certDir();
    await writeFile(ca, tls.ca);
    const env = { MOCK_AUTH0_CERT_DIR: dir };
    for (const remote of ["https://acme.us.auth0.com/", "http://127.0.0.1:4010/"]) {
      const trust = new IssuerTrust(remote, env);
      expect(trust.refresh()).toBe(false);
      expect(trust.tokenVerification).toEqual({});
    }
    expect(new IssuerTrust("https://acme.us.auth0.com/", env).untrustedHint()).toBe(
      "Make the shop trust the issuer's certificate authority: name a file with it in NODE_EXTRA_CA_CERTS when starting the shop (setting it from code has no effect).",
    );
  });

  it("refuses a CA file that appeared damaged, as at start", async () => {
    const { dir, ca } = await certDir();
    const trust = new IssuerTrust(issuer.issuer, { MOCK_AUTH0_CERT_DIR: dir });
    await writeFile(ca, "not a certificate\n");
    expect(() => trust.refresh()).toThrow(LocalCaError);
    expect(() => trust.refresh()).toThrow(/holds no certificate \(it is empty or damaged\)/);
  });
});
