import { constants } from "node:os";
import { text } from "node:stream/consumers";

import { ConfigError, quotedValue, systemClock } from "@ciba-testbed/shared";
import { LocalCaError } from "@ciba-testbed/shared/node";
import { recordCodePath } from "@ciba-testbed/shared/node/code-path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";

import type { Agent } from "./agent.js";
import type { AgentEvent, AgentWarning, ApprovalRequestSending } from "./agent-event.js";
import {
  describeNotTried,
  reportWithoutPurchases,
  toAgentReportJson,
  type AgentReport,
} from "./agent-report.js";
import { createMemoryStore, type AgentStore } from "./agent-store.js";
import { watchAncestry } from "./ancestry.js";
import {
  AGENT_MODES,
  AgentConfigError,
  ENVIRONMENT_HELP,
  SERVE_ENVIRONMENT_HELP,
  loadConfig,
  optionFix,
  type ConfigOverrides,
  type StoreLocation,
} from "./config.js";
import { releaseEarlyStop, STOP_SIGNALS, stopEarly } from "./early-stop.js";
import { ASK_AGAIN_FIX, CHECK_ORDERS_FIX } from "./interrupted-purchase.js";
import { exitCodeOf, OUTCOMES, outcomeLine, type Outcome } from "./outcome.js";
import { redisFailure } from "./redis-failure.js";
import { resumeCommand } from "./resume-command.js";
import { shownUser } from "./refusal-fix.js";
import { isStoreFailure, StoreFailure } from "./store-failure.js";
import { terminalJson, terminalText } from "./terminal-text.js";

interface CliOptions extends ConfigOverrides {
  json?: boolean;
  thread?: string;
}

/** How an agent started from a script outlives it (the parent it watches is the script's). */
const OUTLIVE_FIX =
  "To let the agent outlive the script or shell that starts it in the background, start it with setsid nohup pnpm agent ... &.";
/** How soon an orphaned agent notices; right before an order it also looks, synchronously. */
const ANCESTRY_CHECK_MS = 250;

