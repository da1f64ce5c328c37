import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { parseReadyRecord } from "@ciba-testbed/shared/node";
import { describe, expect, it, onTestFinished } from "vitest";

import { builtEntry } from "../../../scripts/build.js";

// Each test starts the built main (scripts/build.js) as a real process; on a loaded machine that
// can take seconds: hence the 30 s timeouts.
const MAIN = builtEntry("mock-auth0");
const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const BASE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith("MOCK_AUTH0_")),
);

/** Starts main.ts and collects its stdout lines until `enough` says so, then stops it. */
async function stdoutOf(
  env: Record<string, string>,
  enough: (lines: string[]) => boolean,
): Promise<string[]> {
  const child = spawn(process.execPath, ["--enable-source-maps", MAIN], {
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
    const run = spawnSync(process.execPath, ["--enable-source-maps", MAIN], {
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
      const certDir = mkdtempSync(path.join(tmpdir(), "main-ready-"));
      onTestFinished(() => {
        rmSync(certDir, { recursive: true, force: true });
      });
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
      });
      expect(ready?.port).toBeGreaterThan(0);
    },
  );

  it(
    "keeps its listening log line for people beside the ready record",
    { timeout: 30_000 },
    async () => {
      const certDir = mkdtempSync(path.join(tmpdir(), "main-ready-"));
      onTestFinished(() => {
        rmSync(certDir, { recursive: true, force: true });
      });
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
});
