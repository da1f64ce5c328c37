import { hostname } from "node:os";

import { Redis } from "ioredis";

import type { AgentWarning } from "./agent-event.js";
import { LeaseNotHeldError, type AgentStore, type PutOptions } from "./agent-store.js";
import { isStale, leaseSchema, type Lease, type LeaseRequest } from "./lease.js";
import { REDIS_COMMAND_TIMEOUT_MS, RedisConnectError, redisFailure } from "./redis-failure.js";
import { redisCliCommand, type RedisLocation } from "./redis-url.js";
import { DEFAULT_RETENTION_MS, THREAD_RETENTION_MS } from "./retention.js";
import { parseEntry, type EntryPlace } from "./store-entry.js";
import { threadKey } from "./thread-journal.js";

export const REDIS_KEY_PREFIX = "ciba-agent:";

/** How long a lease lives unless its holder renews it: a holder that died frees it this soon. */
export const LEASE_TTL_MS = 15_000;
/** Fencing counters outlive every thread they fence, so a token never goes back. */
const FENCE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** A value is never written to expire sooner than this: it is always readable once written. */
const MIN_TTL_MS = 60_000;
/** Each failed attempt means another process changed the lease meanwhile; this many in a row is a fault. */
const MAX_CLAIM_ATTEMPTS = 100;
/**
 * How many times a command that timed out only because this process was paused meanwhile is
 * sent again (see `unpaused`).
 */
const MAX_PAUSED_RETRIES = 3;
/** How long a connection may take to be made: a Redis that is there takes it at once. */
const CONNECT_TIMEOUT_MS = 2_000;
/** How long a connect waits for a Redis that is loading its data from disk (`whenLoaded`). */
const LOAD_WAIT_MS = 10_000;

/**
 * Claims the lease at KEYS[1] if it is still as the claimer read it (ARGV[1], '' for none): the
 * next token of the fencing counter KEYS[2] goes into the lease (ARGV[2], the request's JSON),
 * set with SET NX PX when it was free. Returns the token and the lease, or 0 and what holds it.
 */
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return {0, current or ''} end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local lease = string.sub(ARGV[2], 1, -2) .. ',"token":' .. token .. '}'
if current then
  redis.call('SET', KEYS[1], lease, 'PX', ARGV[3])
elseif not redis.call('SET', KEYS[1], lease, 'NX', 'PX', ARGV[3]) then
  return {0, redis.call('GET', KEYS[1]) or ''}
end
return {token, lease}
`;

/**
 * Runs what follows on the lease KEYS[1] only while it is the claim of token ARGV[1] by owner
 * ARGV[2]. A lease whose TTL ran out while its holder could not renew it (a paused process, a
 * slow network) is still that holder's if nobody claimed the key since, which the fencing
 * counter KEYS[2] tells: every claim and release moves it. Such a lease is set again (ARGV[3],
 * the lease's JSON, for ARGV[4] ms) and the holder goes on; only a claim by another process
 * ends it.
 */
const IF_HELD = `
local current = redis.call('GET', KEYS[1])
if not current then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  local ok, lease = pcall(cjson.decode, current)
  if not ok or type(lease) ~= 'table' or lease.token ~= tonumber(ARGV[1]) or lease.owner ~= ARGV[2] then
    return 0
  end
end
`;
const HOLDS_SCRIPT = `${IF_HELD}return 1`;
const RENEW_SCRIPT = `${IF_HELD}return redis.call('PEXPIRE', KEYS[1], ARGV[4])`;
/** A release moves the fencing counter (kept ARGV[5] ms), so the lease cannot be taken back. */
const RELEASE_SCRIPT = `${IF_HELD}
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;
/**
 * A write: sets the value KEYS[1] to ARGV[1] for ARGV[2] ms, and the marker KEYS[2] to ARGV[3]
 * if it has none. One step, like MULTI, but a refusal (a full Redis) comes back as Redis's own
 * error rather than MULTI's EXECABORT.
 */