/** The agent's command line; `env` is the environment merged over the optional `.env`. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  try {
    return await runCommand(argv, env);
  } finally {
    releaseEarlyStop();
  }
}

async function runCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  let exitCode: number = exitCodeOf("ERROR");
  // `pnpm <script> -- args` hands the separator on; options after it must still count.
  const args = argv.slice(2);
  if (args[0] === "--") args.shift();
  // From here the command line is known: a signal before the run takes it (a request still
  // read from stdin) gets the run's report, JSON with --json.
  stopEarly((signal, code) => {
    stoppedBeforeRun(signal, code, args.includes("--json"));
  });
  const program = new Command("agent")
    // Set before the subcommands are made, which copy them: `resume`'s usage errors are the
    // agent's CONFIG_ERROR (exit 2, and a JSON report with --json), reported below, not
    // commander's own line and exit 1.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .description(
      "A headless shopping agent: it buys what you ask for, and the person it acts for " +
        "approves each purchase on their phone (Auth0 CIBA).",
    )
    .argument("[request...]", 'what to buy, e.g. "Buy 2 XYZ phones under $500" (or on stdin)')
    .option("--thread <id>", "thread id for this request (default: a new random id)")
    .addHelpText("after", helpText())
    .action(async (words: string[], options: CliOptions) => {
      const request = words.length > 0 ? words.join(" ") : await readStdin();
      if (request.trim() === "") {
        exitCode = fail("CONFIG_ERROR", "No request: nothing to buy was given.", options.json, {
          error: "usage",
          fix: `Say what to buy: pnpm agent "Buy 2 XYZ phones", or on stdin: echo "Buy 2 XYZ phones" | pnpm agent (pnpm agent --help lists the options).`,
        });
        return;
      }
      exitCode = await execute(
        env,
        options,
        "run",
        (agent) =>
          agent.run(request, options.thread === undefined ? {} : { threadId: options.thread }),
        options.thread,
      );
    });
  addCommonOptions(program);

  addCommonOptions(
    program
      .command("resume")
      .description(
        "continue a waiting thread: wait for the answer and place the order " +
          "(with --mode interrupt: poll once and exit)",
      )
      .argument("<thread>", "the thread id printed when the request was sent")
      .action(async (threadId: string, options: CliOptions) => {
        const merged = { ...program.opts<CliOptions>(), ...options };
        if (merged.thread !== undefined) {
          // The program's option, which commander takes before or after `resume` alike.
          exitCode = fail(
            "CONFIG_ERROR",
            "Option '--thread' names the thread of a new request; resume takes the thread it continues as its argument.",
            merged.json,
            {
              error: "usage",
              fix: "Leave out --thread, and name the thread to continue once: pnpm agent resume <thread>.",
            },
          );
          return;
        }
        exitCode = await execute(
          env,
          merged,
          "resume",
          (agent) => agent.resume(threadId),
          threadId,
        );
      }),
    RESUME_EXPIRY_HELP,
  );

  program
    .command("serve")
    .description(
      "the web app of Auth0's quickstart: log in at http://localhost:3000, chat, approve " +
        "(its variables below, and the agent's: agent --help)",
    )
    .addHelpText("after", `\nEnvironment:\n${variableList(SERVE_ENVIRONMENT_HELP)}`)
    .action(async () => {
      // The web app stops on a signal as a server does (serve.ts), not as a run.
      releaseEarlyStop();
      const { trustLocalTenantToServe } = await import("./local-tenant-trust.js");
      const refused = trustLocalTenantToServe(env);
      if (refused !== undefined) {
        exitCode = refused;
        return;
      }
      const { runServe } = await import("./web/serve.js");
      exitCode = await runServe(env);
    });

  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    const json = args.includes("--json");
    if (!(error instanceof CommanderError)) {
      // Not the command line's fault: say what happened instead of exiting with no word.
      const message = error instanceof Error ? error.message : String(error);
      return fail("ERROR", `Unexpected error: ${message}`, json);
    }
    if (HELP_CODES.has(error.code)) return 0;
    // The help of the command the error is in: `resume` and `serve` have options of their own.
    const command = args[0] === "resume" || args[0] === "serve" ? `${args[0]} ` : "";
    const help = `pnpm agent ${command}--help`;
    // A bad value of an option that sets a variable: what to give it, as for the variable.
    const option = /^error: option '(--[a-z-]+)/.exec(error.message)?.[1];
    return fail("CONFIG_ERROR", usageMessage(error.message), json, {
      error: "usage",
      fix: (option === undefined ? undefined : optionFix(option)) ?? `Run ${help} for the usage.`,
    });
  }
  return exitCode;
}

/** What commander ends with when it showed the help (or version) the person asked for. */
const HELP_CODES = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

/**
 * Commander's messages that quote what was typed, as raw text in single quotes: the prefix, the
 * value and the rest. Greedy, so a value that holds a quote is taken whole.
 */
const TYPED_VALUE = [
  /^(error: option '[^']*' argument )'([\s\S]*)'( is invalid\.[\s\S]*)$/,
  /^(error: command-argument value )'([\s\S]*)'( is invalid for argument '[^']*'\.[\s\S]*)$/,
  /^(error: unknown (?:option|command) )'([\s\S]*)'((?:\n\(Did you mean [^\n]*\?\))?)$/,
];

/**
 * Commander's "error: unknown option '--x'" as a sentence: 'Unknown option "--x".' What was
 * typed is quoted as the configuration's errors quote a value (`quotedValue`), so a line feed in
 * it does not break the line, and a typed backslash reads the same in both.
 */
function usageMessage(message: string): string {
  const typed = TYPED_VALUE.map((pattern) => pattern.exec(message)).find((m) => m !== null);
  const requoted =
    typed === undefined ? message : `${typed[1]}${quotedValue(typed[2] ?? "")}${typed[3]}`;
  // Commander puts its suggestion on a line of its own: "\n(Did you mean --mode?)".
  const text = requoted
    .replace(/^error:\s*/, "")
    .replace(/\s*\n\(Did you mean (.+)\?\)$/, ": did you mean $1?")
    .trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.?!]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * The options of a request and of `resume`. `expiryHelp`: what `--expiry` sets for the command
 * (a resume sends a request only for a purchase of the thread not yet asked for).
 */
