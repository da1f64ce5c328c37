import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { stripVTControlCharacters, styleText } from "node:util";

import { killOnExit, parseReadyRecord } from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";
import { prettyFactory } from "pino-pretty";

import { ENTRIES, builtFileOf, sourceMapFlags } from "../build.js";
import { lastErrorOf } from "./last-error.js";
import { REPO_ROOT } from "./repo-root.js";

/** A `styleText` colour for a child's log prefix. */
export type OutputColor = Parameters<typeof styleText>[0];

/**
 * How the entry point runs: `node <flags> --enable-source-maps build/<entry>.js`, the built file
 * of `script` (see scripts/build.js; without `--enable-source-maps` for an entry that maps its
 * stacks itself: `sourceMapFlags`), one process whose pid is the app's, so Node flags
 * (`--cpu-prof`, `--expose-gc`) and signals reach the app itself. `preload` scripts are built
 * entries too, loaded after `SUPERVISED_ENTRIES`' preload, which every child gets.
 *
 * `watch` (`pnpm dev`): the built file in `builtDir`, a build that `watchBuild` keeps current
 * (of `SUPERVISED_ENTRIES` too), run in Node's watch mode: the app starts again, under the same
 * watcher, whenever a file it loaded changes, and prints a new ready record. The pid is the
 * watcher's then, and the flags reach the app through it.
 */
export interface Runner {
  flags?: string[];
  preload?: string[];
  watch?: { builtDir: string };
}

/**
 * Built entries supervised processes load besides their own: a `watch` build must include them.
 * The preload that stops a child once this process is gone, however it ended (kill -9
 * included): this process holds the other end of the child's stdin. And, in watch mode, the
 * one that keeps Node's watcher off the installed packages' files, which another checkout's
 * `pnpm install` touches.
 */
export const SUPERVISED_ENTRIES = {
  "exit-with-supervisor": ENTRIES["exit-with-supervisor"],
  "watch-without-dependencies": ENTRIES["watch-without-dependencies"],
} as const;

export interface SuperviseOptions {
  /** Names the process in its log prefix and in errors. */
  name: string;
  /** The entry point, relative to the repository root. */
  script: string;
  /** Its command line's arguments (`node build/agent.cjs serve`: `["serve"]`). */
  args?: string[];
  /** Added to (or overriding) this process's environment. */
  env?: Record<string, string>;
  /** `{}` (the build, no flags) unless given. */
  runner?: Runner;
  /**
   * The child reads its stdin (lines from `write()`), and ends once it ends as a reader does:
   * it gets no `SUPERVISED_ENTRIES` preload, whose reading would take lines from it.
   */
  readsStdin?: boolean;
  /** Where its output goes as it comes, prefixed with its name, JSON logs made readable. */
  output?: { stream: Writable; color: OutputColor };
  /** How long `start` waits for the ready record; `DEFAULT_READY_TIMEOUT_MS` unless given. */
  readyTimeoutMs?: number;
}

/**
 * A service that stopped on its own: its process exited, or (watch mode) the app that Node's
 * watcher runs ended, the watcher waiting for a change. `lastError` is the app's own last
 * error (`lastErrorOf`); `afterChange` says the watcher had started it again with changed code
 * and it ended before it was ready again.
 */
export interface ServiceStop {
  name: string;
  why: string;
  lastError: string | undefined;
  afterChange: boolean;
  /**
   * It was still running when the wait for its ready record ran out, and was stopped for that:
   * slow, not crashed.
   */
  stillRunning?: boolean;
}

/** `shop-api exited (code 1): <its last error>`, in one line. */
export function stopLine({ name, why, lastError, stillRunning }: ServiceStop): string {
  if (stillRunning === true) {
    const last = lastError === undefined ? "" : `; its last error: ${lastError}`;
    return `${name} ${why} and was stopped while it still ran, with no error: a busy machine or a first start (the shop making its database runs PostgreSQL's initdb) can take longer${last}`;
  }
  return lastError === undefined
    ? `${name} ${why}, with no error message (killed, or it crashed without one)`
    : `${name} ${why}: ${lastError}`;
}

