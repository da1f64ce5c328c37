/**
 * The apps' README examples, run as written: each shell block in bash against this worker's
 * stack (only the addresses, ports and CA path change), each TypeScript block as a module of
 * its own beside the app it imports. What each prints must be what its README says it prints.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { loadTenant } from "@ciba-testbed/mock-auth0";
import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { findPostgresBinaries, sharedPostgres } from "../support/postgres.js";
import { liveMembersAfter } from "../support/process-group.js";
import { printedAnswers as answers, readmeBlockUnder } from "../support/readme-example.js";
import { BUYER, Scenario } from "../support/scenario.js";

const DEFAULT_TENANT = "https://localhost:4010";
const DEFAULT_SHOP = "http://127.0.0.1:4020";
const DEFAULT_MODEL = "http://127.0.0.1:4030";
const PURCHASE_MESSAGE = "Do you want to buy 2 XYZ phones";

/** Runs a shell block with bash's strict options; its output, as the README's reader sees it. */
async function sh(script: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(
    "bash",
    ["--norc", "-euo", "pipefail", "-c", script],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 60_000,
    },
  );
  return stdout;
}

/** tsx's loader, by path: a block may run in a folder whose own node_modules has no tsx. */
const TSX = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/**
 * Runs a TypeScript block as a module whose imports resolve from `folder` (the repository, or
 * an app's folder, where the app's own name and its dependencies resolve as they do for its
 * reader); what it prints. The block is handed to Node as it is, not written to a file: a file
 * in the work tree would be found by the type check, the lint and Prettier, which `pnpm test`
 * runs beside these tests.
 */
async function tsModule(folder: string, text: string, env: Record<string, string> = {}) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", TSX, "--input-type=module", "-e", text],
    { cwd: path.join(REPO_ROOT, folder), env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
  );
  return stdout;
}

const hasCurl = spawnSync("curl", ["--version"]).status === 0;
const hasJq = spawnSync("jq", ["--version"]).status === 0;

