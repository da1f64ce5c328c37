import { hostname } from "node:os";

import { mapStacksOfCrashes } from "@ciba-testbed/shared/node";

import type { AgentStore } from "../agent-store.js";
import { createFileStore } from "../file-store.js";
import { createRedisStore } from "../redis-store.js";
import { parseRedisUrl } from "../redis-url.js";

/**
 * A child process for the lease race test: on each message it claims one key of the store in
 * argv[2] (a directory, or a redis:// URL) and answers whether it got the lease. The parent sends the message to two of these,
 * which both wait for the same instant before they claim.
 */
export interface ClaimOrder {
  round: number;
  key: string;
  now: number;
  /** Epoch milliseconds, fractional: when to claim. */
  at: number;
}

export interface ClaimAnswer {
  round: number;
  granted: boolean;
  token: number;
}

// Started without --enable-source-maps, which costs the claimers about a tenth more CPU over
// a thousand rounds; a crash is still printed with its stack mapped to the TypeScript sources.
mapStacksOfCrashes();

const target = process.argv[2];
if (target === undefined || process.send === undefined) {
  throw new Error("Run with the store directory or Redis URL as argument, with an IPC channel");
}
const store: AgentStore = await openStore(target);
const send = process.send.bind(process);

/** For Atomics.wait, which sleeps with sub-millisecond precision: nobody ever notifies it. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** How long before the instant the claimer stops sleeping and spins: more than a wake-up takes. */
const SPIN_MS = 0.1;

process.on("message", (order: ClaimOrder) => {
  // Waking up from the message takes a varying while; spinning to one instant does not. Sleep
  // through most of the wait and spin the rest: the same instant for a fraction of the CPU.
  const sleepMs = order.at - SPIN_MS - (performance.timeOrigin + performance.now());
  if (sleepMs > 0) Atomics.wait(sleeper, 0, 0, sleepMs);
  while (performance.timeOrigin + performance.now() < order.at) {
    // spin
  }
  void store
    .claim(
      order.key,
      {
        owner: `${process.pid}/${order.round}`,
        host: hostname(),
        pid: process.pid,
        expiresAt: order.now + 60_000,
      },
      order.now,
    )
    .then((claim) => {
      const answer: ClaimAnswer = {
        round: order.round,
        granted: claim.granted,
        token: claim.granted ? claim.lease.token : claim.holder.token,
      };
      send(answer);
    });
});
process.on("disconnect", () => process.exit(0));

async function openStore(where: string): Promise<AgentStore> {
  if (!where.startsWith("redis://")) return createFileStore(where);
  const location = parseRedisUrl(where);
  if ("problem" in location) throw new Error(location.problem);
  const redis = createRedisStore({ location });
  await redis.connect();
  return redis;
}
send("ready");
