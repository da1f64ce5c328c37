import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";

import { killOnExit, makeScratchFolder } from "@ciba-testbed/shared/node";
import pg from "pg";

import { onFreePort } from "./on-free-port.js";
import { perWorker } from "./per-worker.js";

/** A throw-away PostgreSQL server: its own cluster in a temporary folder, on a free port. */
export interface PostgresServer {
  /** `postgres://shop@127.0.0.1:<port>/<database>`; trust authentication, loopback only. */
  url(database?: string): string;
  /** The loopback port it listens on, over TCP and as its Unix socket's number. */
  readonly port: number;
  /** The folder holding its Unix socket (`.s.PGSQL.<port>`). */
  readonly socketDir: string;
  /** A new, empty database on this server; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Gives a server started with `tls` another certificate and key, read by the server at once
   * (`pg_reload_conf()`): connections opened from then on are offered it.
   */
  replaceTls(tls: { cert: string; key: string }): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** False once the server has exited, stopped or not. */
  readonly running: boolean;
}

const SUPERUSER = "shop";
const DEBIAN_BINARIES = "/usr/lib/postgresql";

/**
 * The folder holding `initdb` and `postgres`: from PATH (symbolic links followed, so the rest of
 * the installation is found beside them), else the newest of Debian's
 * /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package puts neither on PATH).
 */
