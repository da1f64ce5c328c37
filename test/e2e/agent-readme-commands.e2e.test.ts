/**
 * The READMEs' `pnpm agent` commands, run as written: each line in bash, one at a time as the
 * reader types them, with the agent's variables pointing it at this worker's stack (the
 * reader's defaults point it at `pnpm dev`'s) and a Redis URL at a real redis-server (only
 * its address and port change). A `<thread>` is the thread the line before it printed. The
 * person approves every purchase but the interrupt mode's, which the test approves once the
 * line that sent it has exited.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import { makeScratchFolder } from "@ciba-testbed/shared/node";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  startRedisServer,
  type RedisServer,
} from "../../apps/agent/src/test-support/redis-server.js";
import { readmeBlockUnder } from "../support/readme-example.js";
import { BUYER, Scenario } from "../support/scenario.js";

/** `text` with its lines joined and its spaces made one. */
const oneLine = (text: string) => text.trim().replace(/\s+/g, " ");

const README_REDIS = "redis://localhost:6379/0";
const INTERRUPT_PURCHASE = "Do you want to buy 1 XYZ phone";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The lines of a shell block that are commands, comments and all. */
const commands = (block: string) => block.split("\n").filter((line) => line.trim() !== "");

describe("the READMEs' agent commands on the worker's stack", () => {
  let s: Scenario;
  let redis: RedisServer | undefined;
  let redisUrl: string;

  /** Runs one line in bash, as typed at a prompt, after `before` (an `export` the block made). */
  async function line(command: string, before = ""): Promise<Ran> {
    const script = (before === "" ? command : `${before}\n${command}`).replaceAll(
      README_REDIS,
      redisUrl,
    );
    try {
      const { stdout, stderr } = await promisify(execFile)("bash", ["--norc", "-c", script], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...s.selfTrustingAgentEnv() },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as { code: unknown; stdout: string; stderr: string };
      if (typeof code !== "number") throw error;
      return { code, stdout, stderr };
    }
  }

  /** The thread an interrupt-mode run printed, for the `resume <thread>` after it. */
  function threadOf(ran: Ran): string {
    const thread = /pnpm agent resume (\S+)/.exec(ran.stdout + ran.stderr)?.[1];
    if (thread === undefined) throw new Error(`no thread in:\n${ran.stdout}\n${ran.stderr}`);
    return thread;
  }

  /** Approves the interrupt mode's pending requests this file sent. */
  async function approveSent(before: string[]): Promise<void> {
    const sent = (await s.consentRequests()).filter(
      (r) =>
        !before.includes(r.auth_req_id) &&
        r.status === "pending" &&
        r.binding_message.startsWith(INTERRUPT_PURCHASE),
    );
    await Promise.all(sent.map((r) => s.stack.control.approve(r.auth_req_id)));
  }

  /** An interrupt-mode line, then (once approved) its `resume <thread>` line. */
  async function interruptThenResume(send: string, resume: string, before = "") {
    const consents = (await s.consentRequests()).map((r) => r.auth_req_id);
    const sent = await line(send, before);
    expect(sent.code, sent.stderr).toBe(5);
    await approveSent(consents);
    expect(resume).toContain("<thread>");
    return { sent, resumed: await line(resume.replace("<thread>", threadOf(sent)), before) };
  }

  const orderIds = async () => (await s.ordersOf(BUYER)).map((order) => order.id);
  const ordersSince = async (before: string[]) =>
    (await s.ordersOf(BUYER)).filter((order) => !before.includes(order.id));

  beforeAll(async () => {
    [s, redis] = await Promise.all([
      Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json"),
      startRedisServer(),
    ]);
    redisUrl = redis.url(0);
    await s.policy("manual", [
      { when: { bindingMessage: "^Do you want to buy 2 XYZ phones" }, outcome: "approve" },
      { when: { bindingMessage: "USB-C cable" }, outcome: "approve" },
    ]);
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('root "Quick start" and the agent README\'s top block: pnpm agent "Buy 2 XYZ phones" orders them', async () => {
    const quickStart = readmeBlockUnder("README.md", "## Quick start", "sh", 1);
    const top = readmeBlockUnder("apps/agent/README.md", "# @ciba-testbed/agent", "sh");
    const command = 'pnpm agent "Buy 2 XYZ phones"';
    expect(commands(quickStart)).toEqual([command]);
    // The top block's first two lines start what the worker's stack stands for, at the
    // addresses they name.
    const [tenant = "", shop = "", agent] = commands(top);
    expect(tenant).toMatch(/^pnpm mock-auth0 +# the local tenant, https:\/\/localhost:4010$/);
    expect(shop).toMatch(/^pnpm shop-api +# the resource server, http:\/\/127\.0\.0\.1:4020$/);
    expect(agent).toBe(command);
    const before = await orderIds();

    const ran = await line(command);
    expect(ran.code, ran.stderr).toBe(0);
    expect(await ordersSince(before)).toMatchObject([{ product: { name: "XYZ phone" }, qty: 2 }]);
  });

  it('root "The agent": block mode orders, interrupt mode exits 5, resume orders, --json reads stdin', async () => {
    const [block, interrupt, resume, json, ...rest] = commands(
      readmeBlockUnder("README.md", "## The agent", "sh"),
    );
    expect(rest).toEqual([]);
    const before = await orderIds();

    const [blocked, piped, { resumed }] = await Promise.all([
      line(block!),
      line(json!),
      interruptThenResume(interrupt!, resume!),
    ]);
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ outcome: "ORDERED", exitCode: 0 });
    const added = await ordersSince(before);
    expect(added.map((o) => `${o.qty} ${o.product.name}`).sort()).toEqual([
      "1 USB-C cable",
      "1 XYZ phone",
      "2 XYZ phone",
    ]);
  });

  it("the Redis blocks of both READMEs: interrupt mode on one, resume on the other, through Redis", async () => {
    const [exported = "", rootSend, rootResume, ...rootRest] = commands(
      readmeBlockUnder("README.md", "## Agents on several machines", "sh"),
    );
    expect(rootRest).toEqual([]);
    expect(exported).toMatch(/^export AGENT_STORE=redis:\/\/localhost:6379\/0 /);
    const [agentSend, agentResume, ...agentRest] = commands(
      readmeBlockUnder(
        "apps/agent/README.md",
        "## Agents on several machines: the Redis store",
        "sh",
      ),
    );
    expect(agentRest).toEqual([]);
    const before = await orderIds();

    // Both lines send before either request is approved: approving one flow's request while
    // the other's line is still running would let that line see it approved and buy.
    const consents = (await s.consentRequests()).map((r) => r.auth_req_id);
    const sent = await Promise.all([line(rootSend!, exported), line(agentSend!)]);
    for (const ran of sent) expect(ran.code, ran.stderr).toBe(5);
    await approveSent(consents);
    expect([rootResume, agentResume]).toEqual([
      expect.stringContaining("<thread>"),
      expect.stringContaining("<thread>"),
    ]);
    const resumed = await Promise.all([
      line(rootResume!.replace("<thread>", threadOf(sent[0])), exported),
      line(agentResume!.replace("<thread>", threadOf(sent[1]))),
    ]);
    for (const ran of resumed) expect(ran.code, ran.stderr).toBe(0);
    expect(await ordersSince(before)).toMatchObject([
      { product: { name: "XYZ phone" }, qty: 1 },
      { product: { name: "XYZ phone" }, qty: 1 },
    ]);
  });
});

describe("the agent README's sample outputs, as a run prints them", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("manual", [
      { when: { bindingMessage: "^Do you want to buy 2 XYZ phones" }, outcome: "deny" },
    ]);
  });

  /** Runs the agent with `args`; its stdout and stderr, each with its lines joined. */
  async function agent(args: string[]) {
    const { stdout, stderr } = await promisify(execFile)("pnpm", ["agent", ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...s.selfTrustingAgentEnv() },
    }).catch((error: unknown) => error as { stdout: string; stderr: string });
    return { stdout: oneLine(stdout), stderr: oneLine(stderr) };
  }

  it("Several items: the denied first purchase, and the item after it not tried", async () => {
    const sample = readmeBlockUnder("apps/agent/README.md", "**Several items.**", "text");
    const { stdout } = await agent(["Buy 2 XYZ phones and a USB-C cable"]);
    expect(stdout).toContain(oneLine(sample));
  });

  it("Long expiries: the warning an expiry over 300 s gets, before the request", async () => {
    const sample = readmeBlockUnder(
      "apps/agent/README.md",
      "## Long expiries: email, not push",
      "text",
    );
    expect(sample).toMatch(/^Warning: The expiry of 3600 s /);
    const { stderr } = await agent(["--expiry", "3600", "Buy 2 XYZ phones"]);
    expect(stderr).toContain(oneLine(sample));
  });
});

