import { spawn, type StdioOptions } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { builtEntry } from "../../scripts/build.js";

/** Where a stream of the child goes: read by the test, a full disk, or a reader that has gone. */
type Sink = "read" | "full" | "gone";

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <file> ...args` with its stdout and stderr sent where `sinks` says: `full` is
 * /dev/full (every write fails with ENOSPC), `gone` a pipe whose reader closed at once (EPIPE).
 */
function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  sinks: { stdout: Sink; stderr: Sink },
): Promise<Ended> {
  const full = openSync("/dev/full", "w");
  const clean: Record<string, string | undefined> = { ...process.env, ...env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const stdio: StdioOptions = [
    "ignore",
    sinks.stdout === "full" ? full : "pipe",
    sinks.stderr === "full" ? full : "pipe",
  ];
  const child = spawn(process.execPath, [file, ...args], { cwd: REPO_ROOT, env: clean, stdio });
  closeSync(full);
  const ended: Ended = { code: null, stdout: "", stderr: "" };
  for (const name of ["stdout", "stderr"] as const) {
    const stream = child[name];
    if (stream === null) continue;
    if (sinks[name] === "gone") stream.destroy();
    else stream.on("data", (chunk: Buffer) => (ended[name] += chunk.toString()));
  }
  return new Promise((resolve) => {
    child.on("close", (code) => {
      resolve({ ...ended, code });
    });
  });
}

describe("the agent's exit code when an output stream cannot be written", () => {
  let store: string;
  const agent = (args: string[], sinks: { stdout: Sink; stderr: Sink }) =>
    run(builtEntry("agent"), args, { AGENT_STORE: store }, sinks);

  beforeAll(async () => {
    store = await mkdtemp(path.join(tmpdir(), "output-streams-e2e-"));
  });
  afterAll(async () => {
    await rm(store, { recursive: true, force: true });
  });

  // The offline model answers a joke with NO_PURCHASE (exit 8): no tenant or shop is needed to
  // tell the outcome's code from a crash's 1.
  const NOT_A_PURCHASE = ["Tell me a joke"];

  it("is the outcome's with stdout on a full disk", async () => {
    const ended = await agent(NOT_A_PURCHASE, { stdout: "full", stderr: "read" });
    expect(ended.stderr).toContain("Outcome: NO_PURCHASE (exit 8)");
    expect(ended.stderr).not.toContain("ENOSPC");
    expect(ended.code).toBe(8);
  }, 30_000);

  it("is the outcome's with stderr on a full disk, as the JSON report says", async () => {
    const ended = await agent(["--json", ...NOT_A_PURCHASE], { stdout: "read", stderr: "full" });
    expect(JSON.parse(ended.stdout)).toMatchObject({ outcome: "NO_PURCHASE", exitCode: 8 });
    expect(ended.code).toBe(8);
  }, 30_000);

  it("is the outcome's when the reader of stderr has gone", async () => {
    const ended = await agent(NOT_A_PURCHASE, { stdout: "read", stderr: "gone" });
    expect(ended.stdout).toContain("I did not buy anything this time.");
    expect(ended.code).toBe(8);
  }, 30_000);
});
