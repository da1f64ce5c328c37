import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import autocannon from "autocannon";
import { z } from "zod";

import { cpuSecondsOf } from "./rss.js";
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
  /** Of `errors`, requests unanswered after 10 s. */
  timeouts: number;
  statusCodes: Record<string, number>;
  /**
   * The server process's CPU time (user + system) per answered request, in µs: unlike req/s,
   * hardly moved by other work on a shared machine. NaN where /proc is not there.
   */
  serverCpuUsPerRequest: number;
}

export interface VariantResult {
  requestsPerSecond: Spread;
  serverCpuUsPerRequest: Spread;
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
  /** How many distinct tokens the distinct-token runs cycle through. */
  distinctTokens: number;
  /** The shop's verified-token cache size (`SHOP_API_TOKEN_CACHE_SIZE`) in the cached runs. */
  tokenCacheSize: number;
  /** One token on every request (the verified-token cache answers all but the first). */
  authenticated: VariantResult;
  /** `distinctTokens` tokens in turn: each verified once, then answered by the cache. */
  distinct: VariantResult;
  /** The same distinct tokens with the cache off: every request verified in full. */
  uncached: VariantResult;
  unauthenticated: VariantResult;
  /** Per round: authenticated (one token) req/s divided by unauthenticated req/s. */
  ratio: Spread;
  /** Per round: distinct-token req/s divided by unauthenticated req/s. */
  distinctRatio: Spread;
  /** Per round: distinct tokens, cache off, divided by unauthenticated req/s (no target). */
  uncachedRatio: Spread;
  /** Per round: server CPU per request without a token / with one token (1 = free). */
  cpuRatio: Spread;
  /** The same for the distinct tokens (cache on), and with the cache off. */
  distinctCpuRatio: Spread;
  uncachedCpuRatio: Spread;
  /** Per round: p99 with a token (the larger of one token and distinct tokens) / p99 without. */
  p99Ratio: Spread;
  failed: boolean;
  targets: { ratioAtLeast: number; p99AtMostTimesWithout: number; met: boolean };
}

export const RESOURCE_SERVER_TARGETS = { ratioAtLeast: 0.85, p99AtMostTimesWithout: 2 };
const WARM_UP_SECONDS = 2;
const BODY = JSON.stringify({ product: "XYZ phone", qty: 1 });
/** Distinct tokens the bench server mints (RS256, a few ms each) and the runs cycle through. */
export const DISTINCT_TOKENS = 3_000;

/** What `shop-api-bench-server.ts` adds to its ready record. */
const benchServerSchema = z.object({
  authenticatedUrl: z.string().url(),
  uncachedUrl: z.string().url(),
  unauthenticatedUrl: z.string().url(),
  token: z.string().min(1),
  tokenCacheSize: z.number().int().min(1),
});

/** Hands out Authorization header values; `undefined` sends none. */
type Authorizations = (() => string) | undefined;

const cycling = (tokens: readonly string[]): Authorizations => {
  const values = tokens.map((token) => `Bearer ${token}`);
  let next = 0;
  return () => values[next++ % values.length] ?? "";
};

async function load(
  url: string,
  authorizations: Authorizations,
  connections: number,
  limit: { durationSeconds: number } | { amount: number },
): Promise<LoadRun> {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: BODY,
    connections,
    ...("amount" in limit ? { amount: limit.amount } : { duration: limit.durationSeconds }),
    // Every variant builds each request afresh (the same client work for all), setting its own
    // Authorization header, if any.
    requests: [
      {
        setupRequest: (request) => {
          if (authorizations !== undefined) {
            request.headers = { ...request.headers, authorization: authorizations() };
          }
          return request;
        },
      },
    ],
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
    timeouts: result.timeouts,
    statusCodes,
    serverCpuUsPerRequest: Number.NaN,
  };
}

const failedRun = (run: LoadRun) => run.non2xx > 0 || run.errors > 0 || run.ok === 0;

function summarize(runs: LoadRun[]): VariantResult {
  return {
    requestsPerSecond: spread(runs.map((r) => round(r.requestsPerSecond, 0))),
    serverCpuUsPerRequest: spread(runs.map((r) => round(r.serverCpuUsPerRequest, 0))),
    p50Ms: spread(runs.map((r) => r.p50Ms)),
    p99Ms: spread(runs.map((r) => r.p99Ms)),
    runs,
  };
}

/**
 * POST /api/purchases in one server process against three apps on one store: with token
 * verification and its cache (one token reused, A; `DISTINCT_TOKENS` tokens in turn, D), with
 * verification and no cache (the distinct tokens, M), and with the bench-only fixed identity
 * (B). Runs alternate A, D, M, B and B, M, D, A, so drift falls on all alike.
 */
export async function measureResourceServer(
  options: ResourceServerOptions,
): Promise<ResourceServerResult> {
  const tokensDir = await mkdtemp(path.join(tmpdir(), "shop-bench-tokens-"));
  const tokensFile = path.join(tokensDir, "tokens.json");
  try {
    const { child, ready: record } = await SupervisedChild.start({
      name: "shop-api (bench)",
      script: "scripts/bench/shop-api-bench-server.ts",
      runner: {
        flags: options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [],
      },
      env: {
        SHOP_BENCH_DATABASE_URL: options.databaseUrl ?? "",
        SHOP_BENCH_TOKENS_FILE: tokensFile,
        SHOP_BENCH_DISTINCT_TOKENS: String(DISTINCT_TOKENS),
      },
    });
    try {
      return await measureAgainst(options, benchServerSchema.parse(record), tokensFile, child.pid);
    } finally {
      await child.stop();
    }
  } finally {
    await rm(tokensDir, { recursive: true, force: true });
  }
}