/** A service that did not get ready: the message quotes its last words, `stop` says why. */
export class ServiceStartError extends Error {
  constructor(
    message: string,
    readonly stop: ServiceStop,
  ) {
    super(message);
    this.name = "ServiceStartError";
  }
}

/**
 * What Node's watch mode prints of the app it runs (`lib/internal/main/watch_mode.js`):
 * `Restarting '<file>'` when a change starts it again, `Failed running '<file>'` or
 * `Completed running '<file>'` (Node 22 adds `. Waiting for file changes...`) when it ended on
 * its own. A restart ends the old app without either word. These lines are the watcher's only
 * report, so they are read here: the watcher itself runs on and its exit says nothing.
 */
function watcherEvent(
  line: string,
  builtFile: string,
): "restarting" | "failed" | "completed" | undefined {
  const match = /^(Restarting|Failed running|Completed running) '(.*?)'/.exec(
    stripVTControlCharacters(line),
  );
  if (match?.[2] !== builtFile) return undefined;
  return match[1] === "Restarting"
    ? "restarting"
    : match[1] === "Failed running"
      ? "failed"
      : "completed";
}

/** A line test: the value the line carries, or undefined when it is not the awaited line. */
export type LineParser<T> = (line: string) => T | undefined;

interface Waiter {
  /** True when the line was the awaited one (it then goes to no other waiter). */
  offer(line: string): boolean;
  /** The child's output ended (`exited (code 1)`): the line will not come. */
  ended(why: string): void;
}

const MAX_KEPT_LINES = 200;
/**
 * How long a start may take to print its ready record. A shop's first start makes its embedded
 * database (PostgreSQL's initdb, in WebAssembly: about 5 s of CPU), which took 60 s on a 2-core
 * CI machine under a load average of 26, where 30 s stopped the first `pnpm dev` of a new clone.
 */
const DEFAULT_READY_TIMEOUT_MS = 120_000;
/** How long the app's last words on one pipe may trail the watcher's word on the other. */
const LAST_WORDS_MS = 50;

const prettify = prettyFactory({
  colorize: false,
  singleLine: true,
  // The machine's clock (TZ), as `date` and the other tools a person runs beside it show time:
  // pino-pretty's format without `SYS:` is UTC, unmarked.
  translateTime: "SYS:HH:MM:ss.l",
  ignore: "pid,hostname,name,req,res,responseTime",
  messageFormat:
    "{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} -> {res.statusCode}{end}",
});

/** A pino record made readable; any other line (a banner, a stack trace) as it is. */
export function readable(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed !== null && typeof parsed === "object" ? prettify(parsed).trimEnd() : line;
  } catch {
    return line;
  }
}

const live = new Set<SupervisedChild>();
/** How long a signal's stop waits for each child before it kills the child's process group. */
const SIGNAL_STOP_GRACE_MS = 3_000;
let signalHooksInstalled = false;
/** Whether a signal's stop is this process's ordinary end (`signalsStopCleanly`). */
let signalStopIsClean = false;

/**
 * Makes this process exit 0 once a signal (Ctrl-C, SIGTERM, SIGHUP) has stopped every child, as
 * each server exits 0 once a signal stopped it: for `pnpm dev`, which serves until it is
 * stopped so, and whose stop is no failure. Without it the process exits as the signal would
 * have made it (130 for Ctrl-C): a run cut short (`pnpm demo`) did not do its job, and says so.
 * pnpm reads any other code as a failure and says "ELIFECYCLE Command failed with exit code 130".
 */
export function signalsStopCleanly(): void {
  signalStopIsClean = true;
}