export function findPostgresBinaries(): string {
  const fromPath = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir !== "" && existsSync(path.join(dir, "initdb")))
    .map((dir) => path.dirname(realpathSync(path.join(dir, "initdb"))));
  const debian = existsSync(DEBIAN_BINARIES)
    ? readdirSync(DEBIAN_BINARIES)
        .filter((version) => /^\d+$/.test(version))
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => path.join(DEBIAN_BINARIES, version, "bin"))
    : [];
  const found = [...fromPath, ...debian].find(
    (dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "postgres")),
  );
  if (found === undefined) {
    throw new Error(
      "PostgreSQL's server programs (initdb, postgres) are not installed: " +
        "apt-get install -y postgresql (bash .ci/run does it)",
    );
  }
  return found;
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` user, or `nobody`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const id = (flag: string) => Number(execFileSync("id", [flag, name], { encoding: "utf8" }));
      return { uid: id("-u"), gid: id("-g") };
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error("running as root, and neither a 'postgres' nor a 'nobody' user exists");
}

function run(
  command: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  cwd: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...user, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Starts PostgreSQL from scratch: `initdb` in a new temporary folder (owned by the server's
 * user when this process is root), the server on a free loopback port with its Unix socket in
 * that folder, ready once it answers a query. Durability settings are off: a test cluster
 * never outlives a crash of its own server.
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const { server } = await startServer(options);
  return server;
}

export interface StartOptions {
  /** TLS on (`ssl=on`) with this certificate and key, as PEM: clients may then ask for it. */
  tls?: { cert: string; key: string };
  /**
   * Roles other than the superuser log in over TCP with a password (scram-sha-256), as on a
   * production server; the superuser keeps trust authentication.
   */
  passwordLogins?: boolean;
  /** Finds the free port to start on (`onFreePort`); a test gives it a taken one. */
  probe?: () => Promise<number>;
}

/**
 * The PostgreSQL server shared by the test files of this Vitest worker (see `perWorker`):
 * initdb and a server start cost about 0.7 s of CPU. A file on it works in databases of its own
 * (`createDatabase`) and does not stop it: it ends with the worker, and its folder goes then
 * too. A server that has exited is replaced.
 */
const sharedServer = perWorker(
  async () => {
    const { server, pid, dir } = await startServer();
    return { server, watchdog: endWithThisProcess(pid, dir) };
  },
  {
    alive: ({ server }) => server.running,
    replace: async ({ server, watchdog }) => {
      watchdog.kill();
      await server.stop();
    },
  },
);

export async function sharedPostgres(): Promise<PostgresServer> {
  return (await sharedServer()).server;
}

/**
 * Stops the server and removes its folder when this process ends, however it ends. Vitest ends
 * a worker with SIGTERM, and that skips the "exit" event (so killOnExit) unless some handler
 * turns the signal into an exit. A shell that waits for the end of its stdin does not depend on
 * that: the pipe closes when this process is gone.
 *
 * SIGQUIT is PostgreSQL's immediate shutdown: the server ends its sessions and removes its
 * shared memory (a System V segment and a POSIX one in /dev/shm), which a SIGKILL would leave
 * behind, a few more with every run until the machine's limit stops any PostgreSQL from
 * starting. The process group is killed once the server has removed its pid file (or after
 * 5 s).
 */
const WATCHDOG_SCRIPT = `read -r _
kill -QUIT "$0" 2>/dev/null
i=0
while [ -e "$1/data/postmaster.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "-$0" 2>/dev/null
rm -rf "$1"`;

function endWithThisProcess(pid: number, dir: string): ChildProcess {
  const watchdog = spawn(
    "sh",
    ["-c", WATCHDOG_SCRIPT, String(pid), dir],
    // Its own process group: a Ctrl-C reaches this process, which ends and closes the pipe.
    { detached: true, stdio: ["pipe", "ignore", "ignore"] },
  );
  // Neither the shell nor the pipe keeps this process's event loop alive.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}

async function startServer(
  options: StartOptions = {},
): Promise<{ server: PostgresServer; pid: number; dir: string }> {
  const bin = findPostgresBinaries();
  const user = serverUser();
  // RAM-backed where there is room: initdb writes about 40 MB of files there.
  const dir = await makeScratchFolder("ciba-pg-");
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, "data");
  await run(
    path.join(bin, "initdb"),
    ["-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
    user,
    // Its own folder: the server's user may not be allowed into this process's directory.
    dir,
  );

  if (options.passwordLogins === true) {
    writeFileSync(
      path.join(data, "pg_hba.conf"),
      [
        "local all all trust",
        `host all ${SUPERUSER} 127.0.0.1/32 trust`,
        "host all all 127.0.0.1/32 scram-sha-256",
        "",
      ].join("\n"),
    );
  }

  const tlsSettings: string[] = [];
  const cert = path.join(dir, "server.crt");
  const key = path.join(dir, "server.key");
  const writeTls = (tls: { cert: string; key: string }) => {
    // PostgreSQL reads its key only when the server's user owns it and no one else may read it.
    writeFileSync(cert, tls.cert);
    writeFileSync(key, tls.key, { mode: 0o600 });
    if (user) for (const file of [cert, key]) chownSync(file, user.uid, user.gid);
  };
  if (options.tls !== undefined) {
    writeTls(options.tls);
    tlsSettings.push("-c", "ssl=on", "-c", `ssl_cert_file=${cert}`, "-c", `ssl_key_file=${key}`);
  }

  /** PostgreSQL on `port`: the process, its output's lines, and a promise of its exit. */
  const launch = (port: number) => {
    const child = spawn(
      path.join(bin, "postgres"),
      [
        ...["-D", data, "-p", String(port), "-k", dir],
        ...["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
        ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        ...tlsSettings,
      ],
      { ...user, cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    // Immediate shutdown (see WATCHDOG_SCRIPT): postgres ends the workers it forked and removes
    // its shared memory, which a SIGKILL of the group would leave behind.
    killOnExit(child, () => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGQUIT");
    });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk: Buffer) =>
        output.push(...chunk.toString().split("\n").slice(0, -1)),
      );
    }
    const gone = new Promise<void>((resolve) =>
      child.once("exit", () => {
        resolve();
      }),
    );
    return { child, output, gone };
  };
  const urlOn = (port: number, database = "postgres") =>
    `postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const queryOn = async (port: number, text: string, connectionTimeoutMillis = 0) => {
    const client = new pg.Client({ connectionString: urlOn(port), connectionTimeoutMillis });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(text)).rows;
    } finally {
      await client.end();
    }
  };
  const runs = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  /** Stops the server's process group, as fast shutdown (SIGINT) or after 10 s by SIGKILL. */
  const end = async ({ child, gone }: { child: ChildProcess; gone: Promise<void> }) => {
    if (!runs(child) || child.pid === undefined) return;
    const group = -child.pid;
    process.kill(group, "SIGINT");
    const killer = setTimeout(() => process.kill(group, "SIGKILL"), 10_000);
    await gone;
    clearTimeout(killer);
  };

  // Ready when it answers: connection attempts until then are refused or told "starting up".
  // The free port can be taken between the probe and PostgreSQL binding it: PostgreSQL then
  // stops, and what answers on the port is another process, such as another test run's
  // PostgreSQL with the same trust login. So ready is this server answering, its own data
  // directory; when it could not bind the port, `onFreePort` starts it again on another.
  const ours = new Set([data, realpathSync(data)]);
  const startOn = async (port: number) => {
    const launched = launch(port);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        // A process that took the port may accept a connection and never answer: each try is
        // given up after 2 s, and the server's exit is looked at then.
        const [row] = await queryOn(port, "show data_directory", 2_000);
        if (runs(launched.child) && ours.has(String(row?.data_directory))) {
          return { port, ...launched };
        }
        throw new Error(`another server answers on port ${String(port)}`);
      } catch (error) {
        const stopped = !runs(launched.child);
        const taken = launched.output.find((line) =>
          /could not (bind|create any TCP\/IP)/.test(line),
        );
        if (stopped && taken !== undefined) {
          throw new Error(
            `PostgreSQL could not listen on port ${String(port)} (EADDRINUSE): ${taken}`,
          );
        }
        if (stopped || Date.now() > deadline) {
          await end(launched);
          throw new Error(
            `PostgreSQL did not start (${(error as Error).message}):\n${launched.output.slice(-20).join("\n")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const ready = await onFreePort(startOn, options.probe).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const { port, child: server } = ready;
  const url = (database?: string) => urlOn(port, database);
  const query = (text: string) => queryOn(port, text);
  const running = () => runs(server);
  const stop = async () => {
    await end(ready);
    rmSync(dir, { recursive: true, force: true });
  };

  const started: PostgresServer = {
    url,
    port,
    socketDir: dir,
    get running() {
      return running();
    },
    createDatabase: async (name = `shop_${randomBytes(6).toString("hex")}`) => {
      await query(`create database "${name.replaceAll('"', '""')}"`);
      return url(name);
    },
    replaceTls: async (tls) => {
      if (options.tls === undefined) throw new Error("this server was started without TLS");
      writeTls(tls);
      const loaded = async () => {
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          const { rows } = await client.query<{ at: string }>(
            "select pg_conf_load_time()::text as at",
          );
          return rows[0]?.at;
        } finally {
          await client.end();
        }
      };
      const before = await loaded();
      await query("select pg_reload_conf()");
      // The postmaster reloads on the signal, a moment later: a new session then shows it.
      while ((await loaded()) === before) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    stop,
  };
  return { server: started, pid: server.pid ?? 0, dir };
}