function addCommonOptions(command: Command, expiryHelp = EXPIRY_HELP): Command {
  return command
    .option("--user <sub>", "the person the agent acts for (AGENT_USER_ID)", given)
    .addOption(
      new Option(
        "--mode <mode>",
        "block: wait for the answer; interrupt: send, save, exit (AGENT_MODE)",
      ).choices(AGENT_MODES),
    )
    .option("--expiry <seconds>", expiryHelp, seconds)
    .option("--model <name>", "OpenAI model, with OPENAI_API_KEY (AGENT_MODEL)", given)
    .option("--json", "print one JSON object with the outcome instead of text");
}

const EXPIRY_HELP =
  "seconds the person has to answer; over 300 Auth0 emails instead of pushing (AGENT_REQUESTED_EXPIRY)";

const RESUME_EXPIRY_HELP =
  "seconds the person has to answer a request this resume sends, for a purchase of the thread " +
  "not yet asked for; the request the thread waits for keeps the expiry it was sent with " +
  "(AGENT_REQUESTED_EXPIRY)";

/** An empty variable means "use the default"; an empty option is a mistake. */
function given(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("It must not be empty.");
  return value;
}

function seconds(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("It must be a whole number of seconds.");
  return value;
}

/** What a signal does to the run: report where it stopped, then exit. */
interface OnSignal {
  stop: (signal: NodeJS.Signals) => void;
}

/**
 * `threadId`: the thread the command names (`--thread`, `resume <thread>`), if it names one.
 * A signal is taken from the start, while the run loads the agent, opens the store and makes
 * the model (a second or more on a busy machine, seconds for a Redis that does not answer):
 * left to Node, it ended the run with no word.
 */
async function execute(
  env: Record<string, string | undefined>,
  options: CliOptions,
  command: "run" | "resume",
  work: (agent: Agent) => Promise<AgentReport>,
  threadId?: string,
): Promise<number> {
  const onSignal: OnSignal = {
    stop: (signal) => {
      const exitCode = 128 + constants.signals[signal];
      stoppedBeforeRun(signal, exitCode, options.json, threadId);
      process.exit(exitCode);
    },
  };
  const signalled = (signal: NodeJS.Signals) => {
    onSignal.stop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, signalled);
  releaseEarlyStop();
  try {
    return await executeRun(env, options, command, work, threadId, onSignal);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, signalled);
  }
}

/** The report of a signal that came before the run began: nothing was sent or ordered. */
function stoppedBeforeRun(
  signal: NodeJS.Signals,
  exitCode: number,
  json: boolean | undefined,
  threadId?: string,
): void {
  fail(
    "ERROR",
    `Stopped by ${signal} before the run began: nothing was sent, and nothing was ordered.`,
    json,
    {
      error: "interrupted",
      fix: "Run it again if the purchase is still wanted: nobody was asked to approve it.",
      exitCode,
      threadId,
    },
  );
}

