import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { LockFolderError, withHolderLock } from "./holder-lock.js";

/** A folder for one test, removed when it ends. */
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "holder-lock-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A lock folder left behind, naming `holder` (or no one, as earlier versions left theirs). */
function leftLock(holder?: { pid: number; host: string; namespace: string }): string {
  const lock = path.join(scratch(), ".lock");
  mkdirSync(lock);
  if (holder !== undefined) writeFileSync(path.join(lock, "holder.json"), JSON.stringify(holder));
  return lock;
}

/** A clock that moves only when the lock waits, and counts the waits. */
function fakeTime() {
  let at = Date.now();
  const waits: number[] = [];
  return {
    waits,
    now: () => at,
    sleep: (ms: number) => {
      waits.push(ms);
      at += ms;
      return Promise.resolve();
    },
  };
}

const HERE = { host: "ci-runner", namespace: "4026531836" };
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe("withHolderLock", () => {
  it("takes over at once a lock whose holder, a process of this host and namespace, has ended", async () => {
    const lock = leftLock({ pid: deadPid(), ...HERE });
    const time = fakeTime();

    const result = await withHolderLock(lock, () => Promise.resolve(existsSync(lock)), {
      ...HERE,
      ...time,
    });

    expect(result).toBe(true);
    expect(time.waits).toEqual([]);
    expect(existsSync(lock)).toBe(false);
  });

  it("waits for a holder that still runs, and fails naming it when it never lets go", async () => {
    const lock = leftLock({ pid: process.pid, ...HERE });
    const time = fakeTime();

    await expect(
      withHolderLock(lock, () => Promise.resolve("ran"), {
        ...HERE,
        ...time,
        timeoutMs: 60_000,
        pollMs: 1_000,
      }),
    ).rejects.toThrow(
      `Timed out after 60000 ms waiting for the lock ${lock}, held by process ${String(process.pid)} of ci-runner`,
    );
    expect(time.waits.length).toBeGreaterThan(59);
  });

  it.each([
    ["names no holder (an earlier version's)", undefined],
    ["names a holder on another host", { pid: 1, host: "other-host", namespace: HERE.namespace }],
    ["names a holder in another PID namespace", { pid: 1, host: HERE.host, namespace: "1" }],
  ])("takes over a lock that %s only once it is 30 s old", async (_, holder) => {
    const lock = leftLock(holder);
    const time = fakeTime();

    await withHolderLock(lock, () => Promise.resolve(), {
      ...HERE,
      ...time,
      alive: () => false,
      pollMs: 1_000,
    });

    expect(time.waits.length).toBeGreaterThanOrEqual(30);
    expect(time.waits.length).toBeLessThanOrEqual(32);
  });

  it("records its holder while it holds the lock, and lets another in after", async () => {
    const lock = path.join(scratch(), ".lock");
    const order: string[] = [];
    const first = withHolderLock(lock, async () => {
      order.push("first in");
      expect(JSON.parse(readFileSync(path.join(lock, "holder.json"), "utf8"))).toMatchObject({
        pid: process.pid,
      });
      await new Promise((resolve) => setImmediate(resolve));
      order.push("first out");
    });
    const second = withHolderLock(lock, () => {
      order.push("second in");
      return Promise.resolve();
    });
    await Promise.all([first, second]);
    expect(order).toEqual(["first in", "first out", "second in"]);
  });

  it("says when the lock cannot be made at all", async () => {
    const blocked = path.join(scratch(), "a-file");
    writeFileSync(blocked, "");
    await expect(
      withHolderLock(path.join(blocked, ".lock"), () => Promise.resolve()),
    ).rejects.toThrow(LockFolderError);
  });
});
