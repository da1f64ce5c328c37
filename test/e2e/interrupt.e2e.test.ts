import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { AGENT_CLI, buildAgentCli, runAgent, startAgent } from "@ciba-testbed/stack/agent-cli";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { asksToBuy, ownRequests } from "../support/own-requests.js";
import { liveMembers, liveMembersAfter } from "../support/process-group.js";
import { BUYER, Scenario } from "../support/scenario.js";

const STOP_POINTS = ["token-received", "approval-taken"] as const;
type BuiltCli = Awaited<ReturnType<typeof buildAgentCli>>;
const STOPPED_BEFORE_ORDER =
  "The approval was used by a process that stopped before ordering; ask again.";

/** The ids in `after` that are not in `before`, whatever order the lists come in. */
function newIds(before: string[], after: string[]): string[] {
  return after.filter((id) => !before.includes(id));
}

const consentIds = async (s: Scenario) => (await s.consentRequests()).map((c) => c.auth_req_id);
const orderIds = async (s: Scenario) => (await s.ordersOf(BUYER)).map((o) => o.id);

/** The store files of one thread, by name. */
async function threadFiles(store: string, threadId: string): Promise<string[]> {
  return (await readdir(store)).filter((name) => name.includes(encodeURIComponent(threadId)));
}

