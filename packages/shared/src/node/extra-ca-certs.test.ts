import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";

import { afterEach, describe, expect, it } from "vitest";

import { BUNDLE_FILE, extraCaCerts } from "./extra-ca-certs.js";

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
const PROXY = pem("UHJveHkgQ0E=");
const TENANT = pem("VGVuYW50IENB");

let folder: string;
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

function files() {
  folder = mkdtempSync(path.join(tmpdir(), "ciba-extra-ca-"));
  const caCertPath = path.join(folder, "ca.pem");
  writeFileSync(caCertPath, `${TENANT}\n`);
  const proxy = path.join(folder, "proxy.pem");
  writeFileSync(proxy, `# the runner's proxy\n${PROXY}\n`);
  return { ca: { caCertPath, caPem: `${TENANT}\n` }, proxy };
}

describe("extraCaCerts", () => {
  it("bundles the certificates NODE_EXTRA_CA_CERTS names already with the tenant's CA", () => {
    const { ca, proxy } = files();
    const bundle = extraCaCerts(proxy, ca, folder);
    expect(bundle).toBe(path.join(folder, BUNDLE_FILE));
    expect(readFileSync(bundle, "utf8")).toBe(`${PROXY}\n${TENANT}\n`);
    // A process that set the variable to the bundle, whose testbed stopped and removed it.
    rmSync(bundle);
    expect(extraCaCerts(bundle, ca, folder)).toBe(bundle);
    expect(readFileSync(bundle, "utf8")).toBe(`${PROXY}\n${TENANT}\n`);
  });

  it("leaves Node's own roots out of the bundle, whatever their line length, and keeps the rest", () => {
    const { ca, proxy } = files();
    const [root = ""] = rootCertificates;
    // As a system bundle may hold it: the same certificate in lines of 76 characters.
    const body = root.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    const rewrapped = pem(body.match(/.{1,76}/g)?.join("\n") ?? "");
    writeFileSync(proxy, `${rewrapped}\n${PROXY}\n${root}\n`);
    const bundle = extraCaCerts(proxy, ca, folder);
    expect(readFileSync(bundle, "utf8")).toBe(`${PROXY}\n${TENANT}\n`);
  });

  it("names the tenant's CA alone when nothing else is set, and a file that holds it already as it is", () => {
    const { ca } = files();
    expect(extraCaCerts(undefined, ca, folder)).toBe(ca.caCertPath);
    expect(extraCaCerts("", ca, folder)).toBe(ca.caCertPath);
    expect(extraCaCerts(ca.caCertPath, ca, folder)).toBe(ca.caCertPath);
  });

  it("fails naming a file NODE_EXTRA_CA_CERTS names that cannot be read", () => {
    const { ca } = files();
    const missing = path.join(folder, "no-such.pem");
    expect(() => extraCaCerts(missing, ca, folder)).toThrow(
      `NODE_EXTRA_CA_CERTS names ${missing}, which cannot be read (ENOENT)`,
    );
  });
});