async function executeRun(
  env: Record<string, string | undefined>,
  options: CliOptions,
  command: "run" | "resume",
  work: (agent: Agent) => Promise<AgentReport>,
  threadId: string | undefined,
  onSignal: OnSignal,
): Promise<number> {
  const json = options.json === true;
  let config;
  try {
    config = loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail("CONFIG_ERROR", error.message, json, {
      error: "invalid_config",
      ...(error instanceof AgentConfigError ? { fix: error.fix } : {}),
    });
  }

  // What a run needs, loaded once it is known to run: the agent with the AI SDK, the model
  // (OpenAI's provider only with a key), the spinner only on a terminal.
  const interactive = process.stderr.isTTY && !json;
  const [{ createAgent }, { createModel }, { createTerminalOutput }, spinner] = await Promise.all([
    import("./agent.js"),
    import("./model.js"),
    import("./terminal-output.js"),
    interactive ? import("yocto-spinner").then((module) => module.default) : undefined,
  ]);
  const resume = resumeCommand(config);
  const terminal = createTerminalOutput({
    stdout: process.stdout,
    stderr: process.stderr,
    ...(spinner === undefined ? {} : { spinner }),
    json,
    clock: systemClock,
    resumeCommand: resume,
  });
  // Block mode needs nothing to outlive the process, so no token ever touches the disk.
  const durable = config.mode === "interrupt" || command === "resume";
  /** The orders this run placed, for a report of a failure that comes after them. */
  const placed: string[] = [];
  const warned: AgentWarning[] = [];
  /** Where the purchase under way is, for a report of a signal that stops the run. */
  const progress: RunProgress = { ordering: false };
  /**
   * Ends the run at once with one report of where the purchase stood and what to do, one JSON
   * object under --json (with the ids the message names), then exits with `exitCode`.
   */
  const stopNow = (stop: { cause: string; error: string; fixAfter?: string; exitCode: number }) => {
    terminal.stop();
    const where = stoppedWhere(
      progress,
      { durable, userId: config.userId, resumeCommand: resume },
      placed,
    );
    const { approval, sending } = progress;
    fail("ERROR", `${stop.cause} ${where.message}`, json, {
      error: stop.error,
      fix: stop.fixAfter === undefined ? where.fix : `${where.fix} ${stop.fixAfter}`,
      exitCode: stop.exitCode,
      threadId: approval?.threadId ?? sending?.threadId ?? threadId,
      authReqId: approval?.authReqId,
      bindingMessage: approval?.bindingMessage ?? sending?.bindingMessage,
    });
    process.exit(stop.exitCode);
  };
  const ancestry = watchAncestry({
    intervalMs: ANCESTRY_CHECK_MS,
    // Its parent is gone, so nobody may read this, and the exit is what matters; a person who
    // started it from a script that ended reads the log. Said as a signal's stop is.
    onGone: (halt) => {
      stopNow({
        cause: json ? halt.message : `agent: ${halt.code}: ${halt.message}`,
        error: halt.code,
        fixAfter: OUTLIVE_FIX,
        exitCode: exitCodeOf("ERROR"),
      });
    },
  });
  let store: AgentStore;
  try {
    if (!durable && threadId !== undefined) {
      const taken = await threadTaken(config.store, threadId);
      if (taken !== undefined) {
        ancestry.stop();
        return fail("CONFIG_ERROR", taken.message, json, { ...taken, error: "usage", threadId });
      }
    }
    store = durable ? await openStore(config.store) : createMemoryStore();
  } catch (error) {
    ancestry.stop();
    const fix = (error as { fix?: unknown }).fix;
    return fail("ERROR", error instanceof Error ? error.message : String(error), json, {
      error: "store_unreachable",
      ...(typeof fix === "string" ? { fix } : {}),
    });
  }
  let model;
  try {
    // Against the local tenant, its CA is trusted here (NODE_EXTRA_CA_CERTS needs a restart).
    const { trustLocalTenant } = await import("./local-tenant-trust.js");
    trustLocalTenant(env);
    model = await createModel(config);
  } catch (error) {
    ancestry.stop();
    await store.close?.();
    if (error instanceof LocalCaError) {
      // A CA file that cannot be used: running again unchanged cannot help, as for a variable.
      return fail("CONFIG_ERROR", `${sentence(error.problem)}.`, json, {
        error: "invalid_config",
        fix: `${sentence(error.fix)}.`,
      });
    }
    return fail("ERROR", error instanceof Error ? error.message : String(error), json);
  }
  const agent = createAgent(config, {
    model,
    clock: systemClock,
    store,
    output: (event) => {
      // Said before the run's work: a report of a failure after it keeps them.
      if (event.type === "warning") warned.push(event.warning);
      followProgress(progress, placed, event);
      terminal.output(event);
    },
    beforeApprovalRequest: (request) => {
      progress.sending = request;
    },
    beforeOrder: () => {
      ancestry.check();
    },
  });
  // Ctrl-C, a CI job's timeout, a closed terminal: one report of where the run stopped, then
  // the shell's exit code for the signal (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
  onSignal.stop = (signal) => {
    stopNow({
      cause: `Stopped by ${signal}.`,
      error: "interrupted",
      exitCode: 128 + constants.signals[signal],
    });
  };
  try {
    // From the process's start (Node's time origin) to the agent beginning the request.
    const startMs = Math.round(performance.now());
    const done = await work(agent);
    // A refusal's fix, where its result names none (loaded with the agent, not for --help).
    const { withFix } = await import("./report-fix.js");
    const report = withFix({ ...done, timings: { ...done.timings, startMs } }, config);
    // The path this run took, for the code cache build/agent.cjs runs the CLI with (launch.ts).
    recordCodePath(
      [
        command,
        config.mode,
        durable ? config.store.kind : "memory",
        config.model.kind,
        report.outcome,
      ].join(" "),
    );
    terminal.finish(report);
    return report.exitCode;
  } catch (error) {
    // The spinner, if it spins, ends marked failed: left running, it would draw itself again
    // under the report and leave the terminal's cursor hidden.
    terminal.stop();
    const message = error instanceof Error ? error.message : String(error);
    if (!isStoreFailure(error)) return fail("ERROR", message, json);
    // The store broke mid-run (a full disk, a read-only folder, Redis gone): say so, with what
    // this run already bought or sent, so that nobody retries into a second approval and order.
    const failure =
      config.store.kind === "file"
        ? {
            message: `${message.replace(/\.+$/, "")}.`,
            fix: `Check that ${config.store.dir} is a writable directory with free space, or set AGENT_STORE to one.`,
          }
        : redisFailure(config.store.redis, message, "command");
    const { approval, sending } = progress;
    const untried = error instanceof StoreFailure ? error.untried : undefined;
    // Everything the request asked for was ordered before the store failed: the run did what
    // it was asked, and a script that counts purchases by exit 0 must count it (a PARTIAL would
    // have it ask, and buy, again). The error and the fix say that the record failed.
    const complete =
      placed.length > 0 &&
      untried?.length === 0 &&
      progress.failed !== true &&
      !progress.ordering &&
      approval === undefined &&
      sending === undefined;
    const stored = `The agent's store (AGENT_STORE) failed: ${failure.message}`;
    return fail(
      placed.length === 0 ? "ERROR" : complete ? "ORDERED" : "PARTIAL",
      complete
        ? `Ordered all that was asked for: order ${placed.join(", ")}. ${stored} ${STORE_FAILED_AFTER_ALL}`
        : [
            stored,
            afterStoreFailure(progress, config.userId, placed),
            describeNotTried(untried ?? []),
          ]
            .filter((text) => text !== "")
            .join(" "),
      json,
      {
        error: "store_failed",
        fix: failure.fix,
        threadId: approval?.threadId ?? sending?.threadId ?? threadId,
        authReqId: approval?.authReqId,
        bindingMessage: approval?.bindingMessage ?? sending?.bindingMessage,
        warnings: warned,
      },
    );
  } finally {
    ancestry.stop();
    await store.close?.();
  }
}