// Whatever ends this process, no supervised child outlives it: each is also `killOnExit`, and
// sees its stdin close when this process is gone, even by SIGKILL (`SUPERVISED_ENTRIES`).
// Children lead their own process groups, so a Ctrl-C or a closed terminal reaches only this
// process: it passes the end on, then exits as the first signal would have made it (or 0:
// `signalsStopCleanly`).
//
// A further signal while the children stop (Ctrl-C twice, Ctrl-C then a closed terminal) waits
// for that stop. Left to Node's default, it ended this process at once: each child's stdin then
// closed, and `SUPERVISED_ENTRIES`' preload sent it a second SIGTERM while it closed, cutting off
// the requests it was answering. The stop takes at most `SIGNAL_STOP_GRACE_MS`: a child still
// running then is killed with its process group (`SupervisedChild.stop`).
function installSignalHooks(): void {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void Promise.all([...live].map((child) => child.stop(SIGNAL_STOP_GRACE_MS))).finally(() =>
        process.exit(signalStopIsClean ? 0 : 128 + constants.signals[signal]),
      );
    });
  }
}

function commandOf(options: SuperviseOptions): [string, string[]] {
  const { runner = {}, script, args = [] } = options;
  const dir = runner.watch?.builtDir;
  const preload = [
    ...(dir === undefined ? [] : [SUPERVISED_ENTRIES["watch-without-dependencies"]]),
    ...(options.readsStdin === true ? [] : [SUPERVISED_ENTRIES["exit-with-supervisor"]]),
    ...(runner.preload ?? []),
  ].flatMap((module) => ["--import", builtFileOf(module, dir)]);
  // The services share one terminal: a restart must not clear what the others printed.
  const watch = runner.watch ? ["--watch", "--watch-preserve-output"] : [];
  return [
    process.execPath,
    [
      ...watch,
      ...(runner.flags ?? []),
      ...sourceMapFlags(script),
      ...preload,
      builtFileOf(script, dir),
      ...args,
    ],
  ];
}

/**
 * One server (or helper) as a child process in its own process group: its output read line by
 * line and kept for error reports, its readiness known from the ready record it prints
 * (`announceReady` in `@ciba-testbed/shared/node`), never from its log wording or level.
 */
