import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { styleText } from "node:util";

import { prettyFactory } from "pino-pretty";

import { REPO_ROOT, TSX_BIN } from "./repo-root.js";

type Color = Parameters<typeof styleText>[0];

export interface ServiceOptions {
  name: string;
  /** The entry point, relative to the repository root. */
  script: string;
  env: Record<string, string>;
  /** Restart on source changes (`tsx watch`). */
  watch?: boolean;
  /** True for the log record that says the service is ready. */
  isReady: (record: Record<string, unknown>) => boolean;
  /** Where prefixed, coloured logs go; `null` keeps them only for error reports. */
  output: Writable | null;
  /** Log records below this pino level are kept from `output` (readiness still sees them). */
  minLevel?: number;
  color: Color;
  readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Each service leads its own process group, so tsx and the node process it starts
    // go together.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// Whatever ends this process, no service outlives it. Services lead their own process groups,
// so a Ctrl-C or a closed terminal reaches only this process: it passes the end on.
process.once("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(128 + constants.signals[signal]));
  });
}

async function stopAll(graceMs = 3_000): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            killGroup(child, "SIGKILL");
            resolve();
          }, graceMs);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          killGroup(child, "SIGTERM");
        }),
    ),
  );
}

const prettify = prettyFactory({
  colorize: false,
  singleLine: true,
  translateTime: "HH:MM:ss.l",
  ignore: "pid,hostname,name,req,res,responseTime",
  messageFormat:
    "{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} -> {res.statusCode}{end}",
});
const MAX_KEPT_LINES = 200;

/** One app of the stack as a child process with its own process group. */
export class Service {
  readonly recentOutput: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the service and resolves with its "ready" log record. */
  static start(
    options: ServiceOptions,
  ): Promise<{ service: Service; ready: Record<string, unknown> }> {
    const args = options.watch
      ? ["watch", "--clear-screen=false", options.script]
      : [options.script];
    const child = spawn(TSX_BIN, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    const service = new Service(options.name, child);
    const prefix = styleText(options.color, `${options.name.padEnd(10)}|`);

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(`did not report ready within ${options.readyTimeoutMs ?? 30_000} ms`);
      }, options.readyTimeoutMs ?? 30_000);
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        killGroup(child, "SIGKILL");
        reject(new Error(`${options.name} ${why}:\n${service.recentOutput.join("\n")}`));
      };

      const onLine = (line: string) => {
        let record: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = JSON.parse(line);
          if (parsed !== null && typeof parsed === "object")
            record = parsed as Record<string, unknown>;
        } catch {
          // Not a log record: a banner or a stack trace, shown as it is.
        }
        const text = record ? prettify(record).trimEnd() : line;
        service.recentOutput.push(text);
        if (service.recentOutput.length > MAX_KEPT_LINES) service.recentOutput.shift();
        const level = typeof record?.level === "number" ? record.level : Infinity;
        if (level >= (options.minLevel ?? 0)) options.output?.write(`${prefix} ${text}\n`);
        if (!settled && record && options.isReady(record)) {
          settled = true;
          clearTimeout(timer);
          resolve({ service, ready: record });
        }
      };
      createInterface({ input: child.stdout }).on("line", onLine);
      createInterface({ input: child.stderr }).on("line", onLine);
      child.once("error", (error) => {
        fail(`could not start: ${error.message}`);
      });
      child.once("exit", (code, signal) => {
        fail(`exited (${signal ?? `code ${String(code)}`}) before it was ready`);
      });
    });
  }

  /** SIGTERM, then SIGKILL if the service has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) =>
      this.child.once("exit", () => {
        resolve();
      }),
    );
    killGroup(this.child, "SIGTERM");
    const timer = setTimeout(() => {
      killGroup(this.child, "SIGKILL");
    }, graceMs);
    await exited;
    clearTimeout(timer);
    // The group may still hold tsx's own child for a moment.
    killGroup(this.child, "SIGKILL");
  }
}
