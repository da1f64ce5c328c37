/**
 * `@ciba-testbed/testkit` from this workspace (its source, servers run by tsx): the approver's
 * decisions as a CIBA client sees them, the approver and rate-limit options, and the shop's
 * orders read without a person's token. The packed build is tested in testkit-pack.e2e.test.ts.
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { X509Certificate } from "node:crypto";
import { setTimeout as wait } from "node:timers/promises";
import { syncBuiltinESMExports } from "node:module";
import { mock } from "node:test";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { httpsJson } from "@ciba-testbed/stack";

import { SECOND_BUYER } from "../support/scenario.js";
import { TenantClient } from "../support/tenant-client.js";

import { ensureTestbedCa, startTestbed } from "@ciba-testbed/testkit";
import type { Testbed, TestbedCa } from "@ciba-testbed/testkit";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";

const SCOPE = "openid product:buy";

describe("startTestbed", () => {
  let testbed: Testbed;
  let tenant: TenantClient;
  // A CA made first by ensureTestbedCa, as a globalSetup makes it, in a folder of this file's.
  let certDir: string;
  let made: TestbedCa;
  let madePem: string;

  beforeAll(async () => {
    certDir = await makeScratchFolder("ciba-testkit-certs-");
    // A CI shell's own listen addresses, on loopback but not where localhost leads: the
    // testbed's servers must not take them, or its URLs would reach nothing.
    vi.stubEnv("MOCK_AUTH0_HOST", "127.0.0.2");
    vi.stubEnv("SHOP_API_HOST", "127.0.0.2");
    // And settings of the servers' own that would stop them: the testbed's servers do what
    // startTestbed's options say, nothing the shell says.
    vi.stubEnv("MOCK_AUTH0_SIGNING_KEYS", "/nonexistent/signing-keys.json");
    vi.stubEnv("SHOP_API_TOKEN_CACHE_SIZE", "many");
    // A shell that trusts no extra CA (a CI image may name its system bundle there): then
    // NODE_EXTRA_CA_CERTS is to name the tenant's CA itself. The bundle it otherwise names is
    // the proxy test's below.
    vi.stubEnv("NODE_EXTRA_CA_CERTS", undefined);
    try {
      made = await ensureTestbedCa({ certDir });
      madePem = readFileSync(made.caCertPath, "utf8");
      testbed = await startTestbed({
        certDir,
        approver: {
          default: "manual",
          rules: [{ when: { bindingMessage: "^auto" }, outcome: "approve" }],
        },
        // Room for the seven requests the tests make for the first person, not for more.
        rateLimits: { perUserRequestsPerMinute: 7 },
        settings: { ciba: { intervalSeconds: 0.1 } },
      });
    } finally {
      vi.unstubAllEnvs();
    }
    tenant = new TenantClient(testbed.issuer, testbed.caCertPath);
  });
  afterAll(async () => {
    await testbed.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  /** This test runs as in a shell that names no extra CA, whatever the one running it names. */
  const trustNoExtraCa = () => {
    vi.stubEnv("NODE_EXTRA_CA_CERTS", undefined);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
  };

  const ask = async (bindingMessage: string, user = testbed.user) => {
    const answer = await tenant.bcAuthorize({ user, scope: SCOPE, bindingMessage });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return String(answer.body.auth_req_id);
  };

  it("names everything an agent needs in env(), and serves on free ports of localhost whatever the shell's *_HOST and other server settings", () => {
    trustNoExtraCa();
    expect(testbed.issuer).toMatch(/^https:\/\/localhost:\d+\/$/);
    expect(testbed.shopApiUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(testbed.env()).toEqual({
      AUTH0_DOMAIN: testbed.auth0Domain,
      AUTH0_CLIENT_ID: "ciba-testbed-agent",
      AUTH0_CLIENT_SECRET: "ciba-testbed-agent-secret",
      SHOP_API_URL: testbed.purchasesUrl,
      SHOP_API_AUDIENCE: "sample-shop-api",
      AGENT_USER_ID: "auth0|testbed-user",
      NODE_EXTRA_CA_CERTS: testbed.caCertPath,
    });
  });

  it("ensureTestbedCa makes the CA a testbed with the same certDir then serves under, and finds it again", async () => {
    trustNoExtraCa();
    expect(made).toEqual({
      caCertPath: testbed.caCertPath,
      created: true,
      nodeExtraCaCerts: testbed.caCertPath,
    });
    expect(new X509Certificate(madePem).ca).toBe(true);
    // The tenant kept it, and its TLS answers verify against it alone.
    expect(readFileSync(testbed.caCertPath, "utf8")).toBe(madePem);
    const discovery = await httpsJson(new URL(".well-known/openid-configuration", testbed.issuer), {
      ca: madePem,
    });
    expect(discovery.status).toBe(200);
    // Made once: a later run of the setup reuses it, so the processes that trust it keep doing so.
    expect(await ensureTestbedCa({ certDir })).toEqual({ ...made, created: false });
    expect(readFileSync(made.caCertPath, "utf8")).toBe(madePem);
  });

  it("env() keeps the CAs NODE_EXTRA_CA_CERTS names already: an agent reaches the tenant and a server behind the runner's proxy", async () => {
    // The runner's TLS-intercepting proxy: a CA of its own, and a server it signs for.
    const proxyDir = await makeScratchFolder("ciba-testkit-proxy-ca-");
    const proxy = await ensureLocalCertificates(proxyDir);
    const server = createHttpsServer({ cert: proxy.cert, key: proxy.key }, (_req, res) =>
      res.end("through the proxy"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      vi.stubEnv("NODE_EXTRA_CA_CERTS", proxy.caCertPath);
      const env = { ...process.env, ...testbed.env() };
      vi.unstubAllEnvs();
      expect(env.NODE_EXTRA_CA_CERTS).not.toBe(proxy.caCertPath);
      const agent = await promisify(execFile)(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `for (const url of process.argv.slice(1)) console.log((await fetch(url)).status);`,
          `https://localhost:${port}/`,
          new URL(".well-known/openid-configuration", testbed.issuer).href,
        ],
        { env },
      );
      expect(agent.stdout.split("\n")).toEqual(["200", "200", ""]);

      vi.stubEnv("NODE_EXTRA_CA_CERTS", path.join(proxyDir, "gone.pem"));
      expect(() => testbed.env()).toThrow(
        `NODE_EXTRA_CA_CERTS names ${path.join(proxyDir, "gone.pem")}, which cannot be read (ENOENT)`,
      );
    } finally {
      vi.unstubAllEnvs();
      server.close();
      rmSync(proxyDir, { recursive: true, force: true });
    }
  });

  it("ensureTestbedCa fails naming a certDir mock-auth0 cannot use, and the option that moves it", async () => {
    await expect(ensureTestbedCa({ certDir: "/proc/ciba-testbed-certs" })).rejects.toThrow(
      /^mock-auth0 could not make its CA: mock-auth0 cannot keep its local CA and signing keys in \/proc\/ciba-testbed-certs .*the testkit's certDir option/,
    );
  });

  it("approve, deny and expire decide what the client's next poll gets", async () => {
    const ids = {
      approve: await ask("Do you want to buy 1 XYZ phone"),
      deny: await ask("Do you want to buy 2 XYZ phone"),
      expire: await ask("Do you want to buy 3 XYZ phone"),
    };
    const found = await testbed.approver.waitForRequest({ bindingMessage: /buy 2 XYZ/ });
    expect(found).toMatchObject({ auth_req_id: ids.deny, user: testbed.user, status: "pending" });

    expect((await testbed.approver.approve(ids.approve)).status).toBe("approved");
    expect((await testbed.approver.deny(ids.deny)).status).toBe("denied");
    expect((await testbed.approver.expire(ids.expire)).status).toBe("expired");

    expect((await tenant.grant(ids.approve)).body).toMatchObject({ token_type: "Bearer" });
    expect((await tenant.grant(ids.deny)).body.error).toBe("access_denied");
    expect((await tenant.grant(ids.expire)).body.error).toBe("access_denied");
    const timeline = (await testbed.approver.request(ids.expire)).timeline.map((e) => e.type);
    expect(timeline).toEqual(["created", "expired", "poll"]);
  });

  it("applies the approver policy it was started with, and one set later", async () => {
    const auto = await ask("auto: a USB-C cable");
    expect((await testbed.approver.request(auto)).status).toBe("approved");

    await testbed.approver.setPolicy({ default: "deny" });
    const denied = await ask("Do you want to buy 4 XYZ phone");
    expect((await testbed.approver.request(denied)).status).toBe("denied");
    expect(await testbed.approver.policy()).toEqual({ default: "deny", rules: [] });
    await testbed.approver.setPolicy({ default: "manual" });
  });

  it("buys at env()'s SHOP_API_URL, and reads the shop's orders of one person, without their token", async () => {
    const id = await ask("Do you want to buy 1 XYZ phone");
    await testbed.approver.approve(id);
    const { body } = await tenant.grant(id);
    const order = await fetch(testbed.env().SHOP_API_URL ?? "", {
      method: "POST",
      headers: {
        authorization: `Bearer ${String(body.access_token)}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ product: "XYZ phone", qty: 1 }),
    });
    expect(order.status).toBe(201);
    const placed = (await order.json()) as { id: string };

    expect((await testbed.shop.orders()).map((o) => o.id)).toEqual([placed.id]);
    expect(await testbed.shop.orders(SECOND_BUYER)).toEqual([]);
  });

  it("applies its rate-limit option: a person's eighth request in a minute is refused", async () => {
    const answers: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const answer = await tenant.bcAuthorize({
        user: SECOND_BUYER,
        scope: SCOPE,
        bindingMessage: `Do you want to buy ${i} AA battery`,
      });
      answers.push(answer.status);
    }
    expect(answers).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
  });

  it("says what it waited for, and what the tenant refused", async () => {
    await expect(
      testbed.approver.waitForRequest({ user: "auth0|nobody" }, { timeoutMs: 100 }),
    ).rejects.toThrow(
      /No consent request matching \{"status":"pending","user":"auth0\|nobody"\} within 100 ms/,
    );
    // A request answered before the wait is not pending: the message says it exists.
    await testbed.approver.approve(await ask("Answered before the wait"));
    await expect(
      testbed.approver.waitForRequest({ bindingMessage: /^Answered before/ }, { timeoutMs: 100 }),
    ).rejects.toThrow(/; 1 match but for the status: approved \(decided before the wait began: /);
    await expect(testbed.approver.approve("no-such-request")).rejects.toMatchObject({
      code: "TESTBED_NO_SUCH_REQUEST",
      message: expect.stringMatching(
        /^approver\.approve\("no-such-request"\): the tenant has no consent request no-such-request \(No backchannel request no-such-request\): pass the auth_req_id/,
      ) as unknown,
    });
  });
});

describe("startTestbed on its defaults", () => {
  let testbed: Testbed | undefined;
  afterAll(() => testbed?.stop());

  it("paces polls as Auth0 does: an agent that polls every 2 s whatever the interval meets slow_down", async () => {
    testbed = await startTestbed();
    const tenant = new TenantClient(testbed.issuer, testbed.caCertPath);
    const started = await tenant.bcAuthorize({
      user: testbed.user,
      scope: SCOPE,
      bindingMessage: "Do you want to buy 1 XYZ phone",
    });
    expect(started.body).toMatchObject({ expires_in: 300, interval: 5 });

    // The agent's own fixed pace, not the test waiting for time: it ignores `interval`.
    const id = String(started.body.auth_req_id);
    const polls = [await tenant.grant(id)];
    await wait(2_000);
    polls.push(await tenant.grant(id));
    expect(polls.map((poll) => [poll.status, poll.body.error])).toEqual([
      [400, "authorization_pending"],
      [429, "slow_down"],
    ]);
  }, 30_000);

  it("waits and times out on real time under a test's fake timers", async () => {
    // A team fakes timers to skip its agent's poll interval: the wait never ended nor timed
    // out, and the test failed at Vitest's own timeout without a word of why.
    testbed ??= await startTestbed();
    const tenant = new TenantClient(testbed.issuer, testbed.caCertPath);
    vi.useFakeTimers();
    try {
      const asked = tenant.bcAuthorize({
        user: testbed.user,
        scope: SCOPE,
        bindingMessage: "Under fake timers",
      });
      await expect(
        testbed.approver.waitForRequest({ bindingMessage: /^Under fake timers$/ }),
      ).resolves.toMatchObject({ auth_req_id: (await asked).body.auth_req_id });
      await expect(
        testbed.approver.waitForRequest({ user: "auth0|nobody" }, { timeoutMs: 200 }),
      ).rejects.toThrow(/No consent request matching .* within 200 ms/);
    } finally {
      vi.useRealTimers();
    }
    // node:test's mock timers replace node:timers' own setTimeout too, which the wait read at
    // each wait: the CommonJS build's never ended. This module is ES, whose view of node:timers
    // follows the CommonJS one only when synced: synced, it sees what the CommonJS build does.
    mock.timers.enable({ apis: ["setTimeout"] });
    syncBuiltinESMExports();
    try {
      await expect(
        testbed.approver.waitForRequest({ user: "auth0|nobody" }, { timeoutMs: 200 }),
      ).rejects.toThrow(/No consent request matching .* within 200 ms/);
    } finally {
      mock.timers.reset();
      syncBuiltinESMExports();
    }
  }, 30_000);
});

describe("startTestbed with an API identifier and a shop address of the team's own", () => {
  const AUDIENCE = "https://api.mycompany.example/shop";
  let testbed: Testbed | undefined;
  afterAll(() => testbed?.stop());

  it("names the tenant's identifier as the audience, and its shop takes the tokens for it", async () => {
    testbed = await startTestbed({
      approver: "approve",
      settings: { keywords: { SHOP_API_AUDIENCE: AUDIENCE }, ciba: { intervalSeconds: 0.1 } },
      // The shop's own address, given as its variable: the URLs name where it listens.
      shop: { env: { SHOP_API_HOST: "127.0.0.2" } },
    });
    expect(testbed.purchasesUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/api\/purchases$/);
    expect(testbed.audience).toBe(AUDIENCE);
    expect(testbed.env().SHOP_API_AUDIENCE).toBe(AUDIENCE);

    const tenant = new TenantClient(testbed.issuer, testbed.caCertPath);
    const token = await tenant.userToken({
      user: testbed.user,
      scope: SCOPE,
      bindingMessage: "Do you want to buy 1 XYZ phone",
      audience: testbed.audience,
    });
    const order = await fetch(testbed.purchasesUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ product: "XYZ phone", qty: 1 }),
    });
    expect(order.status, await order.clone().text()).toBe(201);
  }, 30_000);
});
