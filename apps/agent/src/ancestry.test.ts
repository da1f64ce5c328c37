import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ancestorsOf, watchAncestry } from "./ancestry.js";
import { AgentHalt } from "./halt.js";
import { parseStat, readProcess, type ProcessInfo } from "./process-info.js";

/** The agent started by a script from an interactive shell: bash, then the job pnpm -> sh -> tsx -> node. */
function processTable() {
  const table = new Map<number, ProcessInfo>();
  const add = (pid: number, command: string, ppid: number, pgrp: number) =>
    table.set(pid, { pid, command, state: "S", ppid, pgrp, startTime: `${pid}00` });
  add(40, "bash", 1, 40);
  add(50, "pnpm", 40, 50);
  add(80, "sh", 50, 50);
  add(90, "tsx", 80, 50);
  add(100, "node", 90, 50);
  return { table, read: (pid: number) => table.get(pid) };
}

describe("process stat", () => {
  it("reads a command with spaces and parentheses", () => {
    const line =
      "4242 (my (odd) cmd) S 17 4242 17 0 -1 4194304 98 0 0 0 1 0 0 0 20 0 1 0 123456 0 0";
    expect(parseStat(line)).toEqual({
      pid: 4242,
      command: "my (odd) cmd",
      state: "S",
      ppid: 17,
      pgrp: 4242,
      startTime: "123456",
    });
  });

  it.runIf(process.platform === "linux")("reads this process", () => {
    expect(readProcess(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });
});

describe("ancestors", () => {
  it("are the parent and the processes of its job, not the shell that started the job", () => {
    const { read } = processTable();
    expect(ancestorsOf(100, read)?.map((a) => a.command)).toEqual(["tsx", "sh", "pnpm"]);
  });

  it("are only the parent when the agent leads its own process group", () => {
    const { table, read } = processTable();
    table.set(100, { ...table.get(100)!, pgrp: 100 });
    expect(ancestorsOf(100, read)?.map((a) => a.command)).toEqual(["tsx"]);
  });
});

describe("ancestry watch", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const watch = (read: (pid: number) => ProcessInfo | undefined, parentPid = () => 90) => {
    const onGone = vi.fn<(halt: AgentHalt) => void>();
    const watcher = watchAncestry({ intervalMs: 250, onGone, read, pid: 100, parentPid });
    return { watcher, onGone };
  };

  it.each([
    ["exited and was reaped", (t: Map<number, ProcessInfo>) => t.delete(50)],
    [
      "is a zombie nothing reaps",
      (t: Map<number, ProcessInfo>) => t.set(50, { ...t.get(50)!, state: "Z" }),
    ],
    [
      "was replaced by a process with its pid",
      (t: Map<number, ProcessInfo>) => t.set(50, { ...t.get(50)!, startTime: "1" }),
    ],
  ])("stops the agent when the top of its job %s", (_, kill) => {
    const { table, read } = processTable();
    const { watcher, onGone } = watch(read);
    expect(() => {
      watcher.check();
    }).not.toThrow();

    kill(table);

    expect(() => {
      watcher.check();
    }).toThrow(expect.objectContaining({ code: "parent_gone" }) as Error);
    vi.advanceTimersByTime(250);
    expect(onGone).toHaveBeenCalledOnce();
    expect(onGone.mock.calls[0]?.[0].message).toContain("Process 50 (pnpm)");
    vi.advanceTimersByTime(1000);
    expect(onGone).toHaveBeenCalledOnce();
    watcher.stop();
  });

  it("keeps running while the shell above the job is gone (nohup)", () => {
    const { table, read } = processTable();
    const { watcher, onGone } = watch(read);
    table.delete(40);
    vi.advanceTimersByTime(1000);
    expect(onGone).not.toHaveBeenCalled();
    watcher.stop();
  });

  it("watches the parent pid where there is no /proc", () => {
    let parent = 90;
    const { watcher, onGone } = watch(
      () => undefined,
      () => parent,
    );
    vi.advanceTimersByTime(500);
    expect(onGone).not.toHaveBeenCalled();
    parent = 1;
    expect(() => {
      watcher.check();
    }).toThrow(AgentHalt);
    vi.advanceTimersByTime(250);
    expect(onGone).toHaveBeenCalledOnce();
    watcher.stop();
  });
});