export class SupervisedChild {
  private readonly kept: string[] = [];
  private readonly waiters: Waiter[] = [];
  private readyRecord: ReadyRecord | undefined;
  private closed: string | undefined;
  /** What the app printed since it last started, for `lastErrorOf`. */
  private sinceStart: string[] = [];
  /** Since the app last printed its ready record: undefined until it has, since it last started. */
  private sinceReady: string[] | undefined;
  /** Started again by the watcher after a change, and not ready since. */
  private changed = false;
  /** `stop()` was called: an end from now on is this supervisor's doing. */
  private stopping: Promise<void> | undefined;
  /** The app's stop on its own that no ready record followed (watch mode: it may start again). */
  private lastStop: ServiceStop | undefined;
  private readonly stopListeners: ((stop: ServiceStop) => void)[] = [];
  private readonly readyAgainListeners: ((ready: ReadyRecord) => void)[] = [];
  /** Settles once the spawned process has exited. */
  readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly output: SuperviseOptions["output"],
    /** The built file Node's watcher runs, in watch mode. */
    private readonly watchedFile: string | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", () => {
        resolve();
      });
    });
  }

  /** Starts the process; resolves once it printed its ready record (see `waitForReady`). */
  static async start(
    options: SuperviseOptions,
  ): Promise<{ child: SupervisedChild; ready: ReadyRecord }> {
    const child = SupervisedChild.spawn(options);
    return { child, ready: await child.waitForReady(options.readyTimeoutMs) };
  }

  /** Starts the process and returns at once, for a child that prints no ready record. */
  static spawn(options: SuperviseOptions): SupervisedChild {
    installSignalHooks();
    const [command, args] = commandOf(options);
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      detached: true,
      // stdin: the pipe whose end tells the child this process is gone (`SUPERVISED_ENTRIES`),
      // or the one it reads (`readsStdin`).
      stdio: ["pipe", "pipe", "pipe"],
    });
    const watch = options.runner?.watch;
    const supervised = new SupervisedChild(
      options.name,
      child,
      options.output,
      watch === undefined ? undefined : builtFileOf(options.script, watch.builtDir),
    );
    live.add(supervised);
    child.once("exit", () => live.delete(supervised));
    killOnExit(child, () => {
      supervised.killGroup("SIGKILL");
    });
    const onLine = (line: string) => {
      supervised.take(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", onLine);
    }
    child.once("error", (error) => {
      supervised.end(`could not start: ${error.message}`);
    });
    // "close", not "exit": by then every line it wrote has been read, its last words included.
    child.once("close", (code, signal) => {
      supervised.end(`exited (${signal ?? `code ${String(code)}`})`);
    });
    return supervised;
  }

  /** How the process ended (its exit code, or the signal that ended it); undefined while it runs. */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    const { exitCode: code, signalCode: signal } = this.child;
    return code === null && signal === null ? undefined : { code, signal };
  }

  /** The spawned process: the app itself, or Node's watcher that runs it (`watch`). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    // No pid: it never started (the "error" event), and will not exit either.
    return (
      this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Its last lines of output, both streams, log records made readable. */
  get recentOutput(): readonly string[] {
    return this.kept;
  }

  /**
   * The ready record, once the child printed it. On a timeout or an early exit the process
   * group is killed and the error carries the child's own last words.
   */
  async waitForReady(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<ReadyRecord> {
    if (this.readyRecord !== undefined) return this.readyRecord;
    try {
      return await this.waitForLine(parseReadyRecord, timeoutMs, "its ready record");
    } catch (error) {
      this.killGroup("SIGKILL");
      throw error;
    }
  }

  /**
   * The value of the next line (from now on) that `parse` accepts. Each line answers one
   * waiter at most, the oldest first, so requests answered in order get their own answers.
   */
  waitForLine<T>(parse: LineParser<T>, timeoutMs: number, what = "the awaited line"): Promise<T> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
      };
      const waiter: Waiter = {
        offer: (line) => {
          const value = parse(line);
          if (value === undefined) return false;
          settle();
          resolve(value);
          return true;
        },
        ended: (why) => {
          fail(`${why} before printing ${what}`);
        },
      };
      const fail = (why: string, stillRunning = false) => {
        settle();
        reject(
          new ServiceStartError(`${this.name} ${why}:\n${this.kept.join("\n")}`, {
            ...this.stopOf(why),
            afterChange: this.changed,
            ...(stillRunning ? { stillRunning } : {}),
          }),
        );
      };
      const timer = setTimeout(() => {
        fail(`did not print ${what} within ${timeoutMs} ms`, this.running);
      }, timeoutMs);
      this.waiters.push(waiter);
      if (this.closed !== undefined) waiter.ended(this.closed);
    });
  }

  /**
   * Calls `listener` each time the service stops on its own (not by `stop()`, not for a
   * watcher's restart on a change), and at once if it is stopped now.
   */
  onStop(listener: (stop: ServiceStop) => void): void {
    this.stopListeners.push(listener);
    if (this.lastStop !== undefined) listener(this.lastStop);
  }

  /**
   * Calls `listener` with each ready record after the first: the app that Node's watcher
   * started again after a change is ready (watch mode), with what its new start says.
   */
  onReadyAgain(listener: (ready: ReadyRecord) => void): void {
    this.readyAgainListeners.push(listener);
  }

  /** One line on the child's stdin (`readsStdin`). */
  write(line: string): void {
    if (!this.child.stdin) throw new Error(`${this.name} was started without stdin`);
    this.child.stdin.write(`${line}\n`);
  }

  /** A signal to the spawned process alone, e.g. SIGUSR2 for a report. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /**
   * SIGTERM to the spawned process alone, then SIGKILL to its whole process group: after
   * `graceMs` if it has not exited by then, and at once when it has, for anything it left.
   *
   * The app gets one SIGTERM, and closes undisturbed: a second one ends an app that is still
   * closing (the shop's embedded database not flushed, requests under way cut). In watch mode
   * the spawned process is Node's watcher, which sends the app the signal it gets and exits once
   * the app has, or at once when no app runs (Node 20's `lib/internal/main/watch_mode.js`,
   * `signalHandler`): a SIGTERM to the group would reach the app twice, from here and from the
   * watcher. For the same reason a second call sends nothing: it waits for the first one's end
   * (a service that stopped on its own, then Ctrl-C; Ctrl-C, then a closed terminal).
   */
  stop(graceMs = 5_000): Promise<void> {
    this.stopping ??= this.stopOnce(graceMs);
    return this.stopping;
  }

  private async stopOnce(graceMs: number): Promise<void> {
    if (!this.running) return;
    // Its stdin stays open: its end would bring the child's own SIGTERM on top of this one.
    this.signal("SIGTERM");
    const timer = setTimeout(() => {
      this.killGroup("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    this.killGroup("SIGKILL");
  }

  /** A signal to the whole process group, so a watcher and the app it runs go together. */
  killGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private take(line: string): void {
    const event = this.watchedFile === undefined ? undefined : watcherEvent(line, this.watchedFile);
    if (event === "restarting") {
      this.sinceStart = [];
      this.sinceReady = undefined;
      this.changed = true;
      this.lastStop = undefined;
    } else if (event !== undefined) {
      // Node's watcher says no more than this of the app's exit. It says it on stdout, after the
      // app's last words on stderr, another pipe: those are read in a moment.
      const why = event === "failed" ? "exited with an error" : "exited (code 0)";
      setTimeout(() => {
        this.stoppedOnItsOwn(why);
      }, LAST_WORDS_MS);
    } else {
      for (const kept of [this.sinceStart, this.sinceReady]) {
        kept?.push(line);
        if (kept !== undefined && kept.length > MAX_KEPT_LINES) kept.shift();
      }
    }
    const ready = parseReadyRecord(line);
    const again = ready !== undefined && this.readyRecord !== undefined;
    if (ready !== undefined) {
      this.sinceReady = [];
      this.readyRecord ??= ready;
      this.changed = false;
      this.lastStop = undefined;
    }
    const text = ready === undefined ? readable(line) : line;
    this.kept.push(text);
    if (this.kept.length > MAX_KEPT_LINES) this.kept.shift();
    // The ready record is for the supervisor; the app logs its own "listening" line.
    if (ready === undefined && this.output) {
      const prefix = styleText(this.output.color, `${this.name.padEnd(10)}|`);
      this.output.stream.write(`${prefix} ${text}\n`);
    }
    for (const waiter of [...this.waiters]) if (waiter.offer(line)) break;
    if (again) for (const listener of this.readyAgainListeners) listener(ready);
  }

  private end(why: string): void {
    this.closed ??= why;
    this.stoppedOnItsOwn(why);
  }

  private stopOf(why: string): Omit<ServiceStop, "afterChange"> {
    // Once ready, what the app printed is its banner and its logs, not a reason to stop.
    const lastError =
      this.sinceReady === undefined
        ? lastErrorOf(this.sinceStart)
        : lastErrorOf(this.sinceReady, { errorsOnly: true });
    return { name: this.name, why, lastError };
  }

  /** The process exited, or the app its watcher runs ended: waiters and listeners hear it. */
  private stoppedOnItsOwn(why: string): void {
    for (const waiter of [...this.waiters]) waiter.ended(why);
    if (this.stopping !== undefined || this.lastStop !== undefined) return;
    const stop = { ...this.stopOf(why), afterChange: this.changed };
    this.lastStop = stop;
    for (const listener of this.stopListeners) listener(stop);
  }
}