export interface RunProgress {
  /** The approval request on its way to the tenant, until its answer names it. */
  sending?: ApprovalRequestSending | undefined;
  /** The approval request of the purchase under way, once the tenant has taken it. */
  approval?: Extract<AgentEvent, { type: "approval-requested" }> | undefined;
  /** The order request has left for the shop. */
  ordering: boolean;
  /** A purchase of this run did not go through (denied, expired, refused, an error). */
  failed?: boolean;
}

/** Follows the run's events into where its purchase stands and the orders it placed. */
export function followProgress(progress: RunProgress, placed: string[], event: AgentEvent): void {
  if (event.type === "approval-requested") {
    progress.approval = event;
    progress.sending = undefined;
  }
  if (event.type === "order-sending") progress.ordering = true;
  if (event.type === "order-answered") {
    // Counted when the shop answers: a store that fails before the answer is recorded
    // must not make it look as if nothing was ordered.
    if (event.outcome === "ORDERED") placed.push(event.orderId ?? "?");
    else progress.failed = true;
    progress.ordering = false;
    // Its approval is spent: nobody can be asked to approve it any more.
    progress.approval = undefined;
    progress.sending = undefined;
  }
  if (event.type === "purchase-finished") {
    if (event.result.outcome !== "ORDERED") progress.failed = true;
    progress.approval = undefined;
    progress.sending = undefined;
    progress.ordering = false;
  }
}

