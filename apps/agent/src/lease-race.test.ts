import { fork, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { hostname } from "node:os";

import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { builtEntry } from "../../../scripts/build.js";

import type { AgentStore } from "./agent-store.js";
import { createFileStore } from "./file-store.js";
import { createRedisStore } from "./redis-store.js";
import { parseRedisUrl } from "./redis-url.js";
import type { ClaimAnswer, ClaimOrder } from "./test-support/lease-claimer.js";
import { startRedisServer, type RedisServer } from "./test-support/redis-server.js";

const ROUNDS = 1000;
/** test-support/lease-claimer.ts, built (scripts/build.js): a process starts in milliseconds. */
const CLAIMER = builtEntry("test-lease-claimer");

/** Each round starts from one of these states, prepared by the parent before the claims. */
const STARTS = ["no lease", "an expired lease", "a released lease"] as const;

/** A store the test process uses, and what the claimer processes are given to open theirs. */
interface RaceStore {
  target: string;
  store: AgentStore;
  remove(): Promise<void>;
}

const STORES: [string, () => Promise<RaceStore>][] = [
  [
    "file",
    async () => {
      // Memory-backed where there is room: fsync there is free, and the race is the same.
      const dir = await makeScratchFolder("ciba-agent-lease-");
      return {
        target: dir,
        store: createFileStore(dir),
        remove: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    "redis",
    async () => {
      const server: RedisServer = await startRedisServer();
      const location = parseRedisUrl(server.url(0));
      if ("problem" in location) throw new Error(location.problem);
      const store = createRedisStore({ location });
      await store.connect();
      return {
        target: server.url(0),
        store,
        remove: async () => {
          await store.close();
          await server.stop();
        },
      };
    },
  ],
];

describe.each(STORES)("%s store leases across processes", (_, makeStore) => {
  let race: RaceStore;
  let claimers: ChildProcess[] = [];

  beforeAll(async () => {
    race = await makeStore();
    claimers = [0, 1].map(() =>
      // No --enable-source-maps: the claimer maps the stack of a crash itself.
      fork(CLAIMER, [race.target], {
        execArgv: [],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    await Promise.all(
      claimers.map((child) => new Promise((resolve) => child.once("message", resolve))),
    );
  });
  afterAll(async () => {
    for (const child of claimers) child.disconnect();
    await race.remove();
  });

  it(
    `never grants one lease to two processes claiming at once (${ROUNDS} rounds)`,
    { timeout: 60_000 },
    async () => {
      const { store } = race;
      const now = Date.now();
      const doubles: number[] = [];
      const mismatched: number[] = [];

      for (let round = 0; round < ROUNDS; round++) {
        const start = STARTS[round % STARTS.length]!;
        const key = `leases/r${round}`;
        const seed = {
          owner: "parent",
          host: hostname(),
          pid: process.pid,
          expiresAt: now + 60_000,
        };
        let seedToken = 0;
        if (start !== "no lease") {
          const expiresAt = start === "an expired lease" ? now - 1 : seed.expiresAt;
          const claim = await store.claim(key, { ...seed, expiresAt }, now);
          if (!claim.granted) throw new Error(`The seed of round ${round} was refused`);
          seedToken = claim.lease.token;
          if (start === "a released lease") await store.release(key, claim.lease);
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
        // Winner and loser name the same token, the winner's, larger than the seed's.
        const [first, second] = answers.map((answer) => answer.token);
        if (first !== second || first! <= seedToken) mismatched.push(round);
      }

      expect(doubles).toEqual([]);
      expect(mismatched).toEqual([]);
    },
  );
});
