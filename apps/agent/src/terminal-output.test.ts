import { stripVTControlCharacters } from "node:util";
import { PassThrough } from "node:stream";

import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import yoctoSpinner from "yocto-spinner";

import type { AgentEvent } from "./agent-event.js";
import type { AgentReport } from "./agent-report.js";
import { createTerminalOutput, type TerminalOutput } from "./terminal-output.js";

function terminal(json: boolean) {
  const clock = new ManualClock();
  let out = "";
  let err = "";
  const stderr = new PassThrough();
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const output = createTerminalOutput({
    stdout: { write: (text: string) => (out += text) },
    stderr,
    json,
    clock,
    resumeCommand: (id) => `pnpm agent resume ${id}`,
  });
  return { output, clock, out: () => out, err: () => err };
}

const pending: AgentReport = {
  outcome: "PENDING",
  exitCode: 5,
  message: "Waiting for approval of 2 x XYZ phone; nothing is ordered yet.",
  threadId: "thr_1",
  authReqId: "req-1",
  bindingMessage: "Do you want to buy 2 XYZ phone",
  purchases: [],
  timings: { totalMs: 12 },
};

describe("terminal output", () => {
  it("prints the approval line with a countdown, and how to resume", () => {
    const t = terminal(false);
    t.output.output(approvalRequested(t.clock.now() + 292_000));
    t.output.finish(pending);

    expect(t.err()).toContain(
      `Approval request sent to "auth0|testbed-user": "Do you want to buy 2 XYZ phone" - expires in 4:52\n`,
    );
    expect(t.err()).toContain("pnpm agent resume thr_1");
    expect(t.err()).toContain("Outcome: PENDING (exit 5)");
    expect(t.out()).toBe(`${pending.message}\n`);
  });

  it("says it is waiting, not sending, when a resumed run waits for an earlier request", () => {
    const t = terminal(false);
    t.output.output(approvalRequested(t.clock.now() + 61_500, true));
    expect(t.err()).toBe(
      `Waiting for "auth0|testbed-user" to approve "Do you want to buy 2 XYZ phone" - expires in 1:02\n`,
    );
  });

  it("quotes the user id as every value it quotes back, on one line whatever it holds", () => {
    const t = terminal(false);
    t.output.output(approvalRequested(t.clock.now() + 60_000, false, 'auth0|a"b\nc\u001b[2J'));
    expect(t.err()).toBe(
      `Approval request sent to "auth0|a\\"b\\u{000A}c\\u{001B}[2J": "Do you want to buy 2 XYZ phone" - expires in 1:00\n`,
    );
  });

  it("prints exactly one JSON object with --json", () => {
    const t = terminal(true);
    t.output.output({ type: "text", text: "ignored" });
    t.output.finish(pending);

    expect(t.err()).toBe("");
    expect(JSON.parse(t.out())).toEqual({
      outcome: "PENDING",
      exitCode: 5,
      message: pending.message,
      threadId: "thr_1",
      error: null,
      authReqId: "req-1",
      bindingMessage: "Do you want to buy 2 XYZ phone",
      order: null,
      fix: null,
      warnings: [],
      finishedEarlier: null,
      purchases: [],
      notTried: null,
      timings: { totalMs: 12 },
    });
  });

  const emailWarning = { code: "email_channel", message: "Auth0 sends an email." };

  it("prints a warning on stderr before anything else", () => {
    const t = terminal(false);
    t.output.output({ type: "warning", warning: emailWarning });
    expect(t.err()).toBe("Warning: Auth0 sends an email.\n");
    expect(t.out()).toBe("");
  });

  it("puts the warnings in the JSON object, and prints nothing else", () => {
    const t = terminal(true);
    t.output.output({ type: "warning", warning: emailWarning });
    t.output.finish({ ...pending, warnings: [emailWarning] });
    expect(t.err()).toBe("");
    expect(JSON.parse(t.out())).toMatchObject({ warnings: [emailWarning] });
  });

  it("does not repeat an answer that was already streamed", () => {
    const t = terminal(false);
    t.output.output({ type: "text", text: "Ordered " });
    t.output.output({ type: "text", text: "it." });
    t.output.finish({ ...pending, outcome: "ORDERED", exitCode: 0, message: "Ordered it." });
    expect(t.out()).toBe("Ordered it.\n");
  });

  it("shows the approval on the spinner it is given (a terminal), and ends it", () => {
    const clock = new ManualClock();
    let err = "";
    const stderr = new PassThrough();
    stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const texts: string[] = [];
    const output = createTerminalOutput({
      stdout: { write: () => true },
      stderr,
      spinner: (options) => {
        texts.push(options.text ?? "");
        return yoctoSpinner(options);
      },
      json: false,
      clock,
      resumeCommand: (id) => `pnpm agent resume ${id}`,
    });
    output.output(approvalRequested(clock.now() + 60_000));
    output.finish(pending);

    expect(texts).toEqual([
      `Approval request sent to "auth0|testbed-user": "Do you want to buy 2 XYZ phone" - expires in 1:00`,
    ]);
    expect(err).toContain("Outcome: PENDING (exit 5)");
  });
});

