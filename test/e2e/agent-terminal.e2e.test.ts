import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { builtEntry } from "../../scripts/build.js";
import { Scenario } from "../support/scenario.js";

interface OnTerminal {
  /** Resolves once the terminal has shown `pattern`; rejects if the agent ends first. */
  shows(pattern: RegExp): Promise<void>;
  /** Types `keys` at the terminal, as a person does (Ctrl-C is "\u0003"). */
  type(keys: string): void;
  exited: Promise<{ code: number | null; screen: string }>;
}

/**
 * `node build/agent.cjs <args>` on a real pseudo-terminal (util-linux `script`), with no CI
 * variable: the agent sees a terminal on stdout and stderr, and draws its spinner as it does for
 * a person. `screen` is all the terminal received, both streams, control sequences included.
 */
function agentOnTerminal(args: string[], env: Record<string, string>): OnTerminal {
  const command = [process.execPath, builtEntry("agent"), ...args].map(shellQuoted).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TERM: "xterm-256color",
      OPENAI_API_KEY: "",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  const watchers = new Set<() => void>();
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    for (const watch of watchers) watch();
  });
  child.stderr.on("data", (chunk: Buffer) => (screen += chunk.toString()));
  const exited = new Promise<{ code: number | null; screen: string }>((resolve) => {
    child.once("close", (code) => {
      for (const watch of watchers) watch();
      resolve({ code, screen });
    });
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return {
    shows: (pattern) =>
      new Promise((resolve, reject) => {
        const watch = () => {
          if (pattern.test(screen)) resolve();
          else if (child.exitCode !== null)
            reject(new Error(`the agent ended without showing ${String(pattern)}:\n${screen}`));
          else return;
          watchers.delete(watch);
        };
        watchers.add(watch);
        watch();
      }),
    type: (keys) => child.stdin.write(keys),
    exited,
  };
}

function shellQuoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The spinner's line of the approval the agent waits for, as it draws it. */
const WAITING = /Waiting for "[^"]+" to approve "Do you want to buy 1 USB-C cable/;
const HIDE_CURSOR = "\u001b[?25l";
const SHOW_CURSOR = "\u001b[?25h";

/** What the terminal shows from the report's first line on, and the line above it. */
function reportOn(screen: string, firstWords: string): { above: string; report: string } {
  const at = screen.lastIndexOf(firstWords);
  expect(at, JSON.stringify(screen.slice(-1500))).toBeGreaterThanOrEqual(0);
  const before = screen.slice(0, at);
  return {
    above: before.slice(before.lastIndexOf("\n", before.length - 3) + 1),
    report: screen.slice(at),
  };
}

describe("the agent on a terminal", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("manual");
  });

  /**
   * A thread of this test's own that waits for the person's answer, in a store of its own:
   * `store`, a link to its folder, which `breakStore` points at a file in one step.
   */
  async function waitingThread(): Promise<{
    threadId: string;
    env: Record<string, string>;
    breakStore: () => Promise<void>;
  }> {
    const folder = await mkdtemp(path.join(tmpdir(), "agent-terminal-"));
    const store = `${folder}.link`;
    await symlink(folder, store);
    onTestFinished(async () => {
      await rm(folder, { recursive: true, force: true });
      await rm(store, { force: true });
      await rm(`${folder}.file`, { force: true });
    });
    const env = { ...s.agentEnv(), AGENT_STORE: store };
    const sent = await s.agent(["--mode", "interrupt", "Buy a USB-C cable"], env);
    expect(sent.json.outcome).toBe("PENDING");
    // A file where the store's folder was, at once (a rename replaces the link): the store's
    // next read or write fails (ENOTDIR), and no read finds the thread gone in between.
    const breakStore = async () => {
      await writeFile(`${folder}.file`, "");
      await symlink(`${folder}.file`, `${store}.new`);
      await rename(`${store}.new`, store);
    };
    return { threadId: sent.json.threadId, env, breakStore };
  }

  it("stops the spinner when the store fails while it waits: the error, its outcome line last, the cursor shown", async () => {
    const { threadId, env, breakStore } = await waitingThread();
    const terminal = agentOnTerminal(["resume", threadId], env);
    await terminal.shows(WAITING);

    await breakStore();
    const { code, screen } = await terminal.exited;

    expect(code).toBe(1);
    const { above, report } = reportOn(screen, "The agent's store (AGENT_STORE) failed");
    // Nothing is drawn after the outcome line: no spinner over or under the report.
    expect(report).toMatch(/\r\nOutcome: ERROR \(exit 1\)\r\n$/);
    // The spinner's line stays, marked failed.
    expect(stripVTControlCharacters(above)).toMatch(/\u2716 Waiting for "[^\n]*\n$/);
    expect(screen.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(screen.lastIndexOf(HIDE_CURSOR));
  });

  it("stops the spinner on Ctrl-C while it waits: where the purchase stands, the outcome line last, exit 130", async () => {
    const { threadId, env } = await waitingThread();
    const terminal = agentOnTerminal(["resume", threadId], env);
    await terminal.shows(WAITING);

    terminal.type("\u0003");
    const { code, screen } = await terminal.exited;

    expect(code).toBe(130);
    const { report } = reportOn(screen, "Stopped by SIGINT.");
    expect(report).toContain(`pnpm agent resume ${threadId} finishes it.`);
    expect(report).toMatch(/\r\nOutcome: ERROR \(exit 130\)\r\n$/);
    expect(screen.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(screen.lastIndexOf(HIDE_CURSOR));
  });

  it("reports Ctrl-C typed while it opens its store (a Redis that does not answer), before the run began", async () => {
    // A Redis that takes the connection and never answers: the agent waits in its store's start.
    const redis = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => redis.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((closed) =>
          redis.close(() => {
            closed();
          }),
        ),
    );
    const connected = once(redis, "connection");
    const { port } = redis.address() as AddressInfo;
    const terminal = agentOnTerminal(["--mode", "interrupt", "Buy a USB-C cable"], {
      AGENT_STORE: `redis://127.0.0.1:${String(port)}/0`,
    });
    await connected;

    terminal.type("\u0003");
    const { code, screen } = await terminal.exited;

    expect(code).toBe(130);
    const { report } = reportOn(screen, "Stopped by SIGINT");
    expect(report).toBe(
      "Stopped by SIGINT before the run began: nothing was sent, and nothing was ordered.\r\n" +
        "Fix: Run it again if the purchase is still wanted: nobody was asked to approve it.\r\n" +
        "Outcome: ERROR (exit 130)\r\n",
    );
  });
});
