import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);

/** `pnpm demo` as a person types it: its exit code and output, colours taken out. */
async function demo(env: Record<string, string>) {
  const clean: Record<string, string | undefined> = { ...process.env, ...env };
  delete clean.NODE_EXTRA_CA_CERTS;
  try {
    const { stdout, stderr } = await exec("pnpm", ["--silent", "demo"], {
      cwd: REPO_ROOT,
      env: clean,
      timeout: 90_000,
    });
    return { code: 0, stdout: stripVTControlCharacters(stdout), stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return {
      code: failed.code,
      stdout: stripVTControlCharacters(failed.stdout),
      stderr: stripVTControlCharacters(failed.stderr),
    };
  }
}

// The quick start's second command, run as the README has a new user run it.
describe("pnpm demo", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "demo-e2e-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("tells the three outcomes and exits 0, keeping the tenant's CA where MOCK_AUTH0_CERT_DIR says", async () => {
    const certDir = path.join(scratch, "certs");

    const run = await demo({ MOCK_AUTH0_CERT_DIR: certDir });

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\u2714 agent: ORDERED \(exit 0\)/);
    expect(run.stdout).toMatch(/\u2714 agent: DENIED \(exit 3\)/);
    expect(run.stdout).toMatch(/\u2714 agent: EXPIRED \(exit 4\)/);
    expect(run.stdout).toMatch(/All three outcomes as expected, in \d+\.\d s\./);
    // The variable its error names was ignored: the tenant wrote <repo>/.certs whatever it said.
    expect(existsSync(path.join(certDir, "ca.pem"))).toBe(true);
  }, 120_000);

  it("runs to the end and exits with its result's code when its reader goes away (`| head -2`)", async () => {
    // The root package.json's script without pnpm, which makes any code 0 once stdout closes.
    const env: Record<string, string | undefined> = {
      ...process.env,
      MOCK_AUTH0_CERT_DIR: path.join(scratch, "certs"),
    };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(process.execPath, ["scripts/build.js", "demo"], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Gone once the first line is read.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }, 120_000);

  it("says in one line why the stack did not start, with no stack trace", async () => {
    // A file where the tenant's folder should be: it cannot keep its CA there.
    const notAFolder = path.join(scratch, "a-file");
    await writeFile(notAFolder, "");

    const run = await demo({ MOCK_AUTH0_CERT_DIR: notAFolder });

    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^pnpm demo: mock-auth0 .*a-file/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