describe("the agent README's samples of refusals", () => {
  it("Exit codes: a corrupt store file, reported before anything changes", async () => {
    const sample = readmeBlockUnder(
      "apps/agent/README.md",
      "A corrupt store file is reported before the agent changes anything",
      "text",
    );
    const store = await makeScratchFolder("ciba-readme-store-");
    try {
      // Cut short, as the sample's record is.
      writeFileSync(path.join(store, "threads%2Fthr_1.json"), '{"thread":');
      const ran = await promisify(execFile)("node", ["build/agent.cjs", "resume", "thr_1"], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, AGENT_STORE: store },
      }).then(
        () => ({ code: 0, stdout: "", stderr: "" }),
        (error: unknown) => error as { code: number; stdout: string; stderr: string },
      );
      expect(ran.code).toBe(2);
      // The report on stdout, its fix on stderr.
      expect(oneLine(`${ran.stdout}\n${ran.stderr}`)).toContain(
        oneLine(sample.replaceAll("/repo/.agent-store", store)),
      );
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it("The web app: a port another process holds, named with its variable and fix", async () => {
    const sample = readmeBlockUnder(
      "apps/agent/README.md",
      "so the tenant must allow the new one:",
      "text",
    );
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const { port } = held.address() as AddressInfo;
    try {
      const ran = await promisify(execFile)("node", ["build/agent.cjs", "serve"], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, AGENT_PORT: String(port) },
      }).then(
        () => ({ code: 0, stderr: "" }),
        (error: unknown) => error as { code: number; stderr: string },
      );
      expect(ran.code).toBe(1);
      // The sample ends with "...": what follows names the tenant's setting.
      const [shown = ""] = oneLine(sample.replaceAll("3000", String(port))).split(" ...");
      expect(oneLine(ran.stderr)).toContain(shown);
    } finally {
      held.close();
    }
  });
});

describe("the agent README's Usage", () => {
  it("summarizes the real --help: each option and command it names is there", async () => {
    const summary = readmeBlockUnder("apps/agent/README.md", "## Usage", "text");
    const { stdout: help } = await promisify(execFile)("pnpm", ["agent", "--help"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(help).toMatch(/^Usage: agent \[options\] \[command\] \[request\.\.\.\]\n/);
    const options = [...summary.matchAll(/^(--[a-z]+)( <[a-z]+>)?/gm)].map((match) => match[0]);
    expect(options).toEqual([
      "--user <sub>",
      "--mode <mode>",
      "--thread <id>",
      "--expiry <seconds>",
      "--model <name>",
      "--json",
    ]);
    for (const option of options) expect(help).toMatch(new RegExp(`^ {2}${option} `, "m"));
    expect(summary).toMatch(/^pnpm agent resume \[options\] <thread> /m);
    expect(help).toMatch(/^ {2}resume \[options\] <thread> /m);
  });
});
