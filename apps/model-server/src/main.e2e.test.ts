import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

import { captureOutput, parseReadyRecord } from "@ciba-testbed/shared/node";
import { afterEach, describe, expect, it } from "vitest";

import { builtEntry } from "../../../scripts/build.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function startMain(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ["--enable-source-maps", builtEntry("model-server"), ...args],
    {
      cwd: PACKAGE_DIR,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.push(child);
  return { child, ...captureOutput(child) };
}

describe("main.ts (a real process)", { timeout: 60_000 }, () => {
  it("prints --help and exits 0", async () => {
    const started = startMain(["--help"], {});
    expect(await started.exited).toBe(0);
    expect(started.stdout()).toContain("Usage: model-server");
    expect(started.stdout()).toContain("MODEL_SERVER_PORT");
    expect(started.stdout()).toContain("OPENAI_BASE_URL=http://127.0.0.1:4030/v1");
  });

  it("refuses a bad configuration, naming every variable, and exits 2", async () => {
    const started = startMain([], {
      MODEL_SERVER_PORT: "99999",
      LOG_LEVEL: "loud",
      MODEL_SERVER_HOST: "999.1.1.1",
    });
    expect(await started.exited).toBe(2);
    expect(started.stderr()).toContain(
      'MODEL_SERVER_HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost) (got "999.1.1.1")',
    );
    expect(started.stderr()).toContain("MODEL_SERVER_PORT must be 0 to 65535");
    expect(started.stderr()).toContain("LOG_LEVEL must be one of");
  });

  it("prints one ready record, serves, and stops on SIGTERM", async () => {
    const started = startMain([], { MODEL_SERVER_PORT: "0", LOG_LEVEL: "silent" });
    let ready;
    while (ready === undefined) {
      ready = started.stdout().split("\n").map(parseReadyRecord).find(Boolean);
      if (started.child.exitCode !== null) throw new Error(started.stderr());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(ready).toMatchObject({ service: "model-server", baseURL: `${ready.url}/v1` });
    expect(ready.port).toBeGreaterThan(0);
    const models = await fetch(`${ready.url}/v1/models`, {
      headers: { Authorization: "Bearer t" },
    });
    expect(models.status).toBe(200);
    started.child.kill("SIGTERM");
    expect(await started.exited).toBe(0);
  });
});
