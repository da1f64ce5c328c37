import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createFileStore } from "./file-store.js";
import type { ClaimAnswer, ClaimOrder } from "./test-support/lease-claimer.js";

const ROUNDS = 1000;
const CLAIMER = fileURLToPath(new URL("test-support/lease-claimer.ts", import.meta.url));

/** Each round starts from one of these states, prepared by the parent before the claims. */
const STARTS = [
  { name: "no lease", expectedToken: 1 },
  { name: "an expired lease", expectedToken: 2 },
  { name: "a released lease", expectedToken: 3 },
] as const;

describe("file store leases across processes", () => {
  let dir: string;
  let claimers: ChildProcess[] = [];

  beforeAll(async () => {
    // Memory-backed where there is one: fsync there is free, and the race is the same.
    dir = await mkdtemp(path.join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "agent-lease-"));
    claimers = [0, 1].map(() =>
      fork(CLAIMER, [dir], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    await Promise.all(
      claimers.map((child) => new Promise((resolve) => child.once("message", resolve))),
    );
  });
  afterAll(async () => {
    for (const child of claimers) child.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    `never grants one lease to two processes claiming at once (${ROUNDS} rounds)`,
    { timeout: 60_000 },
    async () => {
      const store = createFileStore(dir);
      const now = Date.now();
      const doubles: number[] = [];
      const tokens = new Map<string, number[]>();

      for (let round = 0; round < ROUNDS; round++) {
        const start = STARTS[round % STARTS.length]!;
        const key = `leases/r${round}`;
        const seed = {
          owner: "parent",
          host: hostname(),
          pid: process.pid,
          expiresAt: now + 60_000,
        };
        if (start.expectedToken === 2) await store.claim(key, { ...seed, expiresAt: now - 1 }, now);
        if (start.expectedToken === 3) {
          const claim = await store.claim(key, seed, now);
          if (claim.granted) await store.release(key, claim.lease);
        }

        const order: ClaimOrder = {
          round,
          key,
          now,
          at: performance.timeOrigin + performance.now() + 0.5,
        };
        const answers = await Promise.all(
          claimers.map(
            (child) =>
              new Promise<ClaimAnswer>((resolve) => {
                child.once("message", resolve);
                child.send(order);
              }),
          ),
        );

        const winners = answers.filter((answer) => answer.granted);
        if (winners.length !== 1) doubles.push(round);
        tokens.set(start.name, [...(tokens.get(start.name) ?? []), ...answers.map((a) => a.token)]);
      }

      expect(doubles).toEqual([]);
      // Winner and loser name the same generation: the one the winner made.
      for (const start of STARTS) {
        expect(new Set(tokens.get(start.name))).toEqual(new Set([start.expectedToken]));
      }
    },
  );
});