describe.runIf(hasCurl)("the apps' README examples on the worker's stack", () => {
  let s: Scenario;
  let tenant: string;
  let shop: string;
  /** The block with the README's default addresses and CA path replaced by the stack's. */
  let pointed: (block: string) => string;

  beforeAll(async () => {
    s = await Scenario.shared("test/fixtures/e2e-tenant.mock-auth0.json");
    tenant = s.stack.issuer.replace(/\/$/, "");
    shop = new URL(s.stack.purchasesUrl).origin;
    pointed = (block) => {
      const script = block
        .replaceAll(DEFAULT_TENANT, tenant)
        .replaceAll(DEFAULT_SHOP, shop)
        .replace(/^CA=.*$/m, `CA=${s.stack.caCertPath}`);
      expect(script).not.toBe(block);
      return script;
    };
  });

  // The person answers through the control API, as the examples do (the approver example
  // replaces the policy, so each test sets the one it needs).
  beforeEach(async () => {
    await s.policy("manual", [
      { when: { bindingMessage: `^${PURCHASE_MESSAGE}$` }, outcome: "approve" },
    ]);
  });

  it("mock-auth0: the top block's curl answers the tenant's discovery document", async () => {
    const block = readmeBlockUnder("apps/mock-auth0/README.md", "# @ciba-testbed/mock-auth0", "sh");
    // The worker's tenant is already running: the line that starts one goes.
    const script = pointed(block.replace(/^npx mock-auth0 .*\n/m, ""));
    expect(script).not.toMatch(/^npx /m);
    const [discovery] = answers(await sh(script));
    expect(discovery).toMatchObject({
      issuer: `${tenant}/`,
      backchannel_authentication_endpoint: `${tenant}/bc-authorize`,
      token_endpoint: `${tenant}/oauth/token`,
      backchannel_token_delivery_modes_supported: ["poll"],
    });
  });

  it.runIf(hasJq)(
    "mock-auth0: Tokens renews with the refresh token once, then refuses its reuse",
    async () => {
      const block = readmeBlockUnder("apps/mock-auth0/README.md", "### Tokens", "sh");
      const [renewed, reused, ...rest] = answers(await sh(pointed(block)));
      expect(rest).toEqual([]);
      expect(renewed).toMatchObject({
        access_token: expect.stringMatching(/^eyJhbGciOiJkaXIi/),
        id_token: expect.stringMatching(/^eyJ/),
        refresh_token: expect.any(String),
        token_type: "Bearer",
        expires_in: 86400,
        scope: "openid offline_access",
      });
      expect(reused).toEqual({
        error: "invalid_grant",
        error_description: "Unknown or invalid refresh token.",
      });
    },
  );

  it("mock-auth0: The simulated approver's PUT replaces the approver's policy", async () => {
    const block = readmeBlockUnder("apps/mock-auth0/README.md", "## The simulated approver", "sh");
    const script = `CA=${s.stack.caCertPath}\n${pointed(block)}`;
    const [policy, ...rest] = answers(await sh(script));
    expect(rest).toEqual([]);
    expect(policy).toMatchObject({
      default: "approve-after:1500",
      rules: [
        { when: { user: "auth0|second-user" }, outcome: "deny" },
        { when: { bindingMessage: "tv" }, outcome: "ignore" },
        { when: { channel: "email" }, outcome: "manual" },
      ],
    });
  });

  it("README: Control API recipes list, approve, refuse a second decision, and set the policy", async () => {
    const block = readmeBlockUnder("README.md", "### Control API recipes", "sh");
    const script = pointed(block).replace(/=\.certs\/ca\.pem\b/, `=${s.stack.caCertPath}`);
    expect(script).toContain(`CURL_CA_BUNDLE=${s.stack.caCertPath} `);
    // `$ID` is a request the reader saw pending: one of this test's own.
    const asked = await s.tenant.bcAuthorize({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: "Do you want to buy 1 USB-C cable",
    });
    const id = String(asked.body.auth_req_id);

    const [pending, approved, denied, expired, refusals, policy, ...rest] = answers(
      await sh(script, { ID: id }),
    );
    expect(rest).toEqual([]);
    expect(pending).toMatchObject({
      requests: expect.arrayContaining([expect.objectContaining({ auth_req_id: id })]),
    });
    expect(approved).toMatchObject({ auth_req_id: id, status: "approved" });
    // Once decided, the request takes no other decision.
    expect(denied).toMatchObject({ error: "conflict" });
    expect(expired).toMatchObject({ error: "conflict" });
    expect(refusals).toHaveProperty("refusals");
    expect(policy).toMatchObject({
      default: "manual",
      rules: [{ when: { bindingMessage: "laptop" }, outcome: "deny" }],
    });
  });

  it("mock-auth0: As a library starts a tenant in-process and closes it", async () => {
    const block = readmeBlockUnder("apps/mock-auth0/README.md", "## As a library", "ts");
    const printed = await tsModule(".", block);
    expect(printed).toMatch(/^https:\/\/localhost:\d+\/ \.certs\/ca\.pem\n$/);
  });

  it("shop-api: the top block lists the products, then buys the approved purchase (201)", async () => {
    const block = readmeBlockUnder("apps/shop-api/README.md", "# @ciba-testbed/shop-api", "sh");
    // The worker's shop is already running: the line that starts one goes.
    const script = pointed(block.replace(/^npx shop-api .*\n/m, ""));
    expect(script).not.toMatch(/^npx /m);
    const token = await s.tenant.userToken({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: PURCHASE_MESSAGE,
      authorizationDetails: [
        { type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" },
      ],
    });
    const before = (await s.ordersOf(BUYER)).length;

    const stdout = await sh(script, { TOKEN: token });
    // `curl -i` writes the status line right after the product list, which ends without a newline.
    const [products = "", purchase = ""] = stdout.split(/(?=HTTP\/1\.1 )/);
    expect(JSON.parse(products)).toMatchObject({
      products: expect.arrayContaining([expect.objectContaining({ name: "XYZ phone" })]),
    });
    expect(purchase).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(JSON.parse(purchase.slice(purchase.indexOf("\r\n\r\n") + 4))).toMatchObject({
      status: "confirmed",
      product: { name: "XYZ phone" },
      qty: 2,
      authorization: { sub: BUYER, authorization_details_matched: true },
    });
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
  });

  it("shop-api: Several replicas makes the database and starts two shops on it that share an order", async () => {
    const block = readmeBlockUnder(
      "apps/shop-api/README.md",
      "## Several replicas (PostgreSQL)",
      "sh",
    );
    const postgres = await sharedPostgres();
    const { port } = new URL(postgres.url());
    // The database's address and the shops' ports change; in the repository, pnpm shop-api
    // runs in place of npx shop-api, as the block's last line says.
    expect(block).toMatch(/^# in the repository: pnpm shop-api in place of npx shop-api$/m);
    const script = block
      .replaceAll("@localhost/shop", `@127.0.0.1:${port}/shop`)
      .replace(/SHOP_API_PORT=402[12] npx shop-api/g, "SHOP_API_PORT=0 pnpm shop-api");
    expect(script.match(/SHOP_API_PORT=0 pnpm shop-api &$/gm)).toHaveLength(2);
    const purchaseToken = () =>
      s.tenant.userToken({
        user: BUYER,
        scope: "openid product:buy",
        bindingMessage: PURCHASE_MESSAGE,
        authorizationDetails: [
          { type: "product_purchase", product: "XYZ phone", quantity: 2, currency: "USD" },
        ],
      });
    // An approval issued before the shops' new database began its record of spent approvals.
    const early = await purchaseToken();
    const { urls, stop } = await startedInBackground(
      script,
      {
        // createdb's server, on the database's address; the shops' tenant, on the stack's.
        PATH: `${findPostgresBinaries()}${path.delimiter}${process.env.PATH}`,
        PGHOST: "127.0.0.1",
        PGPORT: port,
        AUTH0_DOMAIN: new URL(tenant).host,
        MOCK_AUTH0_CERT_DIR: path.dirname(s.stack.caCertPath),
        LOG_LEVEL: "warn",
      },
      2,
    );
    try {
      const [a = "", b = ""] = urls;
      const buy = (token: string) =>
        fetch(`${a}/api/purchases`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ product: "XYZ phone", qty: 2 }),
        });
      // It buys nothing, in the words "The record of spent approvals" shows, the time aside.
      const refused = await buy(early);
      expect(refused.status).toBe(403);
      const sample = readmeBlockUnder(
        "apps/shop-api/README.md",
        "### The record of spent approvals",
        "text",
      );
      const anyTime = (text: string) =>
        text.trim().replace(/\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)/, "(<time>)");
      expect(anyTime(sample)).toContain("(<time>)");
      const { error_description } = (await refused.json()) as { error_description: string };
      expect(anyTime(error_description)).toBe(anyTime(sample));

      const token = await purchaseToken();
      const bought = await buy(token);
      expect(bought.status).toBe(201);
      const order = (await bought.json()) as { id: string };
      // The other replica knows it: the orders are the database's.
      const listed = await fetch(`${b}/api/purchases`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await listed.json()) as { orders: { id: string }[] }).orders).toEqual([
        expect.objectContaining({ id: order.id }),
      ]);
    } finally {
      await stop();
      // A second run in this worker makes the database again.
      const client = new pg.Client({ connectionString: postgres.url() });
      await client.connect();
      await client.query("DROP DATABASE shop WITH (FORCE)");
      await client.end();
    }
  });
});