describe("polls that bring no answer", () => {
  it("are said once in a log when they start failing, not at every poll", () => {
    const t = terminal(false);
    const waiting = waitingOf(t.output);
    waiting();
    waiting("connection_refused (ECONNREFUSED)");
    waiting("connection_refused (ECONNREFUSED)");
    waiting();
    waiting("503 temporarily_unavailable");

    expect(t.err()).toBe(
      "No answer from the tenant to a poll (connection_refused (ECONNREFUSED)); polling again until the request expires.\n" +
        "No answer from the tenant to a poll (503 temporarily_unavailable); polling again until the request expires.\n",
    );
  });

  it("ends the model's text with a line break before the agent's own lines, on one terminal", () => {
    let screen = "";
    const stderr = new PassThrough();
    stderr.on("data", (chunk: Buffer) => (screen += chunk.toString()));
    const clock = new ManualClock();
    const output = createTerminalOutput({
      stdout: { write: (text: string) => (screen += text) },
      stderr,
      json: false,
      clock,
      resumeCommand: (id) => `pnpm agent resume ${id}`,
    });
    output.output({ type: "text", text: "I will order an XYZ phone " });
    output.output({ type: "text", text: "for you!" });
    output.output(approvalRequested(clock.now() + 60_000));
    output.finish(pending);

    expect(screen).toMatch(
      /^I will order an XYZ phone for you!\nApproval request sent to "auth0\|testbed-user": /,
    );
    expect(screen).not.toContain("\n\n");
  });

  it("writes out direction controls and escapes, which would turn the terminal's line around", () => {
    const product = "XYZ phone\u202e";
    const report: AgentReport = {
      ...pending,
      outcome: "SHOP_REFUSED",
      exitCode: 6,
      message: `Could not buy 1 x ${product}: unknown.`,
      fix: "Ask for \u001b[2Jit",
    };
    const t = terminal(false);
    t.output.output({ type: "text", text: `Buying ${product}` });
    t.output.finish(report);
    expect(t.out()).toBe(
      "Buying XYZ phone\\u{202E}\nCould not buy 1 x XYZ phone\\u{202E}: unknown.\n",
    );
    expect(t.err()).toContain("Fix: Ask for \\u{001B}[2Jit\n");

    const json = terminal(true);
    json.output.finish(report);
    expect(json.out()).not.toContain("\u202e");
    expect(json.out()).not.toContain("\u001b");
    expect((JSON.parse(json.out()) as { message: string }).message).toBe(report.message);
  });
});

describe("the approval's spinner where a line cannot be redrawn (TERM=dumb, CI)", () => {
  function spinnerTerminal(redraws?: boolean) {
    const clock = new ManualClock();
    let err = "";
    // Not a TTY: yocto-spinner writes each text as a line of its own, as under TERM=dumb.
    const stderr = new PassThrough();
    stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const output = createTerminalOutput({
      stdout: { write: () => true },
      stderr,
      spinner: yoctoSpinner,
      ...(redraws === undefined ? {} : { redraws }),
      json: false,
      clock,
      resumeCommand: (id) => `pnpm agent resume ${id}`,
    });
    output.output(approvalRequested(clock.now() + 300_000));
    return {
      output,
      waiting: waitingOf(output),
      lines: () => err.split("\n").filter((line) => line !== ""),
    };
  }

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it("marks the approval's line done for a request left waiting, and failed for a run stopped without its result", () => {
    const waiting = spinnerTerminal(false);
    waiting.output.finish(pending);
    const stopped = spinnerTerminal(false);
    stopped.output.finish({
      ...pending,
      outcome: "ERROR",
      exitCode: 1,
      error: "thread_lost",
      message: "Thread thr-1 went from the agent's store while this run worked on it.",
    });

    /** The symbol each of the approval's lines starts with: the spinner's, then its end's. */
    const symbols = (lines: string[]) =>
      lines.map(
        (line) => /^(\S+) Approval request sent to /.exec(stripVTControlCharacters(line))?.[1],
      );
    expect(symbols(waiting.lines()).filter(Boolean).at(-1)).toBe("\u2714");
    expect(symbols(stopped.lines()).filter(Boolean).at(-1)).toBe("\u2716");
  });

  it("writes the approval's line once, and again only when the polls start and stop failing", () => {
    vi.useFakeTimers();
    const t = spinnerTerminal(false);
    vi.advanceTimersByTime(5_000);
    t.waiting();
    t.waiting("503 temporarily_unavailable");
    vi.advanceTimersByTime(5_000);
    t.waiting("503 temporarily_unavailable");
    t.waiting();
    vi.advanceTimersByTime(5_000);
    const lines = t.lines();
    t.output.stop();

    const approval =
      /Approval request sent to "auth0\|testbed-user": "Do you want to buy 2 XYZ phone" - expires in 5:00$/;
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(approval);
    expect(lines[1]).toMatch(
      /expires in 5:00 \(no answer from the tenant: 503 temporarily_unavailable\)$/,
    );
    expect(lines[2]).toMatch(approval);
  });

  it("is taken to be so under TERM=dumb", () => {
    vi.useFakeTimers();
    vi.stubEnv("TERM", "dumb");
    const t = spinnerTerminal();
    vi.advanceTimersByTime(5_000);
    expect(t.lines()).toHaveLength(1);
    t.output.stop();
  });
});

/**
 * The approval request of 2 XYZ phones to the testbed's user, expiring at `expiresAt`; `resumed`
 * for one an earlier run sent.
 */
function approvalRequested(
  expiresAt: number,
  resumed = false,
  userId = "auth0|testbed-user",
): AgentEvent {
  return {
    type: "approval-requested",
    resumed,
    threadId: "thr_1",
    toolCallId: "call_1",
    authReqId: "req-1",
    userId,
    bindingMessage: "Do you want to buy 2 XYZ phone",
    purchase: { product: "XYZ phone", qty: 2 },
    expiresAt,
  };
}

/** Gives `output` a poll's result: no answer yet, or the `problem` that kept it from one. */
function waitingOf(output: TerminalOutput): (problem?: string) => void {
  return (problem) => {
    output.output({
      type: "approval-waiting",
      authReqId: "req-1",
      nextPollAt: 0,
      slowDown: false,
      ...(problem === undefined ? {} : { problem }),
    });
  };
}
