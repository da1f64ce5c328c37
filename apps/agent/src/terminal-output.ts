import type { Writable } from "node:stream";

import { quotedValue, type Clock } from "@ciba-testbed/shared";
import type { Spinner, Options as SpinnerOptions } from "yocto-spinner";

import type { AgentEvent } from "./agent-event.js";
import { toAgentReportJson, type AgentReport } from "./agent-report.js";
import { outcomeLine } from "./outcome.js";
import { describePurchase } from "./purchase-result.js";
import { terminalJson, terminalText } from "./terminal-text.js";

export interface TerminalOutput {
  output(event: AgentEvent): void;
  finish(report: AgentReport): void;
  /** Stops the spinner, for a report written by other means (a signal's). */
  stop(): void;
}

interface Writer {
  write(text: string): unknown;
}

/**
 * Renders the agent for a person (streamed answer on stdout, progress on stderr, a spinner
 * with a countdown on a terminal) or for a script (`json`: one object on stdout, nothing else).
 */
export function createTerminalOutput(options: {
  stdout: Writer;
  stderr: Writable;
  /**
   * The spinner (yocto-spinner's default export) on a terminal, which makes the output
   * interactive; without it, progress is written as plain lines.
   */
  spinner?: (options: SpinnerOptions) => Spinner;
  /**
   * Whether the spinner's line is redrawn in place: not under TERM=dumb or in CI (yocto-spinner's
   * own test), where it writes each new text as a line of its own. There the approval's line is
   * written once, and again only when the polls start or stop bringing no answer.
   */
  redraws?: boolean;
  json: boolean;
  clock: Clock;
  resumeCommand: (threadId: string) => string;
}): TerminalOutput {
  const { clock } = options;
  // What the model, the shop's catalog or the person wrote is shown, never obeyed: a direction
  // control in a product's name would turn the rest of the line around.
  const stdout = { write: (text: string) => options.stdout.write(terminalText(text)) };
  const stderr = { write: (text: string) => options.stderr.write(terminalText(text)) };
  let spinner: Spinner | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let streamed = "";
  /** The model's text ends mid-line on stdout: the agent's next line must not run on from it. */
  let lineOpen = false;
  const endModelLine = () => {
    if (lineOpen) stdout.write("\n");
    lineOpen = false;
  };
  /** What kept the last poll from an answer, while the polls keep failing. */
  let pollProblem: string | undefined;
  const redraws = options.redraws ?? (process.env.TERM !== "dumb" && !("CI" in process.env));
  /** The spinner's line of the approval it shows, as it reads now. */
  let spinnerLine: (() => string) | undefined;

  const stopSpinner = (finalText?: string, ok = true) => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
    if (spinner === undefined) return;
    if (ok) spinner.success(finalText);
    else spinner.error(finalText);
    spinner = undefined;
  };

  return {
    output(event) {
      if (options.json) return;
      // Each line of the agent's own (on stderr, on the same terminal) starts a line.
      if (event.type !== "text") endModelLine();
      switch (event.type) {
        case "text":
          if (streamed === "") stopSpinner();
          streamed += event.text;
          stdout.write(event.text);
          if (event.text !== "") lineOpen = !event.text.endsWith("\n");
          return;
        case "approval-requested": {
          const what = event.resumed
            ? `Waiting for ${quotedValue(event.userId)} to approve`
            : `Approval request sent to ${quotedValue(event.userId)}:`;
          const line = () =>
            `${what} ${quotedValue(event.bindingMessage)} - expires in ${countdown(event.expiresAt - clock.now())}` +
            (pollProblem === undefined ? "" : ` (no answer from the tenant: ${pollProblem})`);
          if (options.spinner === undefined) {
            stderr.write(`${line()}\n`);
            return;
          }
          spinner = options.spinner({ text: terminalText(line()), stream: options.stderr }).start();
          spinnerLine = line;
          if (!redraws) return;
          ticker = setInterval(() => {
            if (spinner) spinner.text = terminalText(line());
          }, 1000);
          ticker.unref();
          return;
        }
        case "warning":
          stderr.write(`Warning: ${event.warning.message}\n`);
          return;
        case "approval-waiting": {
          const started = pollProblem === undefined && event.problem !== undefined;
          const changed = started || (pollProblem !== undefined && event.problem === undefined);
          pollProblem = event.problem;
          if (changed && !redraws && spinner && spinnerLine)
            spinner.text = terminalText(spinnerLine());
          // On a terminal the spinner's line says it; in a log, once when the polls start failing.
          if (started && options.spinner === undefined) {
            stderr.write(
              `No answer from the tenant to a poll (${event.problem}); polling again until the request expires.\n`,
            );
          }
          return;
        }
        case "order-sending":
        case "order-answered":
          // Said once the purchase's result is recorded.
          return;
        case "purchase-finished": {
          const text = `${describePurchase(event.result.purchase)}: ${event.result.outcome}`;
          if (spinner) stopSpinner(terminalText(text), event.result.outcome === "ORDERED");
          else stderr.write(`${text}\n`);
          return;
        }
      }
    },
    stop() {
      stopSpinner(undefined, false);
    },
    finish(report) {
      // A spinner still spinning here is the approval's line of a run that ended without the
      // purchase's result: sent and waiting (PENDING), else stopped (a thread gone from the
      // store, a lease lost), which must not read as done.
      stopSpinner(undefined, report.outcome === "PENDING" || report.outcome === "ORDERED");
      if (options.json) {
        options.stdout.write(`${terminalJson(JSON.stringify(toAgentReportJson(report)))}\n`);
        return;
      }
      endModelLine();
      if (streamed.trim() !== report.message) stdout.write(`${report.message}\n`);
      if (report.fix !== undefined) stderr.write(`Fix: ${report.fix}\n`);
      if (report.outcome === "PENDING") {
        stderr.write(
          `Thread ${report.threadId} is waiting for approval. Resume it with: ${options.resumeCommand(report.threadId)}\n`,
        );
      }
      stderr.write(outcomeLine(report));
    },
  };
}

function countdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
