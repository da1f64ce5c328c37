import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect as connectTls } from "node:tls";

import { captureOutput, parseReadyRecord, SHORT_LIVED_SHOP_ENV } from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";
import { emptyShopDatabase } from "@ciba-testbed/stack";
import { afterAll, describe, expect, it } from "vitest";

import { builtEntry, sourceMapFlags } from "../../scripts/build.js";
import { loadScaled } from "../support/load-scaled.js";

/**
 * Passwords typed as is into a request target in absolute form: Express's router hands such a
 * target to Node's legacy url.parse(), whose DEP0170 warning quoted the whole URL on stderr.
 * Every piece of each is `PW` and a letter and a digit: none may show.
 */
const PASSWORDS = ["PWA1/PWA2", "PWB1?PWB2", "PWC1#PWC2/PWC3", "PWD1 PWD2:PWD3;{PWD4}=%41@PWD5"];
const PIECE = /PW[A-D]\d/;

const running: ChildProcess[] = [];
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill("SIGKILL");
  for (const cleanup of cleanups) await cleanup();
});

/** Starts a built server and waits for its ready record. */
async function start(name: "mock-auth0" | "shop-api", env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [...sourceMapFlags(`apps/${name}/src/main.ts`), builtEntry(name)],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.push(child);
  const output = captureOutput(child);
  for (;;) {
    const ready = output
      .stdout()
      .split("\n")
      .map(parseReadyRecord)
      .find((record): record is ReadyRecord => record !== undefined);
    if (ready) return { ...output, ready };
    if (child.exitCode !== null) throw new Error(`${name} exited: ${output.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends one request with `target` as sent, over TLS or not, and returns the status line. */
function sendTarget(url: string, target: string): Promise<string> {
  const { hostname, port, protocol } = new URL(url);
  const request = `GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket =
      protocol === "https:"
        ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false }, () =>
            socket.write(request),
          )
        : connect(Number(port), hostname, () => socket.write(request));
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => {
      resolve(answer.split("\r\n")[0] ?? "");
    });
  });
}

async function stderrWith(output: { stderr: () => string }, text: string): Promise<string> {
  // 10 s on an idle machine; a loaded one starts and writes later (loadScaled).
  const limit = loadScaled(10_000);
  for (let waited = 0; waited < limit && !output.stderr().includes(text); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return output.stderr();
}

describe("a password in a request target (real processes)", { timeout: 120_000 }, () => {
  it("reaches neither stderr nor the request log of the tenant or the shop", async () => {
    const certDir = mkdtempSync(path.join(tmpdir(), "url-warnings-certs-"));
    cleanups.push(() => {
      rmSync(certDir, { recursive: true, force: true });
    });
    const tenant = await start("mock-auth0", {
      MOCK_AUTH0_PORT: "0",
      MOCK_AUTH0_HOST: "127.0.0.1",
      MOCK_AUTH0_CERT_DIR: certDir,
      LOG_LEVEL: "info",
    });
    const database = await emptyShopDatabase();
    cleanups.push(() => database.remove());
    const shop = await start("shop-api", {
      NODE_EXTRA_CA_CERTS: String(tenant.ready.caCertPath),
      AUTH0_ISSUER_BASE_URL: String(tenant.ready.issuer),
      SHOP_API_PORT: "0",
      SHOP_API_DATABASE: database.folder,
      LOG_LEVEL: "info",
      ...SHORT_LIVED_SHOP_ENV,
    });

    for (const [server, path] of [
      [tenant, "/.well-known/jwks.json"],
      [shop, "/api/products"],
    ] as const) {
      const { host } = new URL(server.ready.url);
      const scheme = new URL(server.ready.url).protocol;
      for (const password of PASSWORDS) {
        for (const target of [
          `${scheme}//u:${password}@${host}${path}`,
          `//u:${password}@${host}${path}`,
        ]) {
          expect(await sendTarget(server.ready.url, target)).toMatch(/^HTTP\/1\.1 \d{3} /);
        }
      }
      // Node still says that url.parse() met an invalid URL, without quoting it.
      const stderr = await stderrWith(server, "[DEP0170]");
      expect(stderr).toContain("A URL given to url.parse() is invalid (not shown");
      expect(stderr).not.toMatch(PIECE);
      expect(server.stdout()).toContain('"url":');
      expect(server.stdout()).not.toMatch(PIECE);
    }
  });
});