/** What a signal left behind, for the person who stopped the run, and what they do next. */
export function stoppedWhere(
  progress: RunProgress,
  run: { durable: boolean; userId: string; resumeCommand: (threadId: string) => string },
  placed: readonly string[],
): { message: string; fix: string } {
  const { durable, resumeCommand: resume } = run;
  const earlier = `This run had placed order ${placed.join(", ")} before it`;
  if (progress.ordering) {
    const before = placed.length === 0 ? "" : `${earlier}. `;
    return {
      message: `${before}The order had been sent, so the shop may have it: check the orders before asking again.`,
      fix: CHECK_ORDERS_FIX,
    };
  }
  const ordered =
    placed.length === 0 ? "Nothing was ordered." : `${earlier}; nothing else was ordered.`;
  const approval = progress.approval;
  const sending = progress.sending;
  if (approval === undefined && sending !== undefined) {
    // The tenant may have taken the request and pushed it before its answer came back.
    const sent = `${ordered} The approval request ${quotedValue(sending.bindingMessage)} was on its way to Auth0, so ${shownUser(run.userId)} may be asked to approve it`;
    return durable
      ? {
          message: `${sent}: ${resume(sending.threadId)} finishes it if Auth0's answer was stored in time, and never sends a second one.`,
          fix: `Run ${resume(sending.threadId)}: it finishes the request, or says it was lost, without a second push.`,
        }
      : {
          message: `${sent}; an approval given to it buys nothing: no process waits for it any more.`,
          fix: ASK_AGAIN_FIX,
        };
  }
  if (approval === undefined) {
    return {
      message: ordered,
      fix:
        placed.length === 0
          ? "Ask again if the purchase is still wanted: nobody was asked to approve it."
          : "Ask again for what this run did not order, if it is still wanted: nobody was asked to approve it.",
    };
  }
  if (durable) {
    return {
      message: `${ordered} The approval request ${approval.authReqId} is kept with thread ${approval.threadId}: ${resume(approval.threadId)} finishes it.`,
      fix: `Run ${resume(approval.threadId)} to finish it.`,
    };
  }
  return {
    message: `${ordered} The approval request ${approval.authReqId} stays open until it expires, and an approval given now buys nothing: no process waits for it any more.`,
    fix: ASK_AGAIN_FIX,
  };
}

/**
 * What a run that the store failed had done: orders placed, an order request that may have left,
 * an approval request that went out and may not be kept (so `resume` may not find it).
 */
/** What a store failure after the last order of a request means for the person. */
export const STORE_FAILED_AFTER_ALL =
  "The order stands, so do not ask for it again; the agent's record of the thread may not show it, so a resume of the thread may call it unconfirmed (order_unconfirmed), and orders nothing.";

export function afterStoreFailure(
  progress: RunProgress,
  userId: string,
  placed: readonly string[],
): string {
  const earlier =
    placed.length === 0
      ? ""
      : `This run had placed order ${placed.join(", ")} before it; its record may be missing from the store. `;
  if (progress.ordering) {
    return `${earlier}An order request may have left for the shop before the store failed: check the orders before asking again.`;
  }
  const ordered =
    placed.length === 0
      ? "Nothing was ordered in this run."
      : `${earlier}Nothing else was ordered; check the orders before asking again.`;
  const { approval, sending } = progress;
  const request =
    approval === undefined
      ? sending === undefined
        ? undefined
        : `the approval request ${quotedValue(sending.bindingMessage)} had been sent to Auth0`
      : `the approval request ${approval.authReqId} (${quotedValue(approval.bindingMessage)}) had been sent`;
  if (request === undefined) return ordered;
  return `${ordered} But ${request}, so ${shownUser(userId)} may be asked to approve it, and the store may not have kept it: if resume cannot find it, an approval given to it buys nothing.`;
}

/** The store AGENT_STORE names, connected: a directory, or a Redis shared by several machines. */
async function openStore(location: StoreLocation): Promise<AgentStore> {
  if (location.kind === "file") {
    const { createFileStore } = await import("./file-store.js");
    return createFileStore(location.dir);
  }
  // Loaded only when used: the Redis client adds a tenth of a second to every start.
  const { createRedisStore } = await import("./redis-store.js");
  const store = createRedisStore({ location: location.redis });
  await store.connect();
  return store;
}