describe("mock-auth0's Validation", () => {
  it("shows what a tenant with a mistyped grant type and a scope without value gets, word for word", async () => {
    // The repository's auth0/, with the two mistakes the README's sample names.
    const folder = await makeScratchFolder("ciba-readme-tenant-");
    try {
      cpSync(path.join(REPO_ROOT, "auth0"), path.join(folder, "auth0"), { recursive: true });
      const file = path.join(folder, "auth0/tenant.yaml");
      const mistyped = readFileSync(file, "utf8")
        .replace("- urn:openid:params:grant-type:ciba\n", "- urn:openid:params:grant-type:cibaa\n")
        .replace("- value: product:buy\n        description:", "- description:");
      writeFileSync(file, mistyped);
      const sample = readmeBlockUnder("apps/mock-auth0/README.md", "### Validation", "text");
      expect(() =>
        loadTenant({ tenant: file, settings: path.join(folder, "auth0/mock-auth0.json") }),
      ).toThrow(
        sample.trimEnd().replaceAll("auth0/tenant.yaml", path.join(folder, "auth0/tenant.yaml")),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/**
 * Runs a shell block whose last commands start servers in the background (`... &`), in a process
 * group of its own; resolves once `count` of them printed their ready record, to their URLs and
 * a `stop()` that ends the group.
 */
async function startedInBackground(script: string, env: Record<string, string>, count: number) {
  const shell = spawn("bash", ["--norc", "-euo", "pipefail", "-c", script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const group = shell.pid!;
  const stop = async () => {
    try {
      process.kill(-group, "SIGTERM");
    } catch {
      // Already gone.
    }
    expect(await liveMembersAfter(group, 10_000)).toEqual([]);
  };
  let stderr = "";
  shell.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const urls: string[] = [];
  for await (const line of createInterface({ input: shell.stdout })) {
    if (line.startsWith('{"ready":true'))
      urls.push(String((JSON.parse(line) as { url: unknown }).url));
    if (urls.length === count) return { urls, stop };
  }
  await stop();
  throw new Error(`${urls.length} of ${count} servers became ready:\n${stderr}`);
}

describe.runIf(hasCurl)("the model-server README's examples", () => {
  let model: SupervisedChild;
  let url: string;
  /** The block with the README's default address replaced by this model server's. */
  const pointed = (block: string) => {
    const script = block.replaceAll(DEFAULT_MODEL, url);
    expect(script).not.toBe(block);
    return script;
  };

  beforeAll(async () => {
    // The examples start a model server; the one the test starts stands for it.
    const started = await SupervisedChild.start({
      name: "model-server (README examples)",
      script: "apps/model-server/src/main.ts",
      runner: {},
      env: { MODEL_SERVER_PORT: "0", MODEL_SERVER_API_KEY: "", LOG_LEVEL: "warn" },
    });
    model = started.child;
    url = started.ready.url;
  });

  afterAll(async () => {
    await model.stop();
  });

  it("the top block's curl gets a call of the purchase tool for 2 XYZ phones", async () => {
    const block = readmeBlockUnder(
      "apps/model-server/README.md",
      "# @ciba-testbed/model-server",
      "sh",
    );
    // The server is the test's; `--help` runs as in the repository (pnpm model-server).
    const script = pointed(
      block
        .replace(/^npx model-server +#.*\n/m, "")
        .replace(/^npx model-server --help$/m, "pnpm -s model-server --help"),
    );
    expect(script).not.toMatch(/^npx /m);
    const stdout = await sh(script);
    // The help first, then the answer of the curl: the one line that starts a JSON text.
    const start = stdout.search(/^\{/m);
    expect(stdout.slice(0, start)).toMatch(/MODEL_SERVER_PORT/);
    const [completion] = answers(stdout.slice(start));
    expect(completion).toMatchObject({
      object: "chat.completion",
      choices: [
        {
          finish_reason: "tool_calls",
          message: {
            tool_calls: [
              {
                type: "function",
                function: {
                  name: "shop_online",
                  arguments: JSON.stringify({ product: "XYZ phone", qty: 2 }),
                },
              },
            ],
          },
        },
      ],
    });
  });

  it("Scripted replies queues three replies, then clears them", async () => {
    const block = readmeBlockUnder("apps/model-server/README.md", "## Scripted replies", "sh");
    const [queued, cleared, ...rest] = answers(await sh(pointed(block)));
    expect(rest).toEqual([]);
    expect(queued).toMatchObject({ queued: 3 });
    expect(cleared).toMatchObject({ cleared: 3 });
  });

  it("Point an agent at it: both clients, on the two variables, reach this server", async () => {
    const exports = readmeBlockUnder(
      "apps/model-server/README.md",
      "## Point an agent at it",
      "sh",
    );
    const env = Object.fromEntries(
      [...pointed(exports).matchAll(/^export (\w+)=(\S+)/gm)].map(([, name = "", value = ""]) => [
        name,
        value,
      ]),
    );
    expect(env).toEqual({ OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: "test" });
    const block = readmeBlockUnder("apps/model-server/README.md", "## Point an agent at it", "ts");
    // The block only makes the models and clients; a request through each default one shows
    // that they read the two variables, and which API each speaks.
    const printed = await tsModule(
      "apps/model-server",
      `${block}
import { generateText } from "ai";
const responses = await generateText({ model: openai("gpt-4o-mini"), prompt: "Hello" });
const chat = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "Hello" });
const client = await new OpenAI().models.list();
console.log(JSON.stringify({ responses: responses.text, chat: chat.text, models: client.data.length }));
`,
      env,
    );
    const answer = JSON.parse(printed) as { responses: string; chat: string; models: number };
    expect(answer.responses).toBe(answer.chat);
    expect(answer.models).toBeGreaterThan(0);
    const log = (await (await fetch(`${url}/v1/testing/requests`)).json()) as {
      requests: { endpoint: string; lastUserText: string }[];
    };
    expect(log.requests.filter((r) => r.lastUserText === "Hello").map((r) => r.endpoint)).toEqual([
      "responses",
      "chat.completions",
    ]);
  });

  it("Point an agent at it: startModelServer serves on a free port and closes", async () => {
    const block = readmeBlockUnder(
      "apps/model-server/README.md",
      "## Point an agent at it",
      "ts",
      1,
    );
    expect(block).toContain("startModelServer");
    const printed = await tsModule("apps/model-server", block);
    expect(printed).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\n$/);
  });
});
