import { isGone, type ProcessInfo } from "@ciba-testbed/agent/process-info";
import { describe, expect, it } from "vitest";

import { pnpmOf } from "../scripts/stack/stop-with-pnpm.js";

const SCRIPT = "node scripts/build.js dev";
/** What pnpm puts in a script's environment (pnpm 10.34 on Linux). */
const BY_PNPM = {
  npm_config_user_agent: "pnpm/10.34.8 npm/? node/v20.20.2 linux x64",
  npm_lifecycle_event: "dev",
  npm_lifecycle_script: SCRIPT,
};

/** `pnpm dev` typed in a terminal: bash -> pnpm -> sh -c <script> -> node (pid 100). */
function processTable() {
  const stats = new Map<number, ProcessInfo>();
  const commandLines = new Map<number, string[]>();
  const add = (pid: number, ppid: number, args: string[]) => {
    stats.set(pid, {
      pid,
      command: args[0] ?? "",
      state: "S",
      ppid,
      pgrp: 50,
      startTime: `${pid}00`,
    });
    commandLines.set(pid, args);
  };
  add(1, 0, ["/sbin/init"]);
  add(40, 1, ["-bash"]);
  add(50, 40, ["node", "/usr/bin/pnpm", "dev"]);
  add(80, 50, ["sh", "-c", SCRIPT]);
  add(100, 80, ["node", "scripts/build.js", "dev"]);
  return {
    stats,
    commandLines,
    add,
    pnpmOf: (env: Record<string, string | undefined> = BY_PNPM) =>
      pnpmOf(
        env,
        100,
        (pid) => stats.get(pid),
        (pid) => commandLines.get(pid),
      )?.pid,
  };
}

describe("the pnpm that runs a package script", () => {
  it("is the process above the shell that runs the script", () => {
    expect(processTable().pnpmOf()).toBe(50);
  });

  it("is the parent when no shell stands between (a shell that ran the script in its own place, pnpm's shell emulator), and pnpm may be a binary of its own", () => {
    const table = processTable();
    table.add(100, 50, ["node", "scripts/build.js", "dev"]);
    expect(table.pnpmOf()).toBe(50);
    table.add(50, 40, ["/home/dev/.local/share/pnpm/pnpm", "dev"]);
    expect(table.pnpmOf()).toBe(50);
  });

  it("is the nearest one when a pnpm script runs `pnpm dev`", () => {
    const table = processTable();
    table.add(30, 1, ["node", "/usr/lib/node_modules/corepack/dist/pnpm.js", "start"]);
    table.add(35, 30, ["sh", "-c", "pnpm dev"]);
    table.add(40, 35, ["node", "/usr/bin/pnpm", "dev"]);
    table.add(50, 40, ["node", "/usr/lib/node_modules/pnpm/bin/pnpm.cjs", "dev"]);
    expect(table.pnpmOf()).toBe(50);
  });

  it("is none for a script that pnpm did not start: run by hand, or by npm", () => {
    const table = processTable();
    expect(table.pnpmOf({})).toBeUndefined();
    expect(
      table.pnpmOf({ ...BY_PNPM, npm_config_user_agent: "npm/11.0.0 node/v20.20.2 linux x64" }),
    ).toBeUndefined();
  });

  // Never a process that only might be it: that one's end would stop `pnpm dev` for nothing.
  it("is none when something else runs the script's command, or pnpm is gone already", () => {
    const table = processTable();
    table.add(80, 50, ["nodemon", SCRIPT]);
    expect(table.pnpmOf()).toBeUndefined();

    const orphaned = processTable();
    orphaned.add(80, 1, ["sh", "-c", SCRIPT]);
    expect(orphaned.pnpmOf()).toBeUndefined();

    const zombie = processTable();
    zombie.stats.set(50, { ...zombie.stats.get(50)!, state: "Z" });
    expect(zombie.pnpmOf()).toBeUndefined();
  });

  it("is gone once it exited, or once its pid names another process", () => {
    const { stats } = processTable();
    const pnpm = stats.get(50)!;
    const read = (pid: number) => stats.get(pid);
    expect(isGone(pnpm, read)).toBe(false);
    stats.set(50, { ...pnpm, state: "Z" });
    expect(isGone(pnpm, read)).toBe(true);
    stats.delete(50);
    expect(isGone(pnpm, read)).toBe(true);
    stats.set(50, { ...pnpm, startTime: "99999" });
    expect(isGone(pnpm, read)).toBe(true);
  });
});
