/**
 * A test whose wait fails before its agent asks: the agent's late consent request must not be
 * the next test's to approve. Real processes: a testbed, and agents that ask late, as a slow
 * model call under CI load makes them, each a Node process of its own that asks, polls and buys.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { startTestbed, type Testbed } from "@ciba-testbed/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

/**
 * A CIBA agent by hand: after `AGENT_DELAY_MS` it asks to buy `AGENT_QTY` XYZ phones, polls at
 * the tenant's interval, and buys with the token it gets. Prints what the shop or tenant said.
 */
const AGENT = `
const env = process.env;
const issuer = "https://" + env.AUTH0_DOMAIN + "/";
const qty = Number(env.AGENT_QTY);
await new Promise((resolve) => setTimeout(resolve, Number(env.AGENT_DELAY_MS)));
const post = (url, body, headers = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const client = { client_id: env.AUTH0_CLIENT_ID, client_secret: env.AUTH0_CLIENT_SECRET };
const asked = await (await post(issuer + "bc-authorize", {
  ...client,
  scope: "openid product:buy",
  audience: env.SHOP_API_AUDIENCE,
  login_hint: JSON.stringify({ format: "iss_sub", iss: issuer, sub: env.AGENT_USER_ID }),
  binding_message: "Do you want to buy " + qty + " XYZ phone",
})).json();
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, asked.interval * 1000));
  const answer = await (await post(issuer + "oauth/token", {
    ...client, grant_type: "urn:openid:params:grant-type:ciba", auth_req_id: asked.auth_req_id,
  })).json();
  if (answer.error === "authorization_pending" || answer.error === "slow_down") continue;
  if (answer.error !== undefined) { console.log(JSON.stringify({ denied: answer.error })); break; }
  const bought = await post(env.SHOP_API_URL, { product: "XYZ phone", qty }, {
    authorization: "Bearer " + answer.access_token, "idempotency-key": asked.auth_req_id,
  });
  console.log(JSON.stringify({ status: bought.status }));
  break;
}
`;

const run = promisify(execFile);
let testbed: Testbed;

/**
 * An agent whose run does not carry its child process, as an async function around it returns,
 * or an agent in the test's own process: the failed wait cannot end it.
 */
const runAgent = async (qty: number, delayMs: number) =>
  JSON.parse((await startAgent(qty, delayMs)).stdout) as Record<string, unknown>;
/** The agent as `promisify(execFile)` runs it: a promise that carries its child process. */
const startAgent = (qty: number, delayMs: number) =>
  run(process.execPath, ["--input-type=module", "-e", AGENT], {
    env: {
      PATH: process.env.PATH,
      ...testbed.env(),
      AGENT_QTY: String(qty),
      AGENT_DELAY_MS: String(delayMs),
    },
  });

beforeAll(async () => {
  testbed = await startTestbed({
    settings: { ciba: { intervalSeconds: 0.2 } },
    rateLimits: { perUserRequestsPerMinute: null },
  });
}, 120_000);
afterAll(() => testbed.stop());
// As the testkit README's first example.
afterEach(() => testbed.approver.expirePending());

describe("a wait that failed before its agent asked", () => {
  it("leaves the late request to nobody: the next test approves its own, and only its own is bought", async () => {
    // Test A: its agent asks after 2 s, its wait gives up after 1 s, and the test fails.
    const lateAgent = runAgent(5, 2_000);
    const failed = await testbed.approver
      .waitForRequest({ user: testbed.user }, { agent: lateAgent, timeoutMs: 1_000 })
      .catch((error: unknown) => error as Error);
    expect(failed).toBeInstanceOf(Error);
    // A's afterEach: nothing is pending yet.
    expect(await testbed.approver.expirePending()).toEqual([]);

    // Test B: its own agent, for 1 phone, asks after A's.
    const ownAgent = runAgent(1, 3_500);
    const request = await testbed.approver.waitForRequest(
      { user: testbed.user },
      { agent: ownAgent, timeoutMs: 10_000 },
    );
    expect(request.binding_message).toBe("Do you want to buy 1 XYZ phone");
    await testbed.approver.approve(request.auth_req_id);

    expect(await ownAgent).toEqual({ status: 201 });
    expect(await lateAgent).toEqual({ denied: "access_denied" });
    expect((await testbed.shop.orders()).map((order) => order.qty)).toEqual([1]);
    expect(
      (await testbed.approver.requests({ bindingMessage: "Do you want to buy 5 XYZ phone" })).map(
        (late) => late.status,
      ),
    ).toEqual(["expired"]);
    // A's failure said what becomes of its agent's request.
    expect((failed as Error).message).toMatch(
      /within 1000 ms.*until its agent ends \(60 s at most\), a request matching this filter is expired as it arrives/,
    );
  }, 60_000);

  it("ends an agent whose run carries its child process, so that it never asks", async () => {
    const since = new Date();
    const agent = startAgent(3, 2_000);
    await expect(
      testbed.approver.waitForRequest({ user: testbed.user }, { agent, timeoutMs: 500 }),
    ).rejects.toThrow("its agent's process was ended (SIGKILL)");
    await expect(agent).rejects.toMatchObject({ signal: "SIGKILL" });
    expect(await testbed.approver.requests({ since })).toEqual([]);
  }, 30_000);
});
