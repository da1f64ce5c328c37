import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { LockFolderError, bootId, processStart, withHolderLock } from "./holder-lock.js";

/** A folder for one test, removed when it ends. */
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "holder-lock-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** A lock folder left behind, naming `holder` (or no one, as earlier versions left theirs). */
function leftLock(holder?: {
  pid: number;
  host: string;
  namespace: string;
  boot?: string | undefined;
  start?: string | undefined;
}): string {
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
  ])("takes over a lock that %s only once it is 15 s old", async (_, holder) => {
    const lock = leftLock(holder);
    const time = fakeTime();

    await withHolderLock(lock, () => Promise.resolve(), {
      ...HERE,
      ...time,
      alive: () => false,
      pollMs: 1_000,
    });

    expect(time.waits.length).toBeGreaterThanOrEqual(15);
    expect(time.waits.length).toBeLessThanOrEqual(17);
  });

  // PIDs are reused (at once in a container), and 4026531836, the first PID namespace, has that
  // number at every boot: a lock left before a reboot, or long ago, may name a PID that now
  // belongs to a process that has nothing to do with it.
  describe.runIf(processStart(process.pid) !== undefined)("a PID now another process's", () => {
    it("takes over at once an earlier version's lock whose PID is a process started after it", async () => {
      const unrelated = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
      onTestFinished(() => {
        unrelated.kill("SIGKILL");
      });
      const pid = unrelated.pid ?? 0;
      const lock = leftLock({ pid, ...HERE });
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      utimesSync(lock, twoHoursAgo, twoHoursAgo);
      const time = fakeTime();

      await withHolderLock(lock, () => Promise.resolve(), { ...HERE, ...time });

      expect(time.waits).toEqual([]);
      expect(unrelated.exitCode).toBeNull();
    });

    it("takes over at once a lock taken in another boot, or by a process that started at another time", async () => {
      for (const other of [{ boot: "an-earlier-boot" }, { start: "1" }]) {
        const lock = leftLock({ pid: process.pid, ...HERE, ...other });
        const time = fakeTime();
        await withHolderLock(lock, () => Promise.resolve(), { ...HERE, ...time });
        expect(time.waits).toEqual([]);
      }
    });

    it("waits for the process that took it, and its message comes well within a minute", async () => {
      const start = processStart(process.pid)?.ticks;
      const lock = leftLock({ pid: process.pid, ...HERE, boot: bootId(), start });
      const time = fakeTime();

      await expect(
        withHolderLock(lock, () => Promise.resolve(), { ...HERE, ...time, pollMs: 1_000 }),
      ).rejects.toThrow(
        `Timed out after 20000 ms waiting for the lock ${lock}, held by process ${String(process.pid)} of ci-runner: if no such process should hold it any more, remove the lock (rm -rf ${lock})`,
      );
    });
  });

  it("lets a waiter that judged the holder gone late never remove the lock another took meanwhile", async () => {
    const lock = leftLock({ pid: deadPid(), ...HERE });
    const time = fakeTime();
    const order: string[] = [];
    let first = true;
    const slowWaiter = withHolderLock(
      lock,
      () => {
        order.push("second in");
        return Promise.resolve();
      },
      {
        ...HERE,
        ...time,
        // As it judges the left lock's holder gone, another waiter has just taken the lock over.
        alive: () => {
          if (first) {
            first = false;
            rmSync(lock, { recursive: true });
            mkdirSync(lock);
            writeFileSync(
              path.join(lock, "holder.json"),
              JSON.stringify({ pid: process.pid, ...HERE }),
            );
            order.push("first in");
            return false;
          }
          return true;
        },
        sleep: async (ms) => {
          await time.sleep(ms);
          if (time.waits.length === 3) {
            expect(JSON.parse(readFileSync(path.join(lock, "holder.json"), "utf8"))).toEqual({
              pid: process.pid,
              ...HERE,
            });
            order.push("first out");
            rmSync(lock, { recursive: true });
          }
        },
      },
    );
    await slowWaiter;
    expect(order).toEqual(["first in", "first out", "second in"]);
  });

  it("records its holder while it holds the lock, and lets another in after", async () => {
    const lock = path.join(scratch(), ".lock");
    const order: string[] = [];
    // The second asks once the first holds the lock: two asking at once may be let in either
    // way round, which is not what this test is about.
    let entered = (): void => undefined;
    const firstIn = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = withHolderLock(lock, async () => {
      order.push("first in");
      entered();
      expect(JSON.parse(readFileSync(path.join(lock, "holder.json"), "utf8"))).toMatchObject({
        pid: process.pid,
      });
      await new Promise((resolve) => setImmediate(resolve));
      order.push("first out");
    });
    await firstIn;
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
