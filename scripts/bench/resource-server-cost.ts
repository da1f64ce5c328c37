import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import autocannon from "autocannon";
import { z } from "zod";

import { round, spread } from "./stats.js";
import type { Spread } from "./stats.js";

export interface ResourceServerOptions {
  rounds: number;
  durationSeconds: number;
  connections: number;
  /** Directory for a CPU profile of the server process (`--cpu-prof`), if wanted. */
  profileDir?: string | undefined;
  /** The shop's orders in this PostgreSQL database; unset: the embedded database. */
  databaseUrl?: string | undefined;
  log: (line: string) => void;
}

export interface LoadRun {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export interface VariantResult {
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  runs: LoadRun[];
}

export interface ResourceServerResult {
  /** Where the shop kept its orders. */
  database: "embedded" | "postgres";
  connections: number;
  durationSeconds: number;
  rounds: number;
  body: string;
  authenticated: VariantResult;
  unauthenticated: VariantResult;
  /** Per round: authenticated req/s divided by unauthenticated req/s. */
  ratio: Spread;
  failed: boolean;
  targets: { ratioAtLeast: number; p99BelowMs: number; met: boolean };
}

export const RESOURCE_SERVER_TARGETS = { ratioAtLeast: 0.7, p99BelowMs: 25 };
const WARM_UP_SECONDS = 2;
const BODY = JSON.stringify({ product: "XYZ phone", qty: 1 });

/** What `shop-api-bench-server.ts` adds to its ready record. */
const benchServerSchema = z.object({
  authenticatedUrl: z.string().url(),
  unauthenticatedUrl: z.string().url(),
  token: z.string().min(1),
});

async function load(
  url: string,
  headers: Record<string, string>,
  connections: number,
  durationSeconds: number,
): Promise<LoadRun> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: BODY,
    connections,
    duration: durationSeconds,
    // Counts and the time cap bound the run; a stuck request must not hold it open.
    timeout: 10,
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
  );
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}

const failedRun = (run: LoadRun) => run.non2xx > 0 || run.errors > 0 || run.ok === 0;

function summarize(runs: LoadRun[]): VariantResult {
  return {
    requestsPerSecond: spread(runs.map((r) => round(r.requestsPerSecond, 0))),
    p50Ms: spread(runs.map((r) => r.p50Ms)),
    p99Ms: spread(runs.map((r) => r.p99Ms)),
    runs,
  };
}

/**
 * POST /api/purchases against the app with token verification (A) and the same app with the
 * bench-only fixed identity (B), alternately A, B, A, B ... in one server process, so drift of
 * a shared machine falls on both sides alike.
 */
export async function measureResourceServer(
  options: ResourceServerOptions,
): Promise<ResourceServerResult> {
  const { child, ready: record } = await SupervisedChild.start({
    name: "shop-api (bench)",
    script: "scripts/bench/shop-api-bench-server.ts",
    runner: {
      kind: "node",
      flags: options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [],
    },
    // It stops when its stdin closes, so it cannot outlive this process.
    stdin: "pipe",
    env: { SHOP_BENCH_DATABASE_URL: options.databaseUrl ?? "" },
  });
  try {
    const ready = benchServerSchema.parse(record);
    const bearer = { authorization: `Bearer ${ready.token}` };
    const runA = () =>
      load(ready.authenticatedUrl, bearer, options.connections, options.durationSeconds);
    const runB = () =>
      load(ready.unauthenticatedUrl, {}, options.connections, options.durationSeconds);

    // Warms up the JIT and fetches the JWKS once, before anything is counted.
    for (const [url, headers] of [
      [ready.authenticatedUrl, bearer],
      [ready.unauthenticatedUrl, {}],
    ] as const) {
      const warm = await load(url, headers, options.connections, WARM_UP_SECONDS);
      if (failedRun(warm)) {
        throw new Error(
          `warm-up against ${url} failed: ${JSON.stringify(warm.statusCodes)}, ${warm.errors} errors`,
        );
      }
    }

    const authenticated: LoadRun[] = [];
    const unauthenticated: LoadRun[] = [];
    for (let i = 1; i <= options.rounds; i++) {
      const a = await runA();
      const b = await runB();
      authenticated.push(a);
      unauthenticated.push(b);
      options.log(
        `  round ${i}/${options.rounds}: with token ${round(a.requestsPerSecond, 0)} req/s ` +
          `(p99 ${a.p99Ms} ms), without ${round(b.requestsPerSecond, 0)} req/s (p99 ${b.p99Ms} ms)`,
      );
    }

    const ratio = spread(
      authenticated.map((a, i) =>
        round(a.requestsPerSecond / (unauthenticated[i]?.requestsPerSecond ?? Number.NaN), 3),
      ),
    );
    const failed = [...authenticated, ...unauthenticated].some(failedRun);
    const a = summarize(authenticated);
    return {
      database: options.databaseUrl === undefined ? "embedded" : "postgres",
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      rounds: options.rounds,
      body: BODY,
      authenticated: a,
      unauthenticated: summarize(unauthenticated),
      ratio,
      failed,
      targets: {
        ...RESOURCE_SERVER_TARGETS,
        met:
          !failed &&
          ratio.median >= RESOURCE_SERVER_TARGETS.ratioAtLeast &&
          a.p99Ms.median < RESOURCE_SERVER_TARGETS.p99BelowMs,
      },
    };
  } finally {
    await child.stop();
  }
}
