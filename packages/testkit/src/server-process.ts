import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

import { killOnExit, parseReadyRecord } from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";

import type { ServerEntry } from "./server-entry.js";

const KEPT_LINES = 100;
/** The last lines of its output an error shows. */
const SHOWN_LINES = 20;
/** How long a failed call waits for the server's exit to be reported, to tell whether it died. */
const EXIT_GRACE_MS = 2_000;

export interface StartServerOptions {
  /** Names the server in errors and in forwarded logs. */
  name: string;
  entry: ServerEntry;
  env: Record<string, string>;
  /** Where its log lines go, prefixed with its name; nowhere unless given. */
  logs?: Writable | undefined;
  timeoutMs: number;
  /** Kills it when aborted before it is ready, and rejects once it has exited. */
  signal?: AbortSignal | undefined;
}

/** A server started as a child process, ready once it printed its ready record. */
export class ServerProcess {
  private readonly kept: string[] = [];
  private readonly exited: Promise<void>;
  /** How it ended, e.g. `SIGKILL` or `code 1`; undefined while it runs. */
  private exitedAs: string | undefined;
  private stopping = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitedAs = signal ?? `code ${String(code)}`;
        resolve();
      });
    });
  }

  /**
   * Why a call to this server failed, when the reason is that it is gone: it exited after it
   * was ready (with its last lines), or `stop()` stopped it. Undefined while it runs, after
   * waiting briefly for an exit that is under way to be reported.
   */
  async whyGone(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise((resolve) => {
        timer = setTimeout(resolve, EXIT_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (this.exitedAs === undefined) return undefined;
    if (this.stopping) return `${this.name} was stopped: the testbed's stop() was called`;
    const lines = this.kept.slice(-SHOWN_LINES);
    return (
      `${this.name} exited (${this.exitedAs}) after start` +
      (lines.length === 0 ? ", printing nothing" : `; its last lines:\n${lines.join("\n")}`)
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the server and resolves with its ready record; on failure, with its own words. */
  static async start(
    options: StartServerOptions,
  ): Promise<{ server: ServerProcess; ready: ReadyRecord }> {
    // Its stdin is a pipe this process never writes to: when this process ends, however it ends
    // (a signal, kill -9, a test runner's worker torn down), the server sees the pipe close and
    // stops (--exit-with-stdin). The exit hook below covers an ordinary exit at once.
    const child = spawn(options.entry.command, [...options.entry.args, "--exit-with-stdin"], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Held open, but not a reason for this process to keep running.
    (child.stdin as Socket | null)?.unref();
    killOnExit(child);
    const server = new ServerProcess(options.name, child);
    let aborted: () => void = () => undefined;
    const ready = await new Promise<ReadyRecord>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        // Said, not left as an empty list: a start that waited in silence is told apart.
        const said =
          server.kept.length === 0 ? ", printing nothing" : `:\n${server.kept.join("\n")}`;
        reject(new Error(`${options.name} ${why}${said}`));
      };
      const timer = setTimeout(() => {
        fail(`printed no ready record within ${options.timeoutMs} ms`);
      }, options.timeoutMs);
      // Rejected once it has exited: an aborted start leaves nothing running.
      aborted = () => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        void server.exited.then(() => {
          reject(
            new Error(`${options.name} was stopped: its start was aborted`, {
              cause: options.signal?.reason,
            }),
          );
        });
      };
      if (options.signal?.aborted) aborted();
      options.signal?.addEventListener("abort", aborted, { once: true });
      const onLine = (line: string) => {
        const record = parseReadyRecord(line);
        if (record !== undefined) {
          clearTimeout(timer);
          resolve(record);
          return;
        }
        server.kept.push(line);
        if (server.kept.length > KEPT_LINES) server.kept.shift();
        options.logs?.write(`${options.name.padEnd(12)}| ${line}\n`);
      };
      // Both are pipes (stdio above).
      for (const stream of [child.stdout, child.stderr] as Readable[]) {
        createInterface({ input: stream }).on("line", onLine);
      }
      child.once("error", (error) => {
        fail(`could not start: ${error.message}`);
      });
      child.once("close", (code, signal) => {
        fail(`exited (${signal ?? `code ${String(code)}`}) before it was ready`);
      });
    }).finally(() => {
      options.signal?.removeEventListener("abort", aborted);
    });
    // Running, it is no reason for this process to keep running either: a script or a
    // node:test file that forgets stop() ends when its own work does, and the exit hook
    // (killOnExit) stops the server then. Only start-up, awaited above, held it.
    child.unref();
    for (const stream of [child.stdout, child.stderr] as (Socket | null)[]) stream?.unref();
    // Said where its logs go: a test that only sees its agent's "fetch failed" learns why.
    child.once("exit", (code, signal) => {
      if (server.stopping) return;
      options.logs?.write(
        `${options.name.padEnd(12)}| exited (${signal ?? `code ${String(code)}`}) after start\n`,
      );
    });
    return { server, ready };
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopping = true;
    // Until it has exited, a reason to keep running: `await stop()` must see it end.
    this.child.ref();
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
