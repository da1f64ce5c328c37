import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { createConnection } from "node:net";

import { freePort, killOnExit, makeScratchFolder } from "@ciba-testbed/shared/node";

/**
 * A real `redis-server` for one test file: on a free loopback port, in a temporary directory of
 * its own, stopped (and the directory removed) by `stop()`. Debian's package `redis-server`
 * provides it; `bash .ci/run` installs it when it is missing.
 */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>/<db>`: what AGENT_STORE is set to. */
  url(db?: number): string;
  port: number;
  dir: string;
  /** Ends the server with SIGKILL, as a crash or a power cut would, and starts it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * `aof`: every write is in the append-only file before Redis answers (appendonly yes,
   * appendfsync always), so a crash loses nothing. `none`: no AOF and no snapshots, so a
   * restart starts empty.
   */
  persistence: "aof" | "none";
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedisServer(
  options: RedisServerOptions = { persistence: "none" },
): Promise<RedisServer> {
  // RAM-backed where there is room: an append-only file written with `appendfsync always`
  // survives a restart of the server there as on a disk, and its fsync costs nothing.
  const dir = await makeScratchFolder("ciba-redis-");
  const args = (port: number) => [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.persistence === "aof" ? "yes" : "no",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
    "--logfile",
    "",
    "--loglevel",
    "warning",
  ];

  let port = 0;
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const spawned = spawn("redis-server", args(port), { stdio: ["ignore", "ignore", "pipe"] });
    child = spawned;
    killOnExit(spawned);
    let stderr = "";
    spawned.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const failed = new Promise<never>((_, reject) => {
      spawned.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          error.code === "ENOENT"
            ? new Error(
                "redis-server is not installed: apt-get install redis-server (bash .ci/run does)",
              )
            : error,
        );
      });
      spawned.once("exit", (code, signal) => {
        reject(new Error(`redis-server exited (${signal ?? code}) before it answered: ${stderr}`));
      });
    });
    failed.catch(() => undefined);
    await Promise.race([untilPong(port), failed]);
  };

  // A free port can be taken between the probe and Redis binding it: try another one.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      await kill(child);
      if (attempt >= 4) throw error;
    }
  }

  return {
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    port,
    dir,
    restart: async () => {
      await kill(child);
      await launch();
    },
    stop: async () => {
      await kill(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (child?.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Resolves once Redis answers PING with PONG (not LOADING: an AOF is read first). */
async function untilPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if ((await ping(port)) === "+PONG") return;
    if (Date.now() > deadline) {
      throw new Error(`redis-server on port ${port} did not answer within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function ping(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let answer = "";
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes("\r\n")) socket.end();
    });
    socket.once("error", () => undefined);
    socket.once("close", () => {
      resolve(answer === "" ? undefined : answer.split("\r\n")[0]);
    });
  });
}