const PUT_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'NX')
return 1`;
/**
 * A write under the lease KEYS[1] (fenced by KEYS[2]): sets the value KEYS[3] to ARGV[5] for
 * ARGV[6] ms and the marker KEYS[4] to ARGV[7] if it has none, or writes nothing and returns 0
 * when another process has claimed the lease (or it was released) by the time Redis runs it,
 * however late the command arrives.
 */
const PUT_IF_HELD_SCRIPT = `${IF_HELD}
redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])
redis.call('SET', KEYS[4], ARGV[7], 'NX')
return 1`;

/** The keys and arguments with which IF_HELD checks (and may take back) a lease. */
type HeldArgs = [
  lease: string,
  fence: string,
  token: number,
  owner: string,
  json: string,
  ttlMs: number,
];

interface LeaseCommands {
  claimLease(
    lease: string,
    fence: string,
    expected: string,
    request: string,
    ttlMs: number,
    fenceTtlMs: number,
  ): Promise<[number, string]>;
  holdsLease(...held: HeldArgs): Promise<number>;
  renewLease(...held: HeldArgs): Promise<number>;
  releaseLease(...args: [...HeldArgs, fenceTtlMs: number]): Promise<number>;
  putValue(
    value: string,
    marker: string,
    text: string,
    ttlMs: number,
    markerText: string,
  ): Promise<number>;
  putIfHeld(
    lease: string,
    fence: string,
    value: string,
    marker: string,
    token: number,
    owner: string,
    json: string,
    ttlMs: number,
    text: string,
    valueTtlMs: number,
    markerText: string,
  ): Promise<number>;
}

export interface RedisStoreOptions {
  location: RedisLocation;
  /** Default LEASE_TTL_MS; the holder renews at a third of it. */
  leaseTtlMs?: number;
  /** Epoch milliseconds, for the TTLs of values (Redis counts them from when it gets them). */
  now?: () => number;
  /**
   * How long a command may wait for Redis's answer (REDIS_COMMAND_TIMEOUT_MS unless given), and a
   * connection to be made (2 s, or this when shorter).
   */
  commandTimeoutMs?: number;
  /** This process's monotonic clock (performance.now unless given), to see its own pauses. */
  monotonicMs?: () => number;
}

export type RedisStore = AgentStore & {
  /** Connects, or throws a message that names the server and the variable. */
  connect(): Promise<void>;
  keys(): Promise<string[]>;
  /**
   * Extends `lease` by the lease TTL (taking it back if it lapsed with nobody claiming the key
   * since); false once another process claimed it, or it was released.
   */
  renew(key: string, lease: Lease): Promise<boolean>;
  explainMissing(): Promise<{ lost: boolean; message: string }>;
  warnings(): Promise<AgentWarning[]>;
  close(): Promise<void>;
};

/**
 * The agent's store in Redis, for agents on several machines (`AGENT_STORE=redis://...`).
 * Every key starts with `ciba-agent:`:
 *
 * - `<key>`: a value (JSON), e.g. `threads/<thread>`, with a TTL from `keepUntil`;
 * - `lease:<key>`: a lease (JSON, with its fencing token), with a short TTL its holder renews;
 * - `fence:<key>`: the lease's fencing counter (INCR at every claim and release), kept far
 *   longer than any thread: while it still stands at a lease's token, nobody has claimed the
 *   key since, and a holder whose lease lapsed (it was paused past the TTL) takes it back;
 * - `store`: set with the first value, never expiring: a Redis without it has lost its data
 *   (or was never used), which is how a resume tells a lost thread from an unknown one.
 *
 * Claim, renewal, release and a write under a lease are Lua scripts, so each is one atomic step
 * in Redis.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { location } = options;
  const now = options.now ?? Date.now;
  const leaseTtlMs = options.leaseTtlMs ?? LEASE_TTL_MS;
  const commandTimeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const redis = new Redis(location.url, {
    lazyConnect: true,
    connectionName: "ciba-agent",
    // RESP2 is what every Redis and proxy speaks; the agent reads no RESP3-only reply.
    protocol: 2,
    connectTimeout: Math.min(commandTimeoutMs, CONNECT_TIMEOUT_MS),
    // A Redis that takes connections and answers nothing (stopped, a proxy whose other side is
    // gone) fails each command once it has had REDIS_COMMAND_TIMEOUT_MS, as one that refuses
    // them does: the run ends with its report instead of waiting for ever. A Redis slow for less
    // than that is waited for.
    commandTimeout: commandTimeoutMs,
    // Fail a command rather than hold it while Redis is away: the agent then reports an error
    // and a later resume continues from what Redis has.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 5 ? null : attempt * 200),
    // ioredis's ready check prints a console warning of its own when an ACL refuses INFO, at
    // every run; `whenLoaded` does its work, and says nothing the agent does not say itself.
    enableReadyCheck: false,
  });
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  redis.defineCommand("claimLease", { numberOfKeys: 2, lua: CLAIM_SCRIPT });
  redis.defineCommand("holdsLease", { numberOfKeys: 2, lua: HOLDS_SCRIPT });
  redis.defineCommand("renewLease", { numberOfKeys: 2, lua: RENEW_SCRIPT });
  redis.defineCommand("releaseLease", { numberOfKeys: 2, lua: RELEASE_SCRIPT });
  redis.defineCommand("putValue", { numberOfKeys: 2, lua: PUT_SCRIPT });
  redis.defineCommand("putIfHeld", { numberOfKeys: 4, lua: PUT_IF_HELD_SCRIPT });
  const commands = redis as Redis & LeaseCommands;

  /**
   * Sends `command`, and again when it timed out only because this process did not run
   * meanwhile: a process stopped (SIGSTOP, a suspended laptop) past the command timeout runs
   * the timeout's timer before it reads Redis's answer, which is waiting on the socket. Its
   * timer then fires late by the pause, which a Redis that did not answer in time never makes
   * it. Every command sent through it may be sent twice: the store's writes set what they set,
   * and a claim knows its own lease.
   */
  async function unpaused<T>(command: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const sentAt = monotonicMs();
      try {
        return await command();
      } catch (error) {
        const late = monotonicMs() - sentAt - commandTimeoutMs;
        const paused = late > Math.min(commandTimeoutMs, 1_000);
        const timedOut = error instanceof Error && error.message.includes("Command timed out");
        if (!timedOut || !paused || attempt >= MAX_PAUSED_RETRIES) throw error;
      }
    }
  }

  const valueKey = (key: string) => REDIS_KEY_PREFIX + key;
  const leaseKey = (key: string) => `${REDIS_KEY_PREFIX}lease:${key}`;
  const fenceKey = (key: string) => `${REDIS_KEY_PREFIX}fence:${key}`;
  const markerKey = `${REDIS_KEY_PREFIX}store`;
  const placeOf = (redisKey: string, key: string): EntryPlace => ({
    key,
    location: `${location.display} key ${redisKey}`,
    removal: redisCliCommand(location, ["DEL", redisKey]),
  });
  const heartbeats = new Map<string, NodeJS.Timeout>();
  const stopHeartbeat = (key: string) => {
    clearInterval(heartbeats.get(key));
    heartbeats.delete(key);
  };

  function parseLease(text: string, key: string): Lease {
    // JSON has no `undefined`, so zod's `?: T | undefined` members are the `?: T` of Lease.
    return parseEntry(leaseSchema, text, placeOf(leaseKey(key), key)) as Lease;
  }

  const held = (key: string, lease: Lease): HeldArgs => [
    leaseKey(key),
    fenceKey(key),
    lease.token,
    lease.owner,
    JSON.stringify(lease),
    leaseTtlMs,
  ];

  async function renew(key: string, lease: Lease): Promise<boolean> {
    return (await unpaused(() => commands.renewLease(...held(key, lease)))) === 1;
  }

  function keepRenewing(key: string, lease: Lease): void {
    stopHeartbeat(key);
    const timer = setInterval(() => {
      renew(key, lease).then(
        (held) => {
          if (!held) stopHeartbeat(key);
        },
        // Redis is away: the next beat tries again, and the holder's fence check reports it.
        () => undefined,
      );
    }, leaseTtlMs / 3);
    timer.unref();
    heartbeats.set(key, timer);
  }

  /** What Redis says about keeping data across a restart; `volatile` when it keeps nothing. */
  async function persistence(): Promise<{
    facts: string;
    volatile: boolean;
    upSeconds: number | undefined;
  }> {
    const info = await redis.info("persistence").catch(() => "");
    const server = await redis.info("server").catch(() => "");
    const aof = /^aof_enabled:(\d)/m.exec(info)?.[1];
    const uptime = /^uptime_in_seconds:(\d+)/m.exec(server)?.[1];
    let savePoints: string | undefined;
    try {
      savePoints = (await redis.config("GET", "save"))[1];
    } catch {
      // CONFIG is often disabled on managed Redis.
    }
    const facts = [
      aof === undefined ? undefined : `appendonly ${aof === "1" ? "yes" : "no"}`,
      savePoints === undefined ? undefined : savePoints === "" ? "no save points" : "RDB snapshots",
      uptime === undefined ? undefined : `up ${uptime} s`,
    ].filter((fact) => fact !== undefined);
    return {
      facts: facts.join(", "),
      volatile: aof === "0" && savePoints === "",
      upSeconds: uptime === undefined ? undefined : Number(uptime),
    };
  }

  /**
   * Whether Redis drops keys when it reaches maxmemory: every policy but `noeviction` may drop
   * a thread (each has a TTL, so the `volatile-*` policies take them too).
   */
  async function evictionPolicy(): Promise<
    { policy: string; limit: string } | "unknown" | undefined
  > {
    let refused = false;
    const memory = await redis.info("memory").catch(() => {
      refused = true;
      return "";
    });
    let policy = /^maxmemory_policy:(\S+)/m.exec(memory)?.[1];
    let limit = Number(/^maxmemory:(\d+)/m.exec(memory)?.[1] ?? 0);
    // A Redis that refuses INFO (an ACL without it) may still answer CONFIG GET.
    if (policy === undefined) {
      const config = await redis.config("GET", "maxmemory*").catch((): string[] | undefined => {
        return refused ? undefined : [];
      });
      if (config === undefined) return "unknown";
      const value = (name: string) => config[config.indexOf(name) + 1];
      policy = config.includes("maxmemory-policy") ? value("maxmemory-policy") : undefined;
      limit = Number(config.includes("maxmemory") ? value("maxmemory") : 0);
    }
    if (policy === undefined || policy === "noeviction" || limit === 0) return undefined;
    return { policy, limit: /^maxmemory_human:(\S+)/m.exec(memory)?.[1] ?? `${limit} bytes` };
  }

  /**
   * Waits, as ioredis's ready check would, while Redis loads its data from disk after a start
   * (it answers LOADING to every other command meanwhile), for at most LOAD_WAIT_MS: a Redis
   * still loading then fails the first command, which is reported. A Redis that refuses INFO
   * (an ACL without it) is taken as ready.
   */
  async function whenLoaded(): Promise<void> {
    const deadline = Date.now() + LOAD_WAIT_MS;
    for (;;) {
      let info: string;
      try {
        info = await redis.info("persistence");
      } catch (error) {
        const reason = (error as Error).message;
        if (/^NOPERM\b/.test(reason)) return;
        // What the ready check found: a password asked for or refused, a Redis that answers
        // nothing, a server that is no Redis.
        redis.disconnect();
        throw new RedisConnectError(
          redisFailure(
            location,
            (lastError ?? (error as Error)).message,
            "connect",
            commandTimeoutMs,
          ),
        );
      }
      if (!/^loading:1/m.test(info) || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Keys Redis has evicted since it started, under any settings it had. */
  async function evictedKeys(): Promise<number> {
    const stats = await redis.info("stats").catch(() => "");
    return Number(/^evicted_keys:(\d+)/m.exec(stats)?.[1] ?? 0);
  }

  return {
    connect: async () => {
      try {
        await redis.connect();
      } catch (error) {
        const reason = (lastError ?? (error as Error)).message;
        redis.disconnect();
        throw new RedisConnectError(redisFailure(location, reason, "connect", commandTimeoutMs));
      }
      // ioredis selects the URL's database on connect but goes on in database 0 when Redis
      // refuses it (a number past its `databases`): stores meant apart would share one keyspace.
      if (location.db !== 0) {
        try {
          await redis.select(location.db);
        } catch (error) {
          redis.disconnect();
          const reason = (error as Error).message;
          // An ACL that forbids SELECT is a refusal like any other, not a missing database.
          if (!/^ERR DB index/i.test(reason)) {
            throw new RedisConnectError(
              redisFailure(location, reason, "connect", commandTimeoutMs),
            );
          }
          throw new RedisConnectError({
            message: `Redis at ${location.display} (AGENT_STORE) has no database ${String(location.db)}: ${reason.replace(/\.+$/, "")}.`,
            fix: 'Use a database number below its "databases" setting (16 by default).',
          });
        }
      }
      await whenLoaded();
    },
    get: async (key, schema) => {
      const text = await unpaused(() => redis.get(valueKey(key)));
      return text === null ? undefined : parseEntry(schema, text, placeOf(valueKey(key), key));
    },
    put: async (key, value, putOptions: PutOptions = {}) => {
      const ttl =
        putOptions.keepUntil === undefined
          ? DEFAULT_RETENTION_MS
          : Math.max(Math.ceil(putOptions.keepUntil - now()), MIN_TTL_MS);
      const text = JSON.stringify(value);
      const marker = JSON.stringify({ since: new Date(now()).toISOString() });
      const { heldBy } = putOptions;
      if (heldBy === undefined) {
        await unpaused(() => commands.putValue(valueKey(key), markerKey, text, ttl, marker));
        return;
      }
      const [lease, fence, ...args] = held(heldBy.key, heldBy.lease);
      const written = await unpaused(() =>
        commands.putIfHeld(lease, fence, valueKey(key), markerKey, ...args, text, ttl, marker),
      );
      if (written !== 1) throw new LeaseNotHeldError(heldBy.key);
    },
    delete: async (key) => {
      await unpaused(() => redis.del(valueKey(key)));
    },
    claim: async (key, request: LeaseRequest, claimNow) => {
      const requestJson = JSON.stringify(request);
      for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
        const current = await unpaused(() => redis.get(leaseKey(key)));
        if (current !== null) {
          const holder = parseLease(current, key);
          // This claim's own, made by a claim sent again after a pause.
          if (holder.owner === request.owner) {
            keepRenewing(key, holder);
            return { granted: true, lease: holder };
          }
          if (!isStale(holder, claimNow, hostname())) return { granted: false, holder };
        }
        const [token, text] = await unpaused(() =>
          commands.claimLease(
            leaseKey(key),
            fenceKey(key),
            current ?? "",
            requestJson,
            leaseTtlMs,
            FENCE_RETENTION_MS,
          ),
        );
        if (token === 0) continue;
        const lease = parseLease(text, key);
        keepRenewing(key, lease);
        return { granted: true, lease };
      }
      throw new Error(
        `The lease ${leaseKey(key)} changed hands ${MAX_CLAIM_ATTEMPTS} times in a row`,
      );
    },
    holds: async (key, lease) =>
      (await unpaused(() => commands.holdsLease(...held(key, lease)))) === 1,
    release: async (key, lease) => {
      stopHeartbeat(key);
      await unpaused(() => commands.releaseLease(...held(key, lease), FENCE_RETENTION_MS));
    },
    renew,
    warnings: async () => {
      // Once a run, so one INFO section: the policy, not the count.
      const evicts = await evictionPolicy();
      if (evicts === "unknown") {
        return [
          {
            code: "redis_eviction_unknown",
            message: `Redis at ${location.display} refused INFO and CONFIG GET to this user, so whether it drops keys when it reaches a maxmemory is not known: a thread it drops is lost, with the approval it waits for. Grant the user INFO, or make sure Redis runs with maxmemory-policy noeviction.`,
          },
        ];
      }
      if (evicts === undefined) return [];
      return [
        {
          code: "redis_eviction",
          message: `Redis at ${location.display} drops keys when it reaches its maxmemory (maxmemory-policy ${evicts.policy}, maxmemory ${evicts.limit}): a thread it drops is lost, with the approval it waits for. Set maxmemory-policy noeviction, with which a full Redis refuses writes instead.`,
        },
      ];
    },
    explainMissing: async () => {
      const marker = await unpaused(() => redis.get(markerKey));
      const { facts, volatile, upSeconds } = await persistence();
      const [evicts, evictedCount] = await Promise.all([evictionPolicy(), evictedKeys()]);
      const settings =
        evicts === undefined || evicts === "unknown"
          ? ""
          : ` (maxmemory-policy ${evicts.policy}, maxmemory ${evicts.limit})`;
      const evicted =
        evictedCount === 0
          ? ""
          : ` It has evicted ${evictedCount} keys since it started${settings}, and a thread it evicted is lost.`;
      const started =
        upSeconds === undefined ? undefined : new Date(now() - upSeconds * 1000).toISOString();
      if (marker === null) {
        // Any thread id misses here, so nothing tells a lost thread from a mistyped id.
        const where = `Redis at ${location.display} holds no agent threads at all`;
        return {
          lost: true,
          message: volatile
            ? `${where}, and it keeps nothing across a restart (${facts}). The id may be mistyped, or the thread sent with another AGENT_STORE; if it was sent with this one, it was ${evictedCount === 0 ? "" : "evicted, or "}lost when Redis restarted${started === undefined ? "" : ` (it last started at ${started})`}.${evicted}`
            : `${where}${facts === "" ? "" : ` (${facts})`}. The id may be mistyped, or the thread sent to another Redis or database; if it was sent here, it was lost (a FLUSHALL, eviction under maxmemory, or a restart from an older snapshot).${evicted}`,
        };
      }
      const since = /"since":"([^"]+)"/.exec(marker)?.[1] ?? "an unknown time";
      const held = `Redis at ${location.display} has held agent threads since ${since}; each is kept ${THREAD_RETENTION_MS / 86_400_000} days after its last request.`;
      // Threads written since its last start are all it can hold: one sent before is gone, and
      // nothing tells it from a mistyped id.
      const restarted =
        volatile && started !== undefined
          ? ` It keeps nothing across a restart (${facts}): a thread sent with this AGENT_STORE before it started at ${started} was lost then.`
          : "";
      const listing = redisCliCommand(location, ["--scan", "--pattern", valueKey(threadKey("*"))]);
      return {
        lost: false,
        message: `${held}${restarted}${evicted} Run ${listing} to see the ids it holds.`,
      };
    },
    keys: async () => {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await unpaused(() =>
          redis.scan(cursor, "MATCH", `${REDIS_KEY_PREFIX}*`, "COUNT", 500),
        );
        cursor = next;
        found.push(...batch);
      } while (cursor !== "0");
      return found
        .map((redisKey) => redisKey.slice(REDIS_KEY_PREFIX.length))
        .filter((key) => !/^(lease|fence):/.test(key) && key !== "store")
        .sort();
    },
    close: async () => {
      for (const key of [...heartbeats.keys()]) stopHeartbeat(key);
      // QUIT lets Redis answer what was sent first; a broken connection is just dropped.
      if (redis.status === "ready") await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}
