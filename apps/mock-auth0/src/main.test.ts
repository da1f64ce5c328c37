import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { parseReadyRecord } from "@ciba-testbed/shared/node";
import { describe, expect, it, onTestFinished } from "vitest";

import { builtEntry, sourceMapFlags } from "../../../scripts/build.js";
import { ensureLocalCertificates } from "./certificates.js";

// Each test starts the built main (scripts/build.js) as a real process; on a loaded machine that
// can take seconds: hence the 30 s timeouts.
const MAIN = builtEntry("mock-auth0");
/** Node's flags as the stack starts it (none: it maps the stacks it prints itself). */
const NODE_FLAGS = sourceMapFlags("apps/mock-auth0/src/main.ts");
const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const BASE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith("MOCK_AUTH0_")),
);

/** A temporary folder for the test that calls this, removed when it ends. */
function ownTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Starts main.ts and collects its stdout lines until `enough` says so, then stops it. */
async function stdoutOf(
  env: Record<string, string>,
  enough: (lines: string[]) => boolean,
): Promise<string[]> {
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
    cwd: APP_DIR,
    env: { ...BASE_ENV, MOCK_AUTH0_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const lines: string[] = [];
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      if (enough(lines)) return lines;
    }
    throw new Error(`mock-auth0 exited early:\n${lines.join("\n")}`);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

describe("mock-auth0's main", () => {
  it("exits 2 before listening when it would expose the control API, naming both variables", () => {
    const run = spawnSync(process.execPath, [...NODE_FLAGS, MAIN], {
      cwd: APP_DIR,
      env: { ...BASE_ENV, MOCK_AUTH0_HOST: "0.0.0.0", MOCK_AUTH0_PORT: "0" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "Invalid mock-auth0 configuration:",
        '  - MOCK_AUTH0_HOST is not a loopback address: other machines can reach this tenant, and its control API can approve any consent request: set MOCK_AUTH0_CONTROL_TOKEN to a secret (clients then send Authorization: Bearer <token>), or set MOCK_AUTH0_INSECURE_CONTROL=true to leave it open on purpose (got "0.0.0.0")',
        "",
      ].join("\n"),
    );
  });

  it(
    "prints one ready record on stdout once it listens, even with LOG_LEVEL=silent",
    { timeout: 30_000 },
    async () => {
      const certDir = ownTempDir("main-ready-");
      const lines = await stdoutOf({ MOCK_AUTH0_CERT_DIR: certDir, LOG_LEVEL: "silent" }, (seen) =>
        seen.some((line) => parseReadyRecord(line)),
      );
      expect(lines).toHaveLength(1);
      const ready = parseReadyRecord(lines[0] ?? "");
      const issuer = `https://localhost:${String(ready?.port)}/`;
      expect(ready).toEqual({
        ready: true,
        pid: expect.any(Number),
        service: "mock-auth0",
        url: issuer,
        port: expect.any(Number),
        issuer,
        caCertPath: path.join(certDir, "ca.pem"),
        apis: [{ identifier: "sample-shop-api", scopes: ["product:buy"] }],
      });
      expect(ready?.port).toBeGreaterThan(0);
    },
  );

  it(
    "names in its ready record, once, a CA it made in place of the one there before",
    { timeout: 30_000 },
    async () => {
      const certDir = ownTempDir("main-ready-");
      const before = await ensureLocalCertificates(certDir);
      // A CA without its key or its server certificate cannot go on: a new one replaces it.
      rmSync(path.join(certDir, "ca-key.pem"));
      rmSync(path.join(certDir, "localhost.pem"));
      const readyOf = async () =>
        parseReadyRecord(
          (
            await stdoutOf({ MOCK_AUTH0_CERT_DIR: certDir, LOG_LEVEL: "silent" }, (seen) =>
              seen.some((line) => parseReadyRecord(line)),
            )
          ).at(-1) ?? "",
        );
      const ready = await readyOf();
      expect(readFileSync(path.join(certDir, "ca.pem"), "utf8")).not.toBe(before.caCert);
      expect(ready?.caNote).toMatch(
        new RegExp(
          `^mock-auth0 made a new local CA, ${path.join(certDir, "ca.pem")}, as the CA there before .* could not sign a new server certificate .*: restart each with the new ca\\.pem`,
        ),
      );
      // The next start serves with the new CA, and says nothing of it.
      expect(await readyOf()).not.toHaveProperty("caNote");
    },
  );

  it(
    "keeps its listening log line for people beside the ready record",
    { timeout: 30_000 },
    async () => {
      const certDir = ownTempDir("main-ready-");
      const isLog = (line: string) => line.includes('"msg":"mock-auth0 listening"');
      const lines = await stdoutOf(
        { MOCK_AUTH0_CERT_DIR: certDir, LOG_LEVEL: "info" },
        (seen) => seen.some((line) => parseReadyRecord(line)) && seen.some(isLog),
      );
      expect(lines.filter((line) => parseReadyRecord(line))).toHaveLength(1);
      expect(JSON.parse(lines.find(isLog) ?? "{}")).toMatchObject({
        caCert: path.join(certDir, "ca.pem"),
        issuer: expect.stringMatching(/^https:\/\/localhost:\d+\/$/),
      });
    },
  );

  it(
    "prints an export line a shell reads back as the CA's path, a space and a quote in it",
    { timeout: 30_000 },
    async () => {
      const certDir = path.join(ownTempDir("main-export-"), "ci work's certs");
      const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
        cwd: APP_DIR,
        env: {
          ...BASE_ENV,
          MOCK_AUTH0_PORT: "0",
          MOCK_AUTH0_CERT_DIR: certDir,
          LOG_LEVEL: "silent",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let exportLine: string | undefined;
      try {
        for await (const line of createInterface({ input: child.stderr })) {
          if (line.trim().startsWith("export NODE_EXTRA_CA_CERTS=")) exportLine = line.trim();
          if (line.startsWith("Control API")) break;
        }
      } finally {
        child.kill("SIGTERM");
        await exited;
      }
      expect(exportLine).toBeDefined();
      const pasted = spawnSync(
        "sh",
        ["-c", `${exportLine ?? ""}; printf %s "$NODE_EXTRA_CA_CERTS"`],
        {
          encoding: "utf8",
        },
      );
      expect(pasted.stderr).toBe("");
      expect(pasted.stdout).toBe(path.join(certDir, "ca.pem"));
    },
  );

  it(
    "keeps its signing keys in the certificate folder: a restart publishes the same JWKS",
    { timeout: 30_000 },
    async () => {
      const certDir = ownTempDir("main-keys-");
      const jwksOfOneStart = () =>
        whileReady({ MOCK_AUTH0_CERT_DIR: certDir, LOG_LEVEL: "silent" }, (issuer) =>
          httpsText(`${issuer}.well-known/jwks.json`, path.join(certDir, "ca.pem")),
        );
      const first = await jwksOfOneStart();
      expect(JSON.parse(first)).toMatchObject({ keys: [{ kty: "RSA" }, { kty: "RSA" }] });
      expect(await jwksOfOneStart()).toBe(first);
    },
  );

  /** A start with the certificates in `dir` and the keys in `file`, to its exit. */
  const startWithKeys = (dir: string, file: string) =>
    spawnSync(process.execPath, [...NODE_FLAGS, MAIN], {
      cwd: APP_DIR,
      env: {
        ...BASE_ENV,
        MOCK_AUTH0_PORT: "0",
        MOCK_AUTH0_CERT_DIR: dir,
        MOCK_AUTH0_SIGNING_KEYS: file,
      },
      encoding: "utf8",
      timeout: 30_000,
    });

  it("exits 2 before listening on a signing-keys file that holds no keys, naming it", () => {
    const dir = ownTempDir("main-keys-");
    const file = path.join(dir, "keys.json");
    writeFileSync(file, "[]");
    const run = startWithKeys(dir, file);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `MOCK_AUTH0_SIGNING_KEYS: ${file} holds no signing keys mock-auth0 can use (not current, ` +
        "next and previous private RSA JWKs). Delete it and mock-auth0 makes new keys (tokens " +
        "signed with the old ones stop verifying).\n",
    );
    expect(readFileSync(file, "utf8")).toBe("[]");
  });

  it("exits 2 before listening, and before it says it serves, where no keys file can be written", () => {
    // A folder that exists, and where even root can make no file.
    const run = startWithKeys(ownTempDir("main-keys-"), "/proc/ciba-testbed-signing-keys.json");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^MOCK_AUTH0_SIGNING_KEYS: cannot write \/proc\/ciba-testbed-signing-keys\.json: ENOENT: no such file or directory, open '\/proc\/ciba-testbed-signing-keys\.json\.[0-9a-f-]+\.partial'\n$/,
    );
  });
});

/** Starts main.ts, runs `work` with its issuer once it is ready, then stops it. */
async function whileReady<T>(
  env: Record<string, string>,
  work: (issuer: string) => Promise<T>,
): Promise<T> {
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
    cwd: APP_DIR,
    env: { ...BASE_ENV, MOCK_AUTH0_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const ready = parseReadyRecord(line);
      if (ready !== undefined) return await work(String(ready.issuer));
    }
    throw new Error("mock-auth0 exited before it was ready");
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

function httpsText(url: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca: readFileSync(caFile) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        resolve(text);
      });
    }).on("error", reject);
  });
}
