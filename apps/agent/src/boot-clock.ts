import { readFileSync } from "node:fs";

/**
 * A reading of the machine's monotonic clock, named by the boot it belongs to. On Linux,
 * CLOCK_MONOTONIC is one clock for every process of a boot (in containers on one kernel too),
 * and /proc/sys/kernel/random/boot_id names the boot: two readings of one boot compare whichever
 * processes took them, and no step of the wall clock moves either.
 */
export interface BootReading {
  /** /proc/sys/kernel/random/boot_id. */
  bootId: string;
  /** CLOCK_MONOTONIC (`process.hrtime.bigint()`), in ms. It stands still while the machine sleeps. */
  monotonicMs: number;
  /**
   * CLOCK_BOOTTIME (/proc/uptime), which counts the sleep too, less `monotonicMs`: it grows
   * with each suspend. Where /proc/uptime is a container's own (lxcfs), it is off by a constant
   * of that container.
   */
  suspendedMs: number;
}

/** Reads the boot clock; undefined where the boot has no name to read (not Linux). */
export type BootClock = () => BootReading | undefined;

const BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id";
const UPTIME_FILE = "/proc/uptime";

/** /proc/uptime has hundredths of a second; a suspend shorter than this is not told from none. */
const SUSPEND_TOLERANCE_MS = 1000;

/**
 * The clock that `files` describe: the boot id and uptime files of Linux by default. The boot
 * id is read once; it names the boot for as long as the process runs.
 */
export function bootClockFrom(
  files: { bootId: string; uptime: string } = { bootId: BOOT_ID_FILE, uptime: UPTIME_FILE },
): BootClock {
  let bootId: string | null | undefined;
  return () => {
    bootId ??= readProcFile(files.bootId) ?? null;
    if (bootId === null) return undefined;
    const monotonicMs = Number(process.hrtime.bigint()) / 1e6;
    const uptimeS = Number.parseFloat(readProcFile(files.uptime) ?? "");
    if (!Number.isFinite(uptimeS)) return undefined;
    return { bootId, monotonicMs, suspendedMs: uptimeS * 1000 - monotonicMs };
  };
}

/** The clock of the machine this process runs on. */
export const systemBootClock: BootClock = bootClockFrom();

function readProcFile(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * How long (ms) before `now` the reading `then` was taken, when both are of one boot; undefined
 * otherwise (another machine, a restart since, or `now` unknown). `exact` is false when the
 * machine slept in between, or when the two readings do not agree on how long it had slept
 * (containers with uptimes of their own): more time may have passed than `ms` says, never less.
 */
export function elapsedSince(
  then: BootReading,
  now: BootReading | undefined,
): { ms: number; exact: boolean } | undefined {
  if (now?.bootId !== then.bootId) return undefined;
  const ms = now.monotonicMs - then.monotonicMs;
  if (ms < 0) return undefined;
  return { ms, exact: Math.abs(now.suspendedMs - then.suspendedMs) <= SUSPEND_TOLERANCE_MS };
}
