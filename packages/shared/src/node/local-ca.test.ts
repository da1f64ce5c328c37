import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";

import { beforeAll, describe, expect, it, onTestFinished } from "vitest";

// The local tenant's own CA, as mock-auth0 makes it.
import { ensureLocalCertificates } from "../../../../apps/mock-auth0/src/certificates.js";
import {
  defaultCertDir,
  isLoopbackHost,
  localCaToTrust,
  readPemFile,
  userTempPrefix,
} from "./local-ca.js";

let CA = "";
/** A CA of Node's own: a system bundle holds such ones, and no testbed CA. */
const SYSTEM = `${rootCertificates[0] ?? ""}\n`;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "local-ca-made-"));
  CA = `${(await ensureLocalCertificates(dir)).caCert.trim()}\n`;
  await rm(dir, { recursive: true, force: true });
});

async function files() {
  const dir = await mkdtemp(path.join(tmpdir(), "local-ca-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const ca = path.join(dir, "ca.pem");
  const system = path.join(dir, "system.pem");
  await writeFile(ca, CA);
  await writeFile(system, SYSTEM);
  return { dir, ca, system };
}

describe("defaultCertDir", () => {
  it("is .certs in a checkout of the repository", async () => {
    const { dir } = await files();
    await writeFile(path.join(dir, "pnpm-workspace.yaml"), "packages: []\n");
    expect(defaultCertDir(dir, "/tmp")).toBe(path.join(dir, ".certs"));
  });

  it("is a folder of the user's own in the temporary folder for an installed package, never inside it", async () => {
    const { dir } = await files();
    const installed = path.join(dir, "node_modules/@ciba-testbed/mock-auth0/dist");
    expect(defaultCertDir(installed, "/tmp")).toBe(`/tmp/${userTempPrefix()}certs`);
    expect(userTempPrefix()).toBe(`ciba-testbed-${String(process.getuid?.())}-`);
  });
});

describe("localCaToTrust", () => {
  it("names the local CA when nothing else is trusted", async () => {
    const { ca } = await files();
    expect(localCaToTrust({ PATH: "/bin" }, "localhost:4010", ca)).toBe(CA.trim());
  });

  it("names it beside a NODE_EXTRA_CA_CERTS that does not hold it, and not once one does", async () => {
    const { dir, ca, system } = await files();
    expect(localCaToTrust({ NODE_EXTRA_CA_CERTS: system }, "localhost:4010", ca)).toBe(CA.trim());
    const bundle = path.join(dir, "bundle.pem");
    await writeFile(bundle, `${SYSTEM}${CA}`);
    expect(localCaToTrust({ NODE_EXTRA_CA_CERTS: bundle }, "localhost:4010", ca)).toBeUndefined();
    expect(localCaToTrust({ NODE_EXTRA_CA_CERTS: ca }, "localhost:4010", ca)).toBeUndefined();
  });

  it("is nothing to add before the tenant has made one, and a clear error when it cannot be read", async () => {
    const { dir } = await files();
    expect(localCaToTrust({}, "localhost:4010", path.join(dir, "none/ca.pem"))).toBeUndefined();
    // A folder in its place: what a file this user may not read (EACCES) is, to a root user.
    const folder = path.join(dir, "folder.pem");
    await mkdir(folder);
    expect(() => localCaToTrust({}, "localhost:4010", folder)).toThrow(
      `cannot read the local tenant's CA ${folder} (EISDIR): this process must trust it to reach the tenant at localhost:4010. Give this user the file and its folder (a folder made by another user, such as a run with sudo, is theirs), set NODE_EXTRA_CA_CERTS to a copy of it this user may read, or set MOCK_AUTH0_CERT_DIR to a folder of this user's own and start the tenant with it too`,
    );
    // With a NODE_EXTRA_CA_CERTS of its own that holds a copy, there is nothing to add or refuse.
    const { ca, system } = await files();
    expect(localCaToTrust({ NODE_EXTRA_CA_CERTS: ca }, "localhost:4010", folder)).toBeUndefined();
    // Any other bundle (the system's) is no copy of it: still refused.
    expect(() => localCaToTrust({ NODE_EXTRA_CA_CERTS: system }, "localhost:4010", folder)).toThrow(
      `cannot read the local tenant's CA ${folder} (EISDIR)`,
    );
    // A remote tenant's trust is Node's own: the local file is not read.
    expect(localCaToTrust({}, "tenant.auth0.com", folder)).toBeUndefined();
  });

  it("says a CA file that holds no certificate is empty or damaged, and how to make a new one", async () => {
    const { dir } = await files();
    for (const text of [
      "",
      "not a certificate\n",
      "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
    ]) {
      const damaged = path.join(dir, "damaged.pem");
      await writeFile(damaged, text);
      expect(() => localCaToTrust({}, "localhost:4010", damaged)).toThrow(
        `the local tenant's CA ${damaged} holds no certificate (it is empty or damaged): stop the tenant, delete the files in its folder (${dir}), and start it again, which makes a new CA`,
      );
    }
  });

  it("reads no certificates from a NODE_EXTRA_CA_CERTS that names a folder, as Node goes on without them", async () => {
    const { dir, ca } = await files();
    expect(readPemFile(dir)).toBeUndefined();
    expect(readPemFile(` ${ca} `)).toBe(CA);
    expect(localCaToTrust({ NODE_EXTRA_CA_CERTS: dir }, "localhost:4010", ca)).toBe(CA.trim());
  });

  it("reads the CA from MOCK_AUTH0_CERT_DIR, where mock-auth0 makes it", async () => {
    const { dir } = await files();
    expect(localCaToTrust({ MOCK_AUTH0_CERT_DIR: dir }, "127.0.0.1:4010")).toBe(CA.trim());
  });

  it("leaves a real tenant and a missing CA alone", async () => {
    const { dir, ca } = await files();
    expect(localCaToTrust({}, "acme.auth0.com", ca)).toBeUndefined();
    expect(localCaToTrust({}, "localhost:4010", path.join(dir, "none.pem"))).toBeUndefined();
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost:4010", true],
    ["127.0.0.1", true],
    ["127.0.0.2:4010", true],
    ["[::1]:4010", true],
    ["tenant.localhost", true],
    ["acme.us.auth0.com", false],
    ["localhost.example.com", false],
  ])("%s -> %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