// Interrupt mode: the first process sends the consent request and exits; a second process,
// started after the person answered, finishes the purchase. One push, one order.
describe("interrupt mode across two processes", () => {
  let s: Scenario;
  // Plain Node on bundles: quicker starts, and builds with a stop point compiled in.
  let cli: BuiltCli;
  const stopping = new Map<string, BuiltCli>();
  // The end-to-end tenant's stack this worker's files share: the agent's processes are the
  // ones under test, and each test counts only the orders and consent requests it made.
  beforeAll(async () => {
    const [scenario, plain, ...stops] = await Promise.all([
      Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json"),
      buildAgentCli(),
      ...STOP_POINTS.map((stopAt) => buildAgentCli({ stopAt })),
    ]);
    s = scenario;
    cli = plain;
    stops.forEach((stop, i) => stopping.set(STOP_POINTS[i]!, stop));
    await s.policy("manual");
  });
  afterAll(async () => {
    await Promise.all([cli.remove(), ...[...stopping.values()].map((b) => b.remove())]);
  });

  const agent = (args: string[]) => runAgent(args, s.agentEnv(), 60_000, cli);

  it("sends, exits pending, and a later process places the approved order once", async () => {
    const before = await orderIds(s);
    const requestsBefore = await consentIds(s);
    const sent = await agent(["--mode", "interrupt", "Buy an XYZ phone"]);
    expect(sent.json.outcome).toBe("PENDING");
    expect(sent.exitCode).toBe(5);
    const threadId = sent.json.threadId;
    const consent = await s.stack.control.request(String(sent.json.authReqId));
    expect(consent.status).toBe("pending");

    // Resuming before the person answered sends nothing new.
    const early = await agent(["resume", threadId, "--mode", "interrupt"]);
    expect(early.json.outcome).toBe("PENDING");

    await s.stack.control.approve(consent.auth_req_id);
    const resumed = await agent(["resume", threadId]);
    expect(resumed.json.outcome).toBe("ORDERED");
    expect(resumed.json.authReqId).toBe(consent.auth_req_id);

    // Resuming a finished thread never buys twice.
    const again = await agent(["resume", threadId]);
    expect(again.json.order?.id ?? null).toBe(resumed.json.order?.id ?? null);

    expect(newIds(requestsBefore, await consentIds(s))).toEqual([consent.auth_req_id]);
    expect(newIds(before, await orderIds(s))).toEqual([resumed.json.order?.id]);
    // Each process waited an interval after the one before it polled: never a slow_down.
    const { timeline = [] } = await s.stack.control.request(consent.auth_req_id);
    const answers = timeline.flatMap((event) => (event.type === "poll" ? [event.answer] : []));
    expect(answers).toEqual(["authorization_pending", "authorization_pending", "token"]);
  });

  // Auth0 answers both with access_denied: a resume on the machine that sent the request measures
  // the expiry from the send, on the clock the two processes share.
  it.each([
    ["nobody answers in 2 s", "2", "expired", "EXPIRED", 4],
    ["the person denies it", "30", "denied", "DENIED", 3],
  ] as const)(
    "tells a resume on the sending machine when %s",
    async (_, expiry, status, outcome, exitCode) => {
      const before = await orderIds(s);
      const requestsBefore = await consentIds(s);
      const sent = await agent(["--mode", "interrupt", "--expiry", expiry, "Buy an XYZ phone"]);
      expect(sent.exitCode).toBe(5);
      const authReqId = String(sent.json.authReqId);
      if (status === "denied") await s.stack.control.deny(authReqId);
      await s.stack.control.waitForStatus(authReqId, status);

      const resumed = await agent(["resume", sent.json.threadId, "--mode", "interrupt"]);
      expect(resumed.json).toMatchObject({ outcome, error: "access_denied" });
      expect(resumed.exitCode).toBe(exitCode);
      expect(newIds(requestsBefore, await consentIds(s))).toEqual([authReqId]);
      expect(newIds(before, await orderIds(s))).toEqual([]);
    },
  );

  it("survives the waiting process being killed: the next resume finishes with no second push", async () => {
    const before = await orderIds(s);
    const requestsBefore = await consentIds(s);
    const sent = await s.agent(["--mode", "interrupt", "Buy a USB-C cable"]);
    expect(sent.json.outcome).toBe("PENDING");
    const authReqId = String(sent.json.authReqId);
    const pollsBefore = (await s.stack.control.request(authReqId)).polls;

    // A block-mode resume waits for the answer; kill -9 it while it polls.
    const waiting = spawn(
      AGENT_CLI.command,
      [...AGENT_CLI.args, "resume", sent.json.threadId, "--json"],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", OPENAI_API_KEY: "", ...s.agentEnv() },
        stdio: "ignore",
        detached: true,
      },
    );
    const killed = new Promise((resolve) => waiting.once("exit", resolve));
    await s.stack.control.waitForPolls(authReqId, pollsBefore + 1);
    process.kill(-waiting.pid!, "SIGKILL");
    await killed;

    await s.stack.control.approve(authReqId);
    const resumed = await s.agent(["resume", sent.json.threadId]);
    expect(resumed.json.outcome).toBe("ORDERED");
    expect(resumed.json.authReqId).toBe(authReqId);
    expect(newIds(requestsBefore, await consentIds(s))).toEqual([authReqId]);
    expect(newIds(before, await orderIds(s))).toEqual([resumed.json.order?.id]);
    // The killed process journaled its poll before sending it: the resume waited after it.
    const { timeline = [] } = await s.stack.control.request(authReqId);
    expect(timeline.filter((event) => event.type === "poll").map((event) => event.answer)).toEqual(
      expect.not.arrayContaining(["slow_down"]),
    );
  });

  it.each(STOP_POINTS)(
    "reports an approval spent by a process killed at %s as one outcome, with nothing ordered",
    async (point) => {
      const before = (await s.ordersOf(BUYER)).length;
      const sent = await agent(["--mode", "interrupt", "Buy a USB-C cable"]);
      const authReqId = String(sent.json.authReqId);
      await s.stack.control.approve(authReqId);

      const killed = await startAgent(
        ["resume", sent.json.threadId, "--json"],
        s.agentEnv(),
        stopping.get(point),
      ).exited;
      expect(killed.signal).toBe("SIGKILL");

      const resumed = await agent(["resume", sent.json.threadId]);
      expect(resumed.exitCode).toBe(1);
      expect(resumed.json).toMatchObject({ outcome: "ERROR", error: "stopped_before_order" });
      expect(resumed.json.message).toContain(STOPPED_BEFORE_ORDER);
      expect((await s.stack.control.request(authReqId)).status).toBe("consumed");
      expect(await s.ordersOf(BUYER)).toHaveLength(before);
      // The token never reached the store; the request is dropped once the outcome is known.
      const files = await threadFiles(s.agentEnv().AGENT_STORE!, sent.json.threadId);
      expect(files.filter((name) => name.startsWith("ciba"))).toEqual([]);
    },
  );

  it("places no order once `pnpm agent` is killed with -9 while it waits, and leaves no process", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const requestsBefore = await consentIds(s);
    // pnpm -> node (the agent bin runs build/agent.cjs in-process), as a person starts it; its own process group.
    const pnpm = spawn("pnpm", ["--silent", "agent", "--json", "Buy a USB-C cable"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...s.agentEnv() },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    pnpm.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    pnpm.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // The agent and its launchers share pnpm's pipes: the output ends when the last one exits.
    const outputClosed = new Promise((resolve) => pnpm.stderr.once("close", resolve));
    const group = pnpm.pid!;
    try {
      const consent = await s.stack.control.waitForPending(
        (c) =>
          !requestsBefore.includes(c.auth_req_id) &&
          c.user === BUYER &&
          c.binding_message.startsWith("Do you want to buy 1 USB-C cable"),
      );
      await s.stack.control.waitForPolls(consent.auth_req_id, 1);
      const tree = await liveMembers(group);
      expect(tree.length).toBeGreaterThanOrEqual(2);

      process.kill(group, "SIGKILL");
      await s.stack.control.approve(consent.auth_req_id);
      await outputClosed;

      // A process closes its files a moment before it is gone.
      expect(await liveMembersAfter(group, 5_000)).toEqual([]);
      // Whichever sees it first says so: the watch's timer on stderr, or the check right
      // before the order (when the approval's token arrives first) in the JSON report.
      expect(output).toContain("parent_gone");
      expect(await s.ordersOf(BUYER)).toHaveLength(before);
      // Approved, and the token issued too when the agent's poll came before its check.
      expect(["approved", "consumed"]).toContain(
        (await s.stack.control.request(consent.auth_req_id)).status,
      );
    } finally {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  });

  it("says where the purchase stood, as one JSON object with the fix, when the script that started it in the background ends while it waits", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const requestsBefore = await consentIds(s);
    const dir = await mkdtemp(path.join(tmpdir(), "parent-gone-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const [out, err] = [path.join(dir, "out.json"), path.join(dir, "err.txt")];
    // A script that starts the agent in the background, and ends when its stdin closes.
    const script = spawn(
      "bash",
      ["-c", '"$@" --json "Buy 2 USB-C cables" > "$OUT" 2> "$ERR" & read -r _', "bash"].concat([
        cli.command,
        ...cli.args,
      ]),
      {
        env: { ...process.env, ...s.agentEnv(), OUT: out, ERR: err },
        stdio: ["pipe", "ignore", "ignore"],
        detached: true,
      },
    );
    const group = script.pid!;
    onTestFinished(() => {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // Already gone.
      }
    });
    const consent = await s.stack.control.waitForPending(
      (c) =>
        !requestsBefore.includes(c.auth_req_id) &&
        c.binding_message.startsWith("Do you want to buy 2 USB-C cables"),
    );
    // The tenant holds the request before its answer reaches the agent: its first poll says the
    // agent has the request, and can name it when it stops.
    await s.stack.control.waitForPolls(consent.auth_req_id, 1);
    script.stdin.end();
    await once(script, "exit");
    // The agent, left in the script's process group, notices within its 250 ms check and exits.
    expect(await liveMembersAfter(group, 10_000)).toEqual([]);
    // It printed only its stderr line before: nothing under --json, and no fix.
    const report = JSON.parse(await readFile(out, "utf8")) as Record<string, unknown>;
    expect(report).toMatchObject({
      outcome: "ERROR",
      error: "parent_gone",
      exitCode: 1,
      authReqId: consent.auth_req_id,
    });
    expect(report.message).toMatch(
      /which started this agent, is gone, so the agent stopped; it places no order after that\. Nothing was ordered\. The approval request \S+ stays open until it expires, and an approval given now buys nothing/,
    );
    expect(report.fix).toMatch(
      /^Ask again if the purchase is still wanted.* setsid nohup pnpm agent \.\.\. &\.$/,
    );
    await s.stack.control.approve(consent.auth_req_id);
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
  });

  it("says where it stopped on SIGINT in block mode, exits 130, and a later approval buys nothing", async () => {
    const orders = await orderIds(s);
    // The stack's tenant holds the requests of the files before this one too: one of them may
    // have left the same purchase pending.
    const own = await ownRequests(s.stack.control);
    const waiting = startAgent(["--json", "Buy 3 USB-C cables"], s.agentEnv(), cli);
    const request = await own.waitForPending(asksToBuy("3 USB-C cable"));
    // The tenant holds the request before its answer reaches the agent: stopped in between, the
    // agent cannot name it. Its first poll says it has the request and waits for the decision.
    await s.stack.control.waitForPolls(request.auth_req_id, 1);
    waiting.kill("SIGINT");
    const run = await waiting.exited;

    expect(run.code).toBe(130);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "ERROR",
      exitCode: 130,
      error: "interrupted",
      message: `Stopped by SIGINT. Nothing was ordered. The approval request ${request.auth_req_id} stays open until it expires, and an approval given now buys nothing: no process waits for it any more.`,
      fix: "Ask again if the purchase is still wanted, and approve the new request: approving the earlier one orders nothing.",
      // The ids the message names, as --json members.
      authReqId: request.auth_req_id,
      bindingMessage: request.binding_message,
      threadId: expect.stringMatching(/^thr_/),
    });
    await s.stack.control.approve(request.auth_req_id);
    expect(await orderIds(s)).toEqual(orders);
  });

  /**
   * A tenant that takes connections and never answers: the agent's `/bc-authorize` is on its
   * way, and whether it reached Auth0 cannot be known. Its environment, and a promise of the
   * next connection.
   */
  async function silentTenant() {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const { port } = server.address() as AddressInfo;
    return {
      env: { ...s.agentEnv(), AUTH0_DOMAIN: `localhost:${String(port)}` },
      connected: () => once(server, "connection"),
      connections: () => sockets.size,
    };
  }

  it("says on SIGINT in block mode that the consent request on its way may reach the person", async () => {
    const tenant = await silentTenant();
    const connected = tenant.connected();
    const waiting = startAgent(["--json", "Buy 4 USB-C cables"], tenant.env, cli);
    await connected;
    waiting.kill("SIGINT");
    const run = await waiting.exited;

    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 130, error: "interrupted" });
    expect(report.message).toMatch(
      /^Stopped by SIGINT\. Nothing was ordered\. The approval request "Do you want to buy 4 USB-C cables for max [\d.]+ USD" was on its way to Auth0, so \S+ may be asked to approve it; an approval given to it buys nothing: no process waits for it any more\.$/,
    );
  });

  it("says on SIGINT in interrupt mode how to resume a request on its way, and the resume sends no second one", async () => {
    const tenant = await silentTenant();
    const threadId = `sent-unanswered-${String(Date.now())}`;
    const connected = tenant.connected();
    const sending = startAgent(
      ["--json", "--mode", "interrupt", "--thread", threadId, "Buy 5 USB-C cables"],
      tenant.env,
      cli,
    );
    await connected;
    sending.kill("SIGINT");
    const run = await sending.exited;

    expect(run.code).toBe(130);
    expect(JSON.parse(run.stdout)).toMatchObject({
      threadId,
      authReqId: null,
      bindingMessage: expect.stringContaining("5 USB-C cables"),
    });
    expect((JSON.parse(run.stdout) as { message: string }).message).toMatch(
      new RegExp(
        `was on its way to Auth0, so \\S+ may be asked to approve it: (?:\\S+=\\S+ )*AUTH0_DOMAIN=${tenant.env.AUTH0_DOMAIN} (?:\\S+=\\S+ )*pnpm agent resume ${threadId} finishes it if Auth0's answer was stored in time, and never sends a second one\\.$`,
      ),
    );
    // Auth0's answer never came: the resume says the request is lost and asks no one again.
    const resumed = await runAgent(["resume", threadId], tenant.env, 60_000, cli);
    expect(resumed.json).toMatchObject({ outcome: "ERROR", error: "request_lost" });
    expect(tenant.connections()).toBe(1);
  });

  it("names a store that fails (a file where its folder should be), with a fix, sending nothing", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), "agent-store-"));
    onTestFinished(() => rm(parent, { recursive: true, force: true }));
    await writeFile(path.join(parent, "not-a-folder"), "");
    const store = path.join(parent, "not-a-folder", "store");
    const before = await consentIds(s);

    const run = await startAgent(
      ["--json", "--mode", "interrupt", "Buy a USB-C cable"],
      { ...s.agentEnv(), AGENT_STORE: store },
      cli,
    ).exited;

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "ERROR",
      error: "store_failed",
      message: expect.stringMatching(
        /^The agent's store \(AGENT_STORE\) failed: ENOTDIR.*Nothing was ordered in this run\.$/,
      ) as unknown,
      fix: `Check that ${store} is a writable directory with free space, or set AGENT_STORE to one.`,
    });
    expect(await consentIds(s)).toEqual(before);
  });

  it("stops at a corrupt thread record with exit 2, naming the file and the fix, and changes nothing", async () => {
    const store = await mkdtemp(path.join(tmpdir(), "agent-store-"));
    onTestFinished(() => rm(store, { recursive: true, force: true }));
    const file = path.join(store, "threads%2Fthr-bad.json");
    const text = '{"threadId":"thr-bad","request":"Buy a phone","purchases":"x"}';
    await writeFile(file, text);

    const run = await startAgent(
      ["resume", "thr-bad"],
      { ...s.agentEnv(), AGENT_STORE: store },
      cli,
    ).exited;

    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`The record of thread thr-bad (${file}) cannot be read`);
    expect(run.stderr).toContain(
      `Fix: Check the person's orders at the shop before asking again (thread thr-bad may have placed some, and they stay there); then run rm -- '${file}' to forget the thread.`,
    );
    expect(await readdir(store)).toEqual(["threads%2Fthr-bad.json"]);
    expect(await readFile(file, "utf8")).toBe(text);
  });
});
