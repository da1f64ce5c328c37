import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { describe, expect, it, vi } from "vitest";

/** How long `vi.waitFor` waits: its 1 s default is less than a loaded machine may take. */
const WAIT = { timeout: 10_000 };

// A parent that exits without stopping its child: the child must go with it.
const PARENT = `
  import { spawn } from "node:child_process";
  import { killOnExit } from "./kill-on-exit.ts";
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  killOnExit(child);
  child.once("spawn", () => { console.log(child.pid); process.exit(0); });
`;

/** Running, not a zombie waiting to be reaped by whoever inherited it. */
function isRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "";
    return !state.startsWith("Z");
  } catch {
    return false;
  }
}

describe("killOnExit", () => {
  it("ends a child that is still running when this process exits", async () => {
    const parent = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", PARENT],
      {
        cwd: import.meta.dirname,
        encoding: "utf8",
      },
    );
    const pid = Number(parent.stdout.trim());
    expect(pid, parent.stderr).toBeGreaterThan(0);
    await vi.waitFor(() => {
      expect(isRunning(pid)).toBe(false);
    }, WAIT);
  });
});
