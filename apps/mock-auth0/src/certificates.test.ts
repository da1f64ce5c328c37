import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { hostname, tmpdir, userInfo } from "node:os";
import path from "node:path";
import { connect } from "node:tls";

import { pidNamespace } from "@ciba-testbed/shared/node";
import { describe, expect, it, onTestFinished } from "vitest";

import { CertDirError, ensureLocalCertificates, makeCertDir } from "./certificates.js";

function freshDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "certs-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("local certificates", () => {
  it("creates a CA and a localhost certificate it signed, for every loopback name", async () => {
    const dir = freshDir();
    const certs = await ensureLocalCertificates(dir);
    expect(certs.created).toBe(true);
    expect(certs.caCertPath).toBe(path.join(dir, "ca.pem"));
    const ca = new X509Certificate(certs.caCert);
    const server = new X509Certificate(certs.cert);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe(
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
  });

  it("names the folder and the setting that moves it when the folder cannot be made", async () => {
    const blocked = path.join(freshDir(), "a-file");
    writeFileSync(blocked, "");
    const dir = path.join(blocked, "certs");
    const failure = ensureLocalCertificates(dir);
    await expect(failure).rejects.toBeInstanceOf(CertDirError);
    await expect(failure).rejects.toThrow(
      `mock-auth0 cannot keep its local CA and signing keys in ${dir} (ENOTDIR: ${blocked} is a ` +
        `file, not a folder): set MOCK_AUTH0_CERT_DIR (the testkit's certDir option) ` +
        "to a folder this user may write",
    );
  });

  // Node 20's recursive mkdir never ends there; /proc is Linux's.
  it.runIf(process.platform === "linux")(
    "names the folder at once when it is under /proc, which takes no new folders",
    async () => {
      await expect(ensureLocalCertificates("/proc/certs")).rejects.toThrow(
        "mock-auth0 cannot keep its local CA and signing keys in /proc/certs (ENOENT: cannot " +
          "make the folder /proc/certs: /proc exists but takes no new folders): set " +
          "MOCK_AUTH0_CERT_DIR (the testkit's certDir option) to a folder this user may write",
      );
    },
    5_000,
  );

  // Root may write any folder: the suite run as another user checks this.
  it.runIf(process.getuid?.() !== 0)(
    "says to give this user a folder it may not write (one a run with sudo made), before any key is read",
    async () => {
      const dir = path.join(freshDir(), ".certs");
      mkdirSync(dir, { mode: 0o500 });
      onTestFinished(() => {
        chmodSync(dir, 0o700);
      });
      await expect(makeCertDir(dir)).rejects.toThrow(
        `mock-auth0 cannot keep its local CA and signing keys in ${dir} (EACCES: permission ` +
          `denied, access '${dir}'): give this user the folder (one made by another user, such ` +
          `as a run with sudo, is theirs: sudo chown -R ${userInfo().username} ${dir}), or set ` +
          "MOCK_AUTH0_CERT_DIR (the testkit's certDir option) to a folder this user may write",
      );
    },
  );

  it("makes its folder readable by its owner only", async () => {
    const dir = path.join(freshDir(), "certs");
    await ensureLocalCertificates(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  describe("in the temporary folder, which every user may write", () => {
    it("refuses a link put where its folder goes, and leaves what it points at alone", async () => {
      const temp = freshDir();
      const elsewhere = path.join(freshDir(), "theirs");
      mkdirSync(elsewhere);
      chmodSync(elsewhere, 0o777);
      const dir = path.join(temp, "ciba-testbed-certs");
      symlinkSync(elsewhere, dir);
      await expect(makeCertDir(dir, temp)).rejects.toThrow(
        `mock-auth0 cannot keep its local CA and signing keys in ${dir} (it is not a folder ` +
          `of its own but a link or a file, which this user cannot remove from ${temp}): set ` +
          "MOCK_AUTH0_CERT_DIR",
      );
      expect(statSync(elsewhere).mode & 0o777).toBe(0o777);
    });

    it("closes a folder of this user's that others may open", async () => {
      const temp = freshDir();
      const dir = path.join(temp, "ciba-testbed-certs");
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      await makeCertDir(dir, temp);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    });

    // Only root may give a folder to another user; CI runs the suite as root.
    it.runIf(process.getuid?.() === 0)("refuses a folder another user made first", async () => {
      const temp = freshDir();
      const dir = path.join(temp, "ciba-testbed-certs");
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
      await expect(makeCertDir(dir, temp)).rejects.toThrow(
        `(it belongs to user 65534, not to this user (0), which this user cannot remove from ` +
          `${temp}): set MOCK_AUTH0_CERT_DIR (the testkit's certDir option) to a folder of ` +
          "this user's own",
      );
    });

    it("leaves a folder outside it as it finds it", async () => {
      const dir = path.join(freshDir(), "certs");
      mkdirSync(dir);
      chmodSync(dir, 0o755);
      await makeCertDir(dir, path.join(freshDir(), "another-temp"));
      expect(statSync(dir).mode & 0o777).toBe(0o755);
    });
  });

  it("reuses usable certificates", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    const second = await ensureLocalCertificates(dir);
    expect(second.created).toBe(false);
    expect(second.caCert).toBe(first.caCert);
  });

  it("replaces certificates that are about to expire or damaged", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    const in400Days = () => Date.now() + 400 * 86_400_000;
    const renewed = await ensureLocalCertificates(dir, in400Days);
    expect(renewed.created).toBe(true);
    expect(renewed.caCert).not.toBe(first.caCert);

    writeFileSync(path.join(dir, "localhost.pem"), "garbage");
    expect((await ensureLocalCertificates(dir)).created).toBe(true);
  });

  it("covers another host with a server certificate of the same CA, keeping the hosts it covered", async () => {
    const dir = freshDir();
    const first = await ensureLocalCertificates(dir);
    const other = await ensureLocalCertificates(dir, undefined, "127.0.0.2");
    expect(other.created).toBe(true);
    expect(other.caCert).toBe(first.caCert);
    const third = await ensureLocalCertificates(dir, undefined, "[fd00::3]");
    expect(new X509Certificate(third.cert).subjectAltName).toBe(
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:127.0.0.2, IP Address:FD00:0:0:0:0:0:0:3",
    );
    const again = await ensureLocalCertificates(dir, undefined, "127.0.0.2");
    expect([again.created, again.cert]).toEqual([false, third.cert]);
    expect((await ensureLocalCertificates(dir, undefined, "localhost")).created).toBe(false);
  });

  it("takes over at once the lock of a tenant killed while it made them, and reuses what is there", async () => {
    const dir = freshDir();
    const made = await ensureLocalCertificates(dir);
    // What a tenant killed with SIGKILL inside the lock leaves: the lock, naming its process.
    const lock = path.join(dir, ".lock");
    mkdirSync(lock);
    writeFileSync(
      path.join(lock, "holder.json"),
      JSON.stringify({
        pid: spawnSync(process.execPath, ["-e", "0"]).pid,
        host: hostname(),
        namespace: pidNamespace(),
      }),
    );

    // Within this test's default 5 s, where a lock was waited for until it was 30 s old.
    const reused = await ensureLocalCertificates(dir);

    expect(reused).toEqual({ ...made, created: false });
    expect(existsSync(lock)).toBe(false);
  });

  it("gives every concurrent starter the same set", async () => {
    const dir = freshDir();
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureLocalCertificates(dir)));
    expect(all.filter((c) => c.created)).toHaveLength(1);
    expect(new Set(all.map((c) => c.caCert)).size).toBe(1);
    expect(readFileSync(path.join(dir, "ca.pem"), "utf8")).toBe(all[0]!.caCert);
  });

  it("serves TLS that a client trusting only the CA accepts for localhost", async () => {
    const certs = await ensureLocalCertificates(freshDir());
    const server = createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect(
          { host: "127.0.0.1", port, servername: "localhost", ca: certs.caCert },
          () => {
            resolve(socket.authorized);
            socket.end();
          },
        );
        socket.on("error", reject);
      });
      expect(authorized).toBe(true);
    } finally {
      server.close();
    }
  });
});
