import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

// A process that registers two cleanups (each appends its name to a file), then ends as told.
const SCRIPT = `
  import { appendFileSync } from "node:fs";
  import { onProcessEnd } from "./on-process-end.ts";
  const [file, how] = process.argv.slice(-2);
  onProcessEnd(() => appendFileSync(file, "first;"));
  const forget = onProcessEnd(() => appendFileSync(file, "forgotten;"));
  onProcessEnd(() => appendFileSync(file, "last;"));
  forget();
  setInterval(() => {}, 60_000);
  if (how === "throw") throw new Error("boom");
  if (how === "reject") void Promise.reject(new Error("unhandled"));
  if (how === "exit") process.exit(3);
  if (how === "handled") {
    process.once("SIGINT", () => { console.log("stopping"); setTimeout(() => process.exit(0), 10); });
    process.kill(process.pid, "SIGINT");
  }
  if (how === "SIGINT" || how === "SIGTERM" || how === "SIGHUP") process.kill(process.pid, how);
`;

const dir = mkdtempSync(path.join(tmpdir(), "on-process-end-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs SCRIPT ending as `how`; resolves with how it ended and what the cleanups wrote. */
function end(how: string) {
  const file = path.join(dir, `${how}.log`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", SCRIPT, "--", file, how],
    { cwd: import.meta.dirname, stdio: ["ignore", "pipe", "ignore"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise<{ code: number | null; signal: string | null; stdout: string; ran: string }>(
    (resolve) => {
      child.once("close", (code, signal) => {
        let ran = "";
        try {
          ran = readFileSync(file, "utf8");
        } catch {
          // Nothing ran.
        }
        resolve({ code, signal, stdout, ran });
      });
    },
  );
}

describe("onProcessEnd", () => {
  // Six processes start at once, each loading tsx: on a busy machine that takes a while.
  it(
    "runs the cleanups, the last registered first, however the process ends but SIGKILL",
    { timeout: 60_000 },
    async () => {
      const ways = ["throw", "reject", "exit", "SIGINT", "SIGTERM", "SIGHUP"];
      const ended = await Promise.all(ways.map(end));
      expect(Object.fromEntries(ways.map((how, i) => [how, ended[i]?.ran]))).toEqual(
        Object.fromEntries(ways.map((how) => [how, "last;first;"])),
      );
      // The process still ends as it would have: a signal it did not handle ends it by that signal.
      expect(ended.map(({ code, signal }) => signal ?? code)).toEqual([
        1,
        1,
        3,
        "SIGINT",
        "SIGTERM",
        "SIGHUP",
      ]);
    },
  );

  it(
    "leaves a signal someone else handles to them, and cleans up when the process exits",
    { timeout: 60_000 },
    async () => {
      const { code, stdout, ran } = await end("handled");
      expect({ code, stdout, ran }).toEqual({ code: 0, stdout: "stopping\n", ran: "last;first;" });
    },
  );
});