async function measureAgainst(
  options: ResourceServerOptions,
  ready: z.infer<typeof benchServerSchema>,
  tokensFile: string,
  serverPid: number | undefined,
): Promise<ResourceServerResult> {
  const tokens = z
    .array(z.string().min(1))
    .length(DISTINCT_TOKENS)
    .parse(JSON.parse(await readFile(tokensFile, "utf8")));
  const reused: Authorizations = () => `Bearer ${ready.token}`;
  const distinct = cycling(tokens);
  const run = async (url: string, authorizations: Authorizations): Promise<LoadRun> => {
    const cpuBefore = await cpuSecondsOf(serverPid);
    const result = await load(url, authorizations, options.connections, {
      durationSeconds: options.durationSeconds,
    });
    const cpu = (await cpuSecondsOf(serverPid)) - cpuBefore;
    return { ...result, serverCpuUsPerRequest: (cpu * 1e6) / (result.ok + result.non2xx) };
  };

  // Warms up the JIT and fetches the JWKS once, before anything is counted; the distinct
  // tokens go round once, so the cache holds them all before the first counted run.
  const warmUps: [string, Authorizations, { durationSeconds: number } | { amount: number }][] = [
    [ready.authenticatedUrl, reused, { durationSeconds: WARM_UP_SECONDS }],
    [ready.authenticatedUrl, distinct, { amount: tokens.length }],
    [ready.uncachedUrl, distinct, { durationSeconds: WARM_UP_SECONDS }],
    [ready.unauthenticatedUrl, undefined, { durationSeconds: WARM_UP_SECONDS }],
  ];
  for (const [url, authorizations, limit] of warmUps) {
    const warm = await load(url, authorizations, options.connections, limit);
    const answers = `${JSON.stringify(warm.statusCodes)}, ${warm.errors} errors (${warm.timeouts} timeouts)`;
    // A wrong answer stops the bench; a slow one (a loaded machine) only says so.
    if (warm.non2xx > 0 || warm.ok === 0)
      throw new Error(`warm-up against ${url} failed: ${answers}`);
    if (warm.errors > 0) options.log(`  warm-up against ${url}: ${answers}`);
  }

  const runs = { a: [] as LoadRun[], d: [] as LoadRun[], m: [] as LoadRun[], b: [] as LoadRun[] };
  for (let i = 1; i <= options.rounds; i++) {
    // Every run adds orders, and the embedded database slows as they grow: odd rounds go
    // A, D, M, B and even rounds B, M, D, A, so that drift falls on every variant alike.
    const variants = [
      () => run(ready.authenticatedUrl, reused),
      () => run(ready.authenticatedUrl, distinct),
      () => run(ready.uncachedUrl, distinct),
      () => run(ready.unauthenticatedUrl, undefined),
    ] as const;
    const order = i % 2 === 1 ? [0, 1, 2, 3] : [3, 2, 1, 0];
    const results: LoadRun[] = [];
    for (const v of order) results[v] = await variants[v as 0 | 1 | 2 | 3]();
    const [a, d, m, b] = results as [LoadRun, LoadRun, LoadRun, LoadRun];
    runs.a.push(a);
    runs.d.push(d);
    runs.m.push(m);
    runs.b.push(b);
    const figure = (r: LoadRun) =>
      `${round(r.requestsPerSecond, 0)} req/s (p99 ${r.p99Ms} ms, ` +
      `${round(r.serverCpuUsPerRequest, 0)} µs CPU)`;
    options.log(
      `  round ${i}/${options.rounds}: one token ${figure(a)}, ${tokens.length} tokens ` +
        `${figure(d)}, same without cache ${figure(m)}, no token ${figure(b)}`,
    );
  }

  /** One figure per round, from that round's runs, against its run without a token. */
  const perRound = (f: (i: number, without: LoadRun) => number) =>
    spread(runs.b.map((without, i) => round(f(i, without), 3)));
  const reqRatio = (on: LoadRun[]) =>
    perRound((i, b) => (on[i]?.requestsPerSecond ?? Number.NaN) / b.requestsPerSecond);
  const ratio = reqRatio(runs.a);
  const distinctRatio = reqRatio(runs.d);
  const uncachedRatio = reqRatio(runs.m);
  const cpuRatio = (on: LoadRun[]) =>
    perRound((i, b) => b.serverCpuUsPerRequest / (on[i]?.serverCpuUsPerRequest ?? Number.NaN));
  const p99Ratio = perRound(
    (i, b) => Math.max(runs.a[i]?.p99Ms ?? Number.NaN, runs.d[i]?.p99Ms ?? Number.NaN) / b.p99Ms,
  );
  const failed = [...runs.a, ...runs.d, ...runs.m, ...runs.b].some(failedRun);
  const { ratioAtLeast, p99AtMostTimesWithout } = RESOURCE_SERVER_TARGETS;
  return {
    database: options.databaseUrl === undefined ? "embedded" : "postgres",
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    rounds: options.rounds,
    body: BODY,
    distinctTokens: tokens.length,
    tokenCacheSize: ready.tokenCacheSize,
    authenticated: summarize(runs.a),
    distinct: summarize(runs.d),
    uncached: summarize(runs.m),
    unauthenticated: summarize(runs.b),
    ratio,
    distinctRatio,
    uncachedRatio,
    cpuRatio: cpuRatio(runs.a),
    distinctCpuRatio: cpuRatio(runs.d),
    uncachedCpuRatio: cpuRatio(runs.m),
    p99Ratio,
    failed,
    targets: {
      ...RESOURCE_SERVER_TARGETS,
      met:
        !failed &&
        ratio.median >= ratioAtLeast &&
        distinctRatio.median >= ratioAtLeast &&
        p99Ratio.median <= p99AtMostTimesWithout,
    },
  };
}
