import type { Clock } from "../clock.js";

/** A clock whose `sleep` advances time at once and records each wait. */
export function createFakeClock(start = Date.UTC(2026, 0, 1)): Clock & {
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      now += ms;
    },
    sleeps,
  };
}
