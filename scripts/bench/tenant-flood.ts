import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { httpsJson } from "@ciba-testbed/stack";

import { startBenchTenant, writeBenchSettings } from "./bench-tenant.js";
import { CibaClient } from "./ciba-client.js";
import type { TenantAnswer } from "./ciba-client.js";
import { percentile, round } from "./stats.js";

export interface TenantFloodOptions {
  /** Open (pending) requests the tenant holds while the second sample is taken. */
  openRequests: number;
  /** `/bc-authorize` calls timed one at a time, on the empty tenant and on the flooded one. */
  samples: number;
  /** Requests in flight while the tenant is filled. */
  fillConcurrency: number;
  log: (line: string) => void;
}

export interface LatencyFigures {
  p50Ms: number;
  p99Ms: number;
}

export interface TenantFloodResult {
  settings: Omit<TenantFloodOptions, "log">;
  empty: LatencyFigures;
  flooded: LatencyFigures;
  /** Flooded p50 / empty p50. */
  ratio: number;
  /** A `/bc-authorize` past `maxOpenRequests`: its status and error, and how long it took. */
  refused: { status: number; error: string; p50Ms: number };
  /** `GET /approver/api/requests?limit=100` with every request stored. */
  listPageP50Ms: number;
  fillSeconds: number;
  targets: { ratioAtMost: number };
  met: boolean;
  failed: boolean;
  unexpected: Record<string, number>;
}

const RATIO_TARGET = 2;
const WARM_UP = 200;
const BINDING_MESSAGE = "Do you want to buy 2 XYZ phones";

/** A tenant where nobody answers: every request stays open until it expires, after the run. */
const floodSettings = (file: string, cap: number) =>
  writeBenchSettings(file, {
    approver: { default: "manual", rules: [] },
    ciba: {
      maxExpiresInSeconds: 300,
      perUserRequestsPerMinute: null,
      maxOpenRequests: cap,
      maxStoredRequests: cap + 1_000,
    },
  });

const figures = (ms: number[]): LatencyFigures => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50), 2), p99Ms: round(percentile(sorted, 99), 2) };
};

/**
 * `/bc-authorize` latency on an empty tenant and on one that holds `openRequests` open
 * requests (issue 10: within 2x), then the 429 past the cap and a page of the control list.
 */
export async function measureTenantFlood(options: TenantFloodOptions): Promise<TenantFloodResult> {
  const { openRequests, samples, fillConcurrency, log } = options;
  // Room for the warm-up, the flood and both samples; the refused calls come after.
  const cap = openRequests + samples;
  const dir = await mkdtemp(path.join(tmpdir(), "ciba-flood-"));
  const { child, issuer, ca } = await startBenchTenant({
    name: "mock-auth0 (flood)",
    settingsFile: await floodSettings(path.join(dir, "mock-auth0.json"), cap),
  });
  const client = new CibaClient(issuer, ca);
  const unexpected = new Map<string, number>();
  const expect200 = (answer: TenantAnswer) => {
    if (answer.status === 200) return;
    const key = `${answer.status} ${typeof answer.body.error === "string" ? answer.body.error : ""}`;
    unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
  };
  const sample = async (count: number) => {
    const ms: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const answer = await client.backchannelAuthorize(BINDING_MESSAGE);
      expect200(answer);
      ms.push(answer.ms);
    }
    return ms;
  };
  const open = async () => {
    const answer = await httpsJson(
      new URL("approver/api/requests?status=pending&limit=1", issuer),
      { ca },
    );
    return (answer.body as { total: number }).total;
  };

  try {
    await sample(WARM_UP);
    const empty = figures(await sample(samples - WARM_UP));
    log(`  empty tenant: /bc-authorize p50 ${empty.p50Ms} ms, p99 ${empty.p99Ms} ms`);

    const fillStart = performance.now();
    let toCreate = openRequests - (await open());
    await Promise.all(
      Array.from({ length: fillConcurrency }, async () => {
        while (toCreate > 0) {
          toCreate -= 1;
          expect200(await client.backchannelAuthorize(BINDING_MESSAGE));
        }
      }),
    );
    const fillSeconds = round((performance.now() - fillStart) / 1000, 1);
    const held = await open();
    log(`  filled to ${held} open requests in ${fillSeconds} s`);

    const flooded = figures(await sample(samples));
    log(`  ${held} open: /bc-authorize p50 ${flooded.p50Ms} ms, p99 ${flooded.p99Ms} ms`);

    const refusedMs: number[] = [];
    let refused: TenantAnswer | undefined;
    for (let i = 0; i < 50; i += 1) {
      refused = await client.backchannelAuthorize(BINDING_MESSAGE);
      refusedMs.push(refused.ms);
    }
    const listMs: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      await httpsJson(new URL("approver/api/requests?limit=100", issuer), { ca });
      listMs.push(performance.now() - started);
    }
    const ratio = round(flooded.p50Ms / empty.p50Ms, 2);
    return {
      settings: { openRequests, samples, fillConcurrency },
      empty,
      flooded,
      ratio,
      refused: {
        status: refused?.status ?? 0,
        error: typeof refused?.body.error === "string" ? refused.body.error : "",
        p50Ms: figures(refusedMs).p50Ms,
      },
      listPageP50Ms: figures(listMs).p50Ms,
      fillSeconds,
      targets: { ratioAtMost: RATIO_TARGET },
      met: ratio <= RATIO_TARGET,
      failed: unexpected.size > 0 || refused?.status !== 429,
      unexpected: Object.fromEntries(unexpected),
    };
  } finally {
    client.close();
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
