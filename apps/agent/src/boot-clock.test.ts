import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { bootClockFrom, elapsedSince, systemBootClock, type BootReading } from "./boot-clock.js";

const BOOT_ID = "/proc/sys/kernel/random/boot_id";

const reading = (monotonicMs: number, suspendedMs = 0, bootId = "boot-1"): BootReading => ({
  bootId,
  monotonicMs,
  suspendedMs,
});

describe("the boot clock", () => {
  it.runIf(existsSync(BOOT_ID))(
    "reads this machine's boot id and its monotonic clock, which Node's hrtime reads",
    () => {
      const before = Number(process.hrtime.bigint()) / 1e6;
      const now = systemBootClock();
      const after = Number(process.hrtime.bigint()) / 1e6;

      expect(now?.bootId).toBe(readFileSync(BOOT_ID, "utf8").trim());
      expect(now?.monotonicMs).toBeGreaterThanOrEqual(before);
      expect(now?.monotonicMs).toBeLessThanOrEqual(after);
      expect(Number.isFinite(now?.suspendedMs)).toBe(true);
    },
  );

  it("reads nothing where the boot has no name, or the uptime cannot be read", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "boot-clock-"));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const uptime = file("uptime", "3600.25 7000.50\n");
    const missing = path.join(dir, "missing");
    expect(bootClockFrom({ bootId: missing, uptime })()).toBeUndefined();
    expect(bootClockFrom({ bootId: file("empty", "\n"), uptime })()).toBeUndefined();
    const bootId = file("boot_id", "8f0c2a1e-0000-4000-8000-000000000001\n");
    expect(bootClockFrom({ bootId, uptime: missing })()).toBeUndefined();
    const reading = bootClockFrom({ bootId, uptime })();
    expect(reading?.bootId).toBe("8f0c2a1e-0000-4000-8000-000000000001");
    expect(reading!.suspendedMs + reading!.monotonicMs).toBeCloseTo(3_600_250, 6);
  });

  it("measures between two readings of one boot, whichever processes took them", () => {
    expect(elapsedSince(reading(5_000), reading(65_000))).toEqual({ ms: 60_000, exact: true });
  });

  it("cannot measure across boots, nor back in time", () => {
    expect(elapsedSince(reading(5_000), reading(65_000, 0, "boot-2"))).toBeUndefined();
    expect(elapsedSince(reading(5_000), undefined)).toBeUndefined();
    expect(elapsedSince(reading(65_000), reading(5_000))).toBeUndefined();
  });

  it("is a lower bound once the machine slept in between", () => {
    expect(elapsedSince(reading(5_000, 40), reading(15_000, 600_040))).toEqual({
      ms: 10_000,
      exact: false,
    });
    // /proc/uptime's hundredths of a second are not a sleep.
    expect(elapsedSince(reading(5_000, 40), reading(15_000, 50))?.exact).toBe(true);
  });
});
