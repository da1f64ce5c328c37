import { redisCliCommand, type RedisLocation } from "./redis-url.js";

/**
 * How long a command may wait for Redis's answer. A Redis that is alive but slow holds every
 * command for seconds at times (a fork for a snapshot of a large dataset, an fsync of its
 * append-only file that it waits up to 2 s for, a failover, DEBUG SLEEP or CLIENT PAUSE): it
 * answers them all once it is back, and a run that waits goes on. What answers nothing for this
 * long (stopped, cut off) is taken as lost.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 10_000;

/** What went wrong with the store's Redis, and what to change. */
export interface RedisFailure {
  message: string;
  fix: string;
}

/**
 * Why Redis failed the store, from ioredis's error text, and what to change. `connect`: the
 * store could not start (a Redis that wants a password, or another one; TLS on one side only;
 * something that is not a Redis); `command`: a command failed mid-run. Redis's own refusals
 * (a read-only replica, a full memory, an ACL, a renamed EVAL) read the same in both.
 */
export function redisFailure(
  location: RedisLocation,
  reason: string,
  phase: "connect" | "command",
  commandTimeoutMs = REDIS_COMMAND_TIMEOUT_MS,
): RedisFailure {
  const cause = reason
    .replace(/\s*Please report this\.?$/, "")
    // Redis names the store's own Lua script that met the refusal: nothing a person can use.
    .replace(/\.?\s*script: [0-9a-f]+, on @user_script:\d+\.?$/, "")
    .replace(/\.+$/, "");
  const where = `Redis at ${location.display} (AGENT_STORE)`;
  const failure = (message: string, fix: string) => ({ message: `${message}: ${cause}.`, fix });
  if (/^NOAUTH\b/.test(cause)) {
    return failure(
      `${where} asks for a password`,
      `Put it in the URL, redis://:<password>@${location.host}:${location.port}/${location.db} (URL-encoded).`,
    );
  }
  if (/^WRONGPASS\b/.test(cause)) {
    return failure(
      `${where} refused the ${location.username === undefined ? "password" : "user name or password"} in AGENT_STORE`,
      "Check them; in the URL, @ : / % and # in a password are written %40 %3A %2F %25 %23.",
    );
  }
  if (/^(Unknown RESP type|Protocol error)/.test(cause)) {
    return failure(
      `What answers at ${location.display} (AGENT_STORE) is not a Redis`,
      "Point AGENT_STORE at the Redis server's port (6379 unless set otherwise).",
    );
  }
  if (/^READONLY\b/.test(cause)) {
    return failure(`${where} is a read-only replica`, "Point AGENT_STORE at its primary.");
  }
  if (/^OOM\b/.test(cause)) {
    return failure(
      `${where} is full (maxmemory)`,
      "Raise its maxmemory or free memory: a Redis at its maxmemory refuses each write it cannot make room for by evicting keys (every write under maxmemory-policy noeviction, which the agent needs so that no thread is evicted).",
    );
  }
  if (/^NOPERM\b/.test(cause)) {
    return failure(
      `${where} does not allow this user what the store needs`,
      "Grant it, in its ACL, GET, SET, DEL, INCR, PEXPIRE, SCAN, EVAL and EVALSHA on the keys ciba-agent:*, INFO (which tells whether Redis may evict threads) and SELECT for a database other than 0.",
    );
  }
  if (/unknown command '(eval|evalsha|script)'/i.test(cause)) {
    return failure(
      `${where} does not run Lua scripts`,
      "The store's leases and fenced writes are Lua scripts: use a Redis that allows EVAL and EVALSHA (undo their rename-command).",
    );
  }
  if (location.tls && /certificate|self[- ]signed|CERT_|unable to verify/i.test(cause)) {
    return failure(
      `${where} has a TLS certificate Node does not trust`,
      "Start the agent with NODE_EXTRA_CA_CERTS naming the CA that signed it.",
    );
  }
  // ioredis's words for a command whose connection broke and was not made again in time (a
  // Redis killed, restarted or cut off mid-run): its option's name helps nobody here.
  if (/max retries per request limit/i.test(cause)) {
    return {
      message: `The connection to ${where} was lost mid-run and could not be made again: Redis stopped or restarted, or the network to it failed.`,
      fix: `Check that it is running (${redisCliCommand(location, ["PING"])}); then resume the thread to see where it stands, and check the orders before asking again.`,
    };
  }
  if (cause.includes("Command timed out")) {
    return failure(
      `${where} took the connection but answered no command within ${String(commandTimeoutMs / 1000)} s`,
      `Check that it is running and not paused or overloaded (${redisCliCommand(location, ["PING"])}).`,
    );
  }
  if (phase === "command") {
    return failure(
      `${where} failed a command`,
      `Check the Redis that AGENT_STORE names (${location.display}).`,
    );
  }
  if (
    location.tls &&
    /ETIMEDOUT|ECONNRESET|wrong version number|SSL|TLS|socket disconnected/i.test(cause)
  ) {
    return failure(
      `Cannot reach ${where} over TLS`,
      "A Redis without TLS on that port never finishes the handshake: use redis:// for it, or the port where it takes TLS. If it does take TLS there, check that the host and port are reachable from here.",
    );
  }
  if (!location.tls && /ECONNRESET|EPIPE|Connection is closed/.test(cause)) {
    return failure(
      `${where} closed the connection`,
      "A Redis that takes only TLS on that port closes plain connections: use rediss:// for it. Otherwise check that what listens there is a running Redis.",
    );
  }
  return failure(`Cannot reach ${where}`, "Start it, or point AGENT_STORE at a running Redis.");
}

/** A store that could not start: its message, and what to change. */
export class RedisConnectError extends Error {
  readonly fix: string;
  constructor({ message, fix }: RedisFailure) {
    super(message);
    this.name = "RedisConnectError";
    this.fix = fix;
  }
}