/**
 * Why `--thread <id>` cannot name a new block-mode run, if it cannot: a thread of that id in the
 * store (AGENT_STORE), which a block-mode run keeps nothing in. Checked in the store that
 * interrupt mode and `resume` use, so an id names one thread whatever the mode: a block-mode
 * run under the id of a waiting thread would buy beside it, and its resume buy again.
 */
async function threadTaken(
  location: StoreLocation,
  threadId: string,
): Promise<{ message: string; fix: string } | undefined> {
  const store = await openStore(location);
  try {
    const [{ ThreadJournal }, { StoreEntryError }] = await Promise.all([
      import("./thread-journal.js"),
      import("./halt.js"),
    ]);
    // An entry that cannot be read is a thread all the same.
    const exists = await new ThreadJournal(store).get(threadId).then(
      (thread) => thread !== undefined,
      (error: unknown) => {
        if (error instanceof StoreEntryError) return true;
        throw error;
      },
    );
    if (!exists) return undefined;
    return {
      message: `Thread ${threadId} already exists: resume it, or choose another id.`,
      fix: `Run pnpm agent resume ${threadId}, or give --thread another id.`,
    };
  } finally {
    await store.close?.();
  }
}

/** `text` as a sentence's start: its first letter capital. */
function sentence(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** Reports a failure that happened before the agent could; `--json` still gets its object. */
function fail(
  outcome: Outcome,
  message: string,
  json: boolean | undefined,
  details: {
    error?: string;
    fix?: string;
    exitCode?: number;
    warnings?: AgentWarning[];
    threadId?: string | undefined;
    authReqId?: string | undefined;
    bindingMessage?: string | undefined;
  } = {},
): number {
  const { exitCode, threadId, authReqId, bindingMessage } = details;
  const report = {
    ...reportWithoutPurchases(outcome, threadId ?? "", message, 0, details),
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(authReqId === undefined ? {} : { authReqId }),
    ...(bindingMessage === undefined ? {} : { bindingMessage }),
    ...(details.warnings === undefined || details.warnings.length === 0
      ? {}
      : { warnings: details.warnings }),
  };
  // What the command line or the environment held is quoted in these messages: written out, as
  // everything else the CLI shows, so an escape or a direction control in it shows as itself.
  if (json) process.stdout.write(`${terminalJson(JSON.stringify(toAgentReportJson(report)))}\n`);
  else {
    const fix = details.fix === undefined ? "" : `Fix: ${details.fix}\n`;
    process.stderr.write(terminalText(`${message}\n${fix}${outcomeLine(report)}`));
  }
  return report.exitCode;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  return (await text(process.stdin)).trim();
}

function variableList(variables: readonly [string, string][]): string {
  const width = Math.max(...variables.map(([name]) => name.length));
  return variables.map(([name, help]) => `  ${name.padEnd(width)}  ${help}`).join("\n");
}

function helpText(): string {
  const variables = variableList(ENVIRONMENT_HELP);
  const codes = Object.entries(OUTCOMES)
    .map(
      ([name, { exitCode, summary }]) =>
        `  ${String(exitCode).padStart(2)}  ${name.padEnd(15)} ${summary}`,
    )
    .join("\n");
  return `
Examples:
  pnpm agent "Buy 2 XYZ phones"
  pnpm agent "Buy 2 XYZ phones under $1000 and a USB-C cable"
  pnpm agent "Could you order three XYZ phones for me? Keep it under 5000 dollars."
  pnpm agent --mode interrupt "Buy an XYZ phone under $900"    then: pnpm agent resume <thread>
  echo "buy a USB-C cable" | pnpm agent --json

Without OPENAI_API_KEY a built-in model reads the request against the shop's catalog: several
products are several purchases, each approved on its own; when unsure it asks, and buys nothing.

Environment (also read from <repo>/.env; the real environment wins):
${variables}

Exit codes:
${codes}`;
}
