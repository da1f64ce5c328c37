import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

import { describe, expect, it } from "vitest";

// A server's stop as `closeOnSignals` runs it: the close takes 600 ms (requests under way
// answered, a database flushed), then says so.
const SCRIPT = `
  import { closeOnSignals } from "./close-on-signals.ts";
  setInterval(() => {}, 60_000);
  closeOnSignals(
    () => new Promise((resolve) => setTimeout(() => { console.log("closed"); resolve(); }, 600)),
    (signal) => console.log("stopping on " + signal),
  );
  console.log("ready");
`;

/** The script as a process, once it said "ready": its lines so far, and its end. */
async function startServer() {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], {
    cwd: import.meta.dirname,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("close", (code, signal) => {
      resolve({ code, signal });
    });
  });
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      if (line === "ready") resolve();
    });
  });
  return { child, lines, exited };
}

describe("closeOnSignals", () => {
  it(
    "lets a further signal during the stop (Ctrl-C again, a supervisor's SIGTERM) wait for the stop under way, and exits 0 once it closed",
    { timeout: 30_000 },
    async () => {
      const { child, lines, exited } = await startServer();
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      child.kill("SIGINT");
      await sleep(150);
      child.kill("SIGINT");
      await sleep(150);
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(lines).toEqual(["ready", "stopping on SIGINT", "closed"]);
    },
  );

  it(
    "stops on SIGHUP as on SIGTERM: the terminal closing under a server run alone",
    { timeout: 30_000 },
    async () => {
      const { child, lines, exited } = await startServer();
      child.kill("SIGHUP");
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(lines).toEqual(["ready", "stopping on SIGHUP", "closed"]);
    },
  );
});
