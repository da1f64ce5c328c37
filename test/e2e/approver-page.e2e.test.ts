import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import {
  ManualClock,
  SigningKeys,
  loadTenant,
  startMockAuth0,
  tenantWith,
} from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { httpsJson } from "@ciba-testbed/stack";
import { launchChromium } from "@ciba-testbed/stack/browser";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { BUYER, SECOND_BUYER, Scenario } from "../support/scenario.js";
import { AGENT_CLIENT, TenantClient } from "../support/tenant-client.js";

/** What the tests read of a rendered element (the test's types have no DOM). */
interface RenderedElement {
  textContent: string;
  ownerDocument: {
    createRange(): {
      selectNodeContents(node: unknown): void;
      getClientRects(): Iterable<{ top: number; width: number }>;
    };
  };
}

// The approver page in a real browser, deciding requests that the real agent CLI is waiting on.
describe("the approver page", () => {
  let s: Scenario;
  let browser: Browser;
  /**
   * One tab for the tests on the stack's tenant, loaded again for each of them: every test
   * starts on a fresh page, without a browser context (a window and its processes) of its own.
   */
  let page: Page;
  /** The tenants this file starts in this process share one pair of signing keys. */
  let keys: Promise<SigningKeys> | undefined;
  const signingKeys = () => (keys ??= SigningKeys.create());
  /** Set while the tests on a tenant of their own run: they open that tenant's page themselves. */
  let onOwnTenant = false;
  /** Browser contexts that outlive a test: the tabs shared by the tests. */
  const kept = new Set<BrowserContext>();

  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("manual");
    browser = await launchChromium(path.dirname(s.stack.caCertPath));
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    kept.add(page.context());
  });
  afterAll(async () => {
    await browser.close();
    await s.stop();
  });
  beforeEach(async () => {
    if (onOwnTenant) return;
    await page.goto(`${s.stack.issuer}approver`);
    await page.getByText("Live", { exact: true }).waitFor();
  });
  // An open page keeps its event stream and its clock running: the pages a test opened are
  // closed after it, so the browser is not rendering every earlier test's page beside the
  // current one.
  afterEach(async () => {
    await Promise.all(
      browser
        .contexts()
        .filter((context) => !kept.has(context))
        .map((context) => context.close()),
    );
  });

  // A card, an item of Recent or an email is found by its whole message: a part of one ("buy 1
  // XYZ phone") is also part of another ("buy 1 XYZ phone case"), and a test would then act on,
  // or be satisfied by, a request that is not its own.
  /** `tab`'s waiting request whose message is `message`, as a whole. */
  const cardOn = (tab: Page, message: string) =>
    tab.locator(".card").filter({ has: tab.getByText(message, { exact: true }) });
  /** `tab`'s item of Recent whose message is `message`, as a whole. */
  const historyOn = (tab: Page, message: string) =>
    tab.locator(".history > li").filter({ has: tab.getByText(message, { exact: true }) });
  /** `tab`'s email whose request code (the binding message) is `message`, as a whole. */
  const mailOn = (tab: Page, message: string) =>
    tab.locator("#emails .mail").filter({ has: tab.getByText(message, { exact: true }) });
  const card = (message: string) => cardOn(page, message);
  /** The binding messages of the agent's purchases (`purchaseBindingMessage`). */
  const TWO_PHONES = "Do you want to buy 2 XYZ phones for max 998 USD";
  const ONE_CABLE = "Do you want to buy 1 USB-C cable for max 9.99 USD";
  const THREE_CABLES = "Do you want to buy 3 USB-C cables for max 29.97 USD";
  const ONE_LAPTOP = "Do you want to buy 1 ABC laptop for max 1299 USD";
  const ONE_PHONE = "Do you want to buy 1 XYZ phone for max 499 USD";

  /** A pending sign-in request put straight into `tenant`'s store, as `/bc-authorize` would. */
  function createSignIn(
    tenant: RunningMockAuth0,
    authReqId: string,
    bindingMessage = "Do you want to sign in",
  ) {
    const created = tenant.store.create({
      authReqId,
      clientId: "ciba-testbed-agent",
      userId: BUYER,
      scope: ["openid"],
      audience: undefined,
      bindingMessage,
      authorizationDetails: undefined,
      requestedExpiry: undefined,
      channel: "guardian-push",
      userEmail: "buyer@example.com",
      approverOutcome: { action: "manual" },
      expiresInSeconds: 60,
    });
    expect(created.ok).toBe(true);
  }

  /** A tenant in this process that wants `controlToken`, on `port` (0: any free one). */
  const startLocked = async (controlToken: string, port = 0) =>
    startMockAuth0({
      tenant: loadTenant(),
      port,
      host: "127.0.0.1",
      certDir: path.dirname(s.stack.caCertPath),
      controlToken,
      keys: await signingKeys(),
    });

  it("shows the request with its details and places the order on Approve", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const agent = s.agent(["Buy 2 XYZ phones"]);

    const pending = card(TWO_PHONES);
    await pending.waitFor();
    await expect(pending.locator(".client").textContent()).resolves.toBe("Shopping agent");
    await expect(pending.locator(".user").textContent()).resolves.toBe(`Test Buyer (${BUYER})`);
    await expect(pending.locator(".scope").textContent()).resolves.toBe("openid product:buy");
    await expect(pending.locator("td").allTextContents()).resolves.toEqual([
      "XYZ phone",
      "2",
      "$998.00",
      "USD",
      // The agent's own id for the purchase, its order's Idempotency-Key.
      expect.stringMatching(/^pur_[0-9a-f-]{36}$/),
    ]);
    await expect(pending.locator(".unbound").isHidden()).resolves.toBe(true);
    await expect(pending.locator(".countdown").textContent()).resolves.toMatch(
      /^Expires in [0-5]:\d\d$/,
    );

    await page.getByRole("button", { name: /^Approve: 2 \u00d7 XYZ phone,/ }).click();
    const run = await agent;
    expect(run.json.outcome).toBe("ORDERED");
    expect((await s.ordersOf(BUYER)).slice(before).map((o) => o.id)).toEqual([run.json.order?.id]);

    const history = historyOn(page, TWO_PHONES);
    await history.getByText("Approved \u00b7 token issued", { exact: true }).waitFor();
    await expect(pending.count()).resolves.toBe(0);
    const consent = await s.stack.control.request(String(run.json.authReqId));
    expect(consent.decision).toMatchObject({ decision: "approve", by: "approver-page" });
  });

  it("ends the purchase on Deny, keyboard only", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const agent = s.agent(["Buy a USB-C cable"]);
    await card(ONE_CABLE).waitFor();

    await page.getByRole("button", { name: /^Deny: 1 \u00d7 USB-C cable,/ }).focus();
    await page.keyboard.press("Enter");
    const run = await agent;
    expect(run.json.outcome).toBe("DENIED");
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    await historyOn(page, ONE_CABLE).getByText("Denied", { exact: true }).waitFor();
  });

  it("says the tenant did not answer when a decision cannot reach it, and lets the person try again", async () => {
    const agent = s.agent(["Buy 3 USB-C cables"]);
    await card(THREE_CABLES).waitFor();
    const decision = "**/approver/api/requests/*/approve";
    await page.route(decision, (route) => route.abort("connectionrefused"));
    const approve = page.getByRole("button", {
      name: /^Approve: 3 \u00d7 USB-C cable,/,
    });

    await approve.click();
    await card(THREE_CABLES)
      .getByRole("alert")
      .getByText(
        "Could not approve: the tenant did not answer (is mock-auth0 still running?). The page shows the request as it stands once the tenant is back.",
        { exact: true },
      )
      .waitFor();
    await page.unroute(decision);
    await expect(approve.isEnabled()).resolves.toBe(true);
    await page.getByRole("button", { name: /^Deny: 3 \u00d7 USB-C cable,/ }).click();
    expect((await agent).json.outcome).toBe("DENIED");
  });

  it("moves a request that expires while the page is open to history", async () => {
    // The shortest expiry the tenant accepts: the page still shows the request before it ends.
    const agent = s.agent(["Buy an ABC laptop", "--expiry", "1"]);
    await card(ONE_LAPTOP).waitFor();
    const run = await agent;
    expect(run.json.outcome).toBe("EXPIRED");
    await historyOn(page, ONE_LAPTOP).getByText("Expired", { exact: true }).waitFor();
    await expect(card(ONE_LAPTOP).count()).resolves.toBe(0);
  });

  it("cannot be used by a page on another origin to approve", async () => {
    const agent = s.agent(["Buy an XYZ phone", "--expiry", "20"]);
    await card(ONE_PHONE).waitFor();
    const consent = await s.stack.control.waitForPending((c) => c.binding_message === ONE_PHONE);

    // A hostile page submits a plain form (no CORS preflight) to the approve endpoint.
    const evil = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(
        `<form method="post" action="${s.stack.issuer}approver/api/requests/${consent.auth_req_id}/approve"></form>` +
          "<script>document.forms[0].submit()</script>",
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      const other = await browser.newPage();
      const answer = other.waitForResponse((r) => r.url().endsWith("/approve"));
      await other.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      expect((await answer).status()).toBe(403);
      await other.close();
    } finally {
      evil.close();
    }
    expect((await s.stack.control.request(consent.auth_req_id)).status).toBe("pending");
    await page.getByRole("button", { name: /^Deny: 1 \u00d7 XYZ phone,/ }).click();
    expect((await agent).json.outcome).toBe("DENIED");
  });

  it("says so when an API token's request names nothing approved: only the agent's message describes it", async () => {
    const started = await s.tenant.post("bc-authorize", {
      ...AGENT_CLIENT,
      scope: "openid product:buy",
      audience: "sample-shop-api",
      login_hint: JSON.stringify({ format: "iss_sub", iss: s.stack.issuer, sub: BUYER }),
      binding_message: "Unbound check",
    });
    expect(started.status).toBe(200);
    try {
      const unbound = card("Unbound check");
      await unbound.waitFor();
      await expect(unbound.locator(".unbound").isVisible()).resolves.toBe(true);
    } finally {
      await s.stack.control.deny(String(started.body.auth_req_id));
    }
  });

  it("shows the newest 50 pending requests, and older ones on demand", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 55; i += 1) {
      const started = await s.tenant.post("bc-authorize", {
        ...AGENT_CLIENT,
        scope: "openid",
        login_hint: JSON.stringify({ format: "iss_sub", iss: s.stack.issuer, sub: BUYER }),
        binding_message: `Page check ${String(i).padStart(2, "0")}`,
      });
      expect(started.status).toBe(200);
      ids.push(String(started.body.auth_req_id));
    }
    try {
      await page.reload();
      await page.getByText("Live", { exact: true }).waitFor();
      const checks = page.locator(".card", { hasText: /Page check/ });
      await card("Page check 55").waitFor();
      await expect(checks.count()).resolves.toBe(50);
      await expect(card("Page check 05").count()).resolves.toBe(0);
      expect(Number(await page.locator("#pending-count").textContent())).toBeGreaterThanOrEqual(55);

      await page.getByRole("button", { name: "Show older requests" }).click();
      await card("Page check 01").waitFor();
      await expect(checks.count()).resolves.toBe(55);
      await expect(
        page.getByRole("button", { name: "Show older requests" }).isHidden(),
      ).resolves.toBe(true);
    } finally {
      for (const id of ids) await s.stack.control.deny(id);
    }
  });

  it("asks for the control token when the tenant has one, and keeps it out of the URL", async () => {
    // "+", "/" and "=", as a base64 secret holds them: "#token=" reads them as written.
    const token = "e2e+control/token-0123456789==";
    const locked = await startLocked(token);
    try {
      // Each page has a context of its own: nothing the page keeps is shared between them.
      const visitor = await browser.newPage();
      await visitor.goto(`${locked.issuer}approver`);
      await visitor
        .getByRole("heading", { name: "This tenant needs its control token", exact: true })
        .waitFor();
      await expect(visitor.locator("#connection").textContent()).resolves.toBe("Locked");
      // The focus is in the token's box, the one thing to do here.
      await expect(visitor.locator("#token:focus").count()).resolves.toBe(1);
      await visitor
        .getByLabel("Control token", { exact: true })
        .fill("not-the-control-token-at-all");
      await visitor.getByRole("button", { name: "Unlock" }).click();
      await visitor
        .getByText("That is not this tenant's control token.", { exact: true })
        .waitFor();
      // A character no header can carry (an em dash a paste brought) is refused as well, and
      // kept nowhere: the page does not try it again on a reload.
      await visitor
        .getByLabel("Control token", { exact: true })
        .fill("e2e+control/token\u20140123456789==");
      await visitor.getByRole("button", { name: "Unlock" }).click();
      await visitor
        .getByText("That is not this tenant's control token.", { exact: true })
        .waitFor();
      await expect(visitor.evaluate("sessionStorage.length")).resolves.toBe(0);
      await visitor.getByLabel("Control token", { exact: true }).fill(token);
      await visitor.getByRole("button", { name: "Unlock" }).click();
      await visitor.getByText("Live", { exact: true }).waitFor();
      await visitor.close();

      const owner = await browser.newPage();
      await owner.goto(`${locked.issuer}approver#token=${token}`);
      await owner.getByText("Live", { exact: true }).waitFor();
      expect(owner.url()).toBe(`${locked.issuer}approver`);
      // A request made now reaches the open page through its event stream.
      createSignIn(locked, "locked-request");
      await owner
        .getByRole("button", { name: /^Approve: Do you want to sign in \(request \u2026[\w-]+\)$/ })
        .click();
      await owner.locator(".history > li .outcome.approved").waitFor();
      expect(locked.store.get("locked-request")?.decision).toMatchObject({ by: "approver-page" });
    } finally {
      await locked.close();
    }
  });

  it("leaves no cookie a server on another port of localhost could replay, and takes none", async () => {
    const token = "e2e-control-token-0123456789";
    let tenant = await startLocked(token);
    const { port } = new URL(tenant.issuer);
    /** The tenant started again on its port, with `controlToken`. */
    const restart = async (controlToken: string) => {
      await tenant.close();
      tenant = await startLocked(controlToken, Number(port));
    };
    try {
      const owner = await browser.newPage();
      await owner.goto(`${tenant.issuer}approver#token=${token}`);
      await owner.getByText("Live", { exact: true }).waitFor();
      createSignIn(tenant, "cookie-check");
      await cardOn(owner, "Do you want to sign in").waitFor();

      // The browser holds no cookie for localhost: nothing another local server is sent.
      await expect(owner.context().cookies()).resolves.toEqual([]);
      // A request with cookies alone, the token's among them, is refused, and changes nothing.
      const ca = readFileSync(tenant.caCertPath);
      const cookie = `__Host-mock-auth0-control-${port}=${token}; token=${token}`;
      for (const [method, endpoint] of [
        ["GET", "approver/api/requests"],
        ["GET", "approver/api/policy"],
        ["POST", "approver/api/requests/cookie-check/approve"],
      ] as const) {
        const answer = await httpsJson(new URL(endpoint, tenant.issuer), {
          method,
          ca,
          headers: { Cookie: cookie },
        });
        expect(answer.status, endpoint).toBe(401);
      }
      expect(tenant.store.get("cookie-check")?.status).toBe("pending");

      // A reload keeps the token for this tab, with no #token= in the address.
      await owner.reload();
      await owner.getByText("Live", { exact: true }).waitFor();
      await cardOn(owner, "Do you want to sign in").waitFor();

      // The tenant starts again with the same token: the page reconnects after a pause and reads
      // a new snapshot, in which the old tenant's request is gone and the new one's is.
      await restart(token);
      createSignIn(tenant, "after-restart", "Do you want to sign in again");
      await cardOn(owner, "Do you want to sign in again").waitFor();
      await expect(owner.locator(".card").count()).resolves.toBe(1);
      await owner.getByText("Live", { exact: true }).waitFor();
      await owner.getByRole("button", { name: /^Deny: Do you want to sign in again/ }).click();
      await owner.locator(".history > li .outcome.denied").waitFor();
      expect(tenant.store.get("after-restart")?.decision).toMatchObject({ by: "approver-page" });

      // The tenant starts again with another token: the page's token is no longer taken, and
      // the page says so (it would say "Reconnecting…" for ever, cards and all).
      await restart(`${token}-another`);
      await owner
        .getByText(
          "The tenant no longer takes this page's control token (it started again with another one): unlock it again.",
          { exact: true },
        )
        .waitFor();
      await expect(owner.locator("#connection").textContent()).resolves.toBe("Locked");
      await owner.close();
    } finally {
      await tenant.close();
    }
  });

  // A tenant in this process on a manual clock: time moves only when a test says so, and the
  // page judges "agent not polling" by the tenant's clock, not by waiting.
  describe("on a tenant with the email channel and a manual clock", () => {
    let clock: ManualClock;
    let tenant: RunningMockAuth0;
    let client: TenantClient;
    /** This tenant's approver page, shared by these tests and loaded again for each. */
    let approverTab: Page | undefined;

    beforeAll(async () => {
      onOwnTenant = true;
      // The stack's tab is left blank meanwhile, so it does not render beside this tenant's.
      await page.goto("about:blank");
      clock = new ManualClock(Date.now());
      tenant = await startMockAuth0({
        tenant: tenantWith({
          // The agent's client may ask by email too, as Auth0's dashboard sets it.
          assets: (assets) => ({
            ...assets,
            clients: (assets.clients as Record<string, unknown>[]).map((c) =>
              c.name === "Shopping agent"
                ? { ...c, async_approval_notification_channels: ["guardian-push", "email"] }
                : c,
            ),
          }),
        }),
        port: 0,
        host: "127.0.0.1",
        certDir: path.dirname(s.stack.caCertPath),
        clock,
        keys: await signingKeys(),
      });
      client = new TenantClient(tenant.issuer, tenant.caCertPath);
    });
    afterAll(async () => {
      onOwnTenant = false;
      await approverTab?.context().close();
      await tenant.close();
    });

    /** A request as the agent's client makes it; `email` asks for an hour, past push's 300 s. */
    async function ask(
      bindingMessage: string,
      user: string = BUYER,
      email = false,
    ): Promise<string> {
      const started = await client.post("bc-authorize", {
        ...AGENT_CLIENT,
        scope: "openid",
        login_hint: JSON.stringify({ format: "iss_sub", iss: tenant.issuer, sub: user }),
        binding_message: bindingMessage,
        ...(email ? { requested_expiry: "3600" } : {}),
      });
      expect(started.status).toBe(200);
      return String(started.body.auth_req_id);
    }

    async function approverPage(): Promise<Page> {
      if (approverTab === undefined) {
        approverTab = await browser.newPage({ viewport: { width: 420, height: 900 } });
        kept.add(approverTab.context());
      }
      await approverTab.goto(`${tenant.issuer}approver`);
      await approverTab.getByText("Live", { exact: true }).waitFor();
      return approverTab;
    }

    /** Opens the email's link, as the person would, in the tab it opens. */
    async function openLink(approver: Page, bindingMessage: string): Promise<Page> {
      const mail = mailOn(approver, bindingMessage);
      await mail.waitFor();
      const opened = approver.waitForEvent("popup");
      await mail.getByRole("link", { name: `Review the request: ${bindingMessage}` }).click();
      const consent = await opened;
      await consent
        .getByRole("region", { name: "Shopping agent asks for your approval", exact: true })
        .waitFor();
      return consent;
    }

    it("shows an email-channel request under Email, and approves it through the consent link", async () => {
      const approver = await approverPage();
      const id = await ask("Email check one", BUYER, true);

      const mail = mailOn(approver, "Email check one");
      await mail.waitFor();
      await expect(approver.getByRole("heading", { name: /^Email/ }).isVisible()).resolves.toBe(
        true,
      );
      await expect(mail.locator(".to").textContent()).resolves.toBe("buyer@example.com");
      await expect(mail.locator(".subject").textContent()).resolves.toBe(
        "Shopping agent asks for your approval",
      );
      await expect(mail.locator(".code").textContent()).resolves.toBe("Email check one");
      await expect(cardOn(approver, "Email check one").count()).resolves.toBe(0);

      const consent = await openLink(approver, "Email check one");
      expect(new URL(consent.url()).pathname).toBe("/bc-verify");
      await expect(consent.locator("#code").textContent()).resolves.toBe("Email check one");
      await expect(consent.locator("#user").textContent()).resolves.toBe(
        "Test Buyer (buyer@example.com)",
      );
      await consent.getByRole("button", { name: "Approve: Email check one" }).click();
      await consent.getByRole("heading", { name: "Request approved" }).waitFor();

      const granted = await client.grant(id);
      expect(granted.status).toBe(200);
      expect(granted.body.access_token).toEqual(expect.any(String));
      // Who, through which client, how it was decided, and how often its agent polled.
      const who = historyOn(approver, "Email check one").locator(".who");
      await expect
        .poll(async () => (await who.textContent())?.replace(/ \d+ polls$/, " N polls"))
        .toBe(
          `${BUYER} \u00b7 Shopping agent \u00b7 decided through the email's link \u00b7 N polls`,
        );
      await expect(mail.count()).resolves.toBe(0);

      // The link was used up with the answer.
      await consent.reload();
      await consent.getByRole("heading", { name: "Nothing to approve" }).waitFor();
      await expect(consent.locator("#gone-text").textContent()).resolves.toMatch(
        /^This consent link can no longer be used/,
      );
      await consent.close();
    });

    it("denies an email-channel request through the consent link", async () => {
      const approver = await approverPage();
      const id = await ask("Email check two", SECOND_BUYER, true);
      const consent = await openLink(approver, "Email check two");
      await consent.getByRole("button", { name: "Deny: Email check two" }).click();
      await consent.getByRole("heading", { name: "Request denied" }).waitFor();

      const refused = await client.grant(id);
      expect(refused).toMatchObject({ status: 400, body: { error: "access_denied" } });
      expect(tenant.store.get(id)?.decision).toMatchObject({ decision: "deny", by: "email-link" });
      await historyOn(approver, "Email check two").getByText("Denied", { exact: true }).waitFor();
      await consent.close();
    });

    it("marks a request nobody polls as 'agent not polling', below the live ones, and back when polled", async () => {
      const approver = await approverPage();
      const live = await ask("Live check");
      clock.advance(1_000);
      const stale = await ask("Stale check", SECOND_BUYER);
      const cards = approver.locator("#pending .card");
      // Newest first while both count as polled.
      await cardOn(approver, "Stale check").waitFor();
      await expect(cards.locator(".message").allTextContents()).resolves.toEqual([
        "Stale check",
        "Live check",
      ]);

      // Sixteen seconds on the tenant's clock (three of Auth0's 5 s intervals are 15 s); only
      // one agent polls.
      clock.advance(16_000);
      expect((await client.grant(live)).body.error).toBe("authorization_pending");

      const staleCard = cardOn(approver, "Stale check").and(approver.locator(".stale"));
      await staleCard.waitFor();
      await expect(staleCard.locator(".not-polling").textContent()).resolves.toBe(
        "Agent not polling",
      );
      await expect(cards.locator(".message").allTextContents()).resolves.toEqual([
        "Live check",
        "Stale check",
      ]);
      const liveCard = cardOn(approver, "Live check");
      await expect(liveCard.locator(".not-polling").isHidden()).resolves.toBe(true);
      await expect(liveCard.locator(".meta").textContent()).resolves.toMatch(
        new RegExp(`^Request …${live.slice(-6)} · agent last polled \\d+ s ago$`),
      );
      await expect(staleCard.locator(".meta").textContent()).resolves.toBe(
        `Request …${stale.slice(-6)} · not polled yet`,
      );

      // Its agent polls again: live again, and back on top as the newest.
      expect((await client.grant(stale)).body.error).toBe("authorization_pending");
      await cardOn(approver, "Stale check").and(approver.locator(":not(.stale)")).waitFor();
      await expect(cards.locator(".message").allTextContents()).resolves.toEqual([
        "Stale check",
        "Live check",
      ]);
      for (const id of [live, stale]) tenant.store.decide(id, "deny", "control-api");
    });

    /** A purchase request with `details` as its authorization_details, as a client may send any. */
    async function askFor(bindingMessage: string, details: unknown[]): Promise<string> {
      const started = await client.post("bc-authorize", {
        ...AGENT_CLIENT,
        scope: "openid product:buy",
        audience: "sample-shop-api",
        login_hint: JSON.stringify({ format: "iss_sub", iss: tenant.issuer, sub: BUYER }),
        binding_message: bindingMessage,
        authorization_details: JSON.stringify(details),
      });
      expect(started.status).toBe(200);
      return String(started.body.auth_req_id);
    }

    it("shows authorization_details as sent: padding written out, Quantity and Up to in view, other values raw", async () => {
      // A minute on, so that the person's five requests a minute are this test's.
      clock.advance(60_000);
      const approver = await approverPage();
      const errors: string[] = [];
      approver.on("pageerror", (error) => errors.push(error.message));
      const padded = await askFor("Pad check", [
        {
          type: "product_purchase",
          product: `XYZ phone${"\u2007".repeat(90)}`,
          quantity: 50,
          maximum_amount: 24950,
          currency: "USD",
        },
      ]);
      const odd = await askFor("Odd check", [
        {
          type: "product_purchase",
          product: { toString: 1 },
          quantity: [1, 2],
          maximum_amount: "5",
          currency: "USD",
          note: "<b>hi</b>",
        },
      ]);
      const tricks = await askFor("Trick check", [
        {
          type: "product_purchase",
          product: `XYZ phone${"\u3164".repeat(3)}`,
          quantity: 2,
          maximum_amount: 99999,
          // Reversed by the override, it read "Up to 99999 each: 99 USD".
          currency: "\u202EDSU 99 :hcae",
          purchase_id: "pur_1",
        },
      ]);
      const neighbour = await ask("Neighbour check");
      try {
        const pad = cardOn(approver, "Pad check");
        await cardOn(approver, "Neighbour check").waitFor();
        const cells = await pad.locator("td").allTextContents();
        expect(cells).toEqual([`"XYZ phone${"\\u{2007}".repeat(90)}"`, "50", "$24,950.00", "USD"]);
        // Every cell within the card, however long the product's text.
        const card = await pad.boundingBox();
        for (const cell of await pad.locator("td").all()) {
          const box = await cell.boundingBox();
          expect(box!.x + box!.width).toBeLessThanOrEqual(card!.x + card!.width);
        }
        const oddCard = cardOn(approver, "Odd check");
        await expect(oddCard.locator("td").allTextContents()).resolves.toEqual([
          '{"toString":1}',
          "[1,2]",
          '"5"',
          "USD",
          'Also in this entry: {"note":"<b>hi</b>"}',
        ]);
        await expect(oddCard.locator("td.odd").count()).resolves.toBe(4);
        // Blank letters written out; a currency that is no code stays in its own row, written
        // out, and the amount is shown alone; the purchase id has its row.
        const trickCard = cardOn(approver, "Trick check");
        await expect(trickCard.locator("td").allTextContents()).resolves.toEqual([
          `"XYZ phone${"\\u{3164}".repeat(3)}"`,
          "2",
          "99999",
          '"\\u{202E}DSU 99 :hcae"',
          "pur_1",
        ]);
        await expect(trickCard.locator("td.odd").count()).resolves.toBe(2);
        expect(errors).toEqual([]);
      } finally {
        for (const id of [padded, odd, tricks, neighbour]) {
          tenant.store.decide(id, "deny", "control-api");
        }
      }
    });

    it("keeps every label and amount of a card on one line at a phone's width (360 px)", async () => {
      clock.advance(60_000);
      const phone = await browser.newPage({ viewport: { width: 360, height: 800 } });
      // A binding message with a word longer than the screen is wide.
      const message = `Phone check ${"Ultra_Wide_".repeat(4)}`;
      const id = await askFor(message, [
        {
          type: "product_purchase",
          product: `XYZ phone ${"model-".repeat(12)}end`,
          quantity: 1,
          maximum_amount: 499,
          currency: "USD",
        },
      ]);
      try {
        await phone.goto(`${tenant.issuer}approver`);
        const pending = cardOn(phone, message);
        await pending.waitFor();
        // The lines an element's text takes: one box per line of each of its text's fragments.
        const linesOf = (elements: unknown[]) =>
          (elements as RenderedElement[]).map((element) => {
            const range = element.ownerDocument.createRange();
            range.selectNodeContents(element);
            const tops = Array.from(range.getClientRects())
              .filter((box) => box.width > 0)
              .map((box) => Math.round(box.top));
            return { text: element.textContent, lines: new Set(tops).size };
          });
        const labels = await pending.locator("dt, th").evaluateAll(linesOf);
        const amounts = await pending.locator("td.number").evaluateAll(linesOf);
        expect(labels.map((l) => l.text)).toEqual(
          expect.arrayContaining(["For", "Scopes", "Product", "Quantity", "Up to", "Currency"]),
        );
        expect(amounts.map((a) => a.text)).toEqual(["1", "$499.00"]);
        expect([...labels, ...amounts].filter((l) => l.lines !== 1)).toEqual([]);
        // The long product name wraps, within the card.
        const product = await pending.locator("td", { hasText: "XYZ phone" }).evaluateAll(linesOf);
        expect(product[0]!.lines).toBeGreaterThan(1);
        const box = await pending.locator("article").evaluate((element) => {
          const { scrollWidth, clientWidth } = element as unknown as {
            scrollWidth: number;
            clientWidth: number;
          };
          return { scrollWidth, clientWidth };
        });
        expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth);

        // Decided, it moves to Recent, which wraps the long word too: the page never scrolls
        // sideways.
        tenant.store.decide(id, "deny", "control-api");
        await historyOn(phone, message).waitFor();
        const pageWidth = await phone.evaluate(() => {
          const { scrollWidth, clientWidth } = (
            globalThis as unknown as {
              document: { documentElement: { scrollWidth: number; clientWidth: number } };
            }
          ).document.documentElement;
          return { scrollWidth, clientWidth };
        });
        expect(pageWidth.scrollWidth).toBeLessThanOrEqual(pageWidth.clientWidth);
      } finally {
        if (tenant.store.get(id)?.status === "pending")
          tenant.store.decide(id, "deny", "control-api");
        await phone.close();
      }
    });

    it("takes no pointer click on a card that just moved, and a key press at once", async () => {
      const approver = await browser.newPage({ viewport: { width: 420, height: 900 } });
      try {
        // The page's clock, paused: a card moved "just now" stays so until the test moves on.
        await approver.clock.install();
        await approver.goto(`${tenant.issuer}approver`);
        await approver.getByText("Live", { exact: true }).waitFor();
        clock.advance(60_000);
        const aimed = await ask("Aimed check");
        const target = cardOn(approver, "Aimed check");
        await target.waitFor();
        await approver.clock.pauseAt(Date.now() + 1_000);
        // Newer on the tenant's clock: shown above it.
        clock.advance(500);
        const above = await ask("Arrived check");
        await cardOn(approver, "Arrived check").waitFor();

        // The new request pushed the card down under the pointer: the click is not taken.
        await target.getByRole("button", { name: /^Approve: Aimed check/ }).click({ force: true });
        await expect(target.locator(".error").textContent()).resolves.toMatch(
          /^This request moved on the page as you clicked/,
        );
        expect(tenant.store.get(aimed)?.status).toBe("pending");
        // Nor one on the new card, which took the place the pointer aimed at: sent as the
        // person clicked the card below, it was approved unread.
        const arrived = cardOn(approver, "Arrived check");
        await arrived
          .getByRole("button", { name: /^Approve: Arrived check/ })
          .click({ force: true });
        await expect(arrived.locator(".error").textContent()).resolves.toMatch(
          /^This request appeared on the page as you clicked/,
        );
        expect(tenant.store.get(above)?.status).toBe("pending");

        // Once it has stood still, it is.
        await approver.clock.runFor(1_000);
        await target.getByRole("button", { name: /^Approve: Aimed check/ }).click({ force: true });
        await expect.poll(() => tenant.store.get(aimed)?.status).toBe("approved");

        // A key press on a card that just moved is taken: the focus stayed on it.
        const later = await ask("Keyed check");
        const keyed = cardOn(approver, "Keyed check");
        await keyed.waitFor();
        clock.advance(500);
        await ask("Pushing check");
        await cardOn(approver, "Pushing check").waitFor();
        await keyed.getByRole("button", { name: /^Deny: Keyed check/ }).focus();
        await approver.keyboard.press("Enter");
        await expect.poll(() => tenant.store.get(later)?.status).toBe("denied");
        // Its card gone, the focus is on the card that took its place, not back at the start.
        await keyed.waitFor({ state: "detached" });
        await expect
          .poll(() =>
            approver.evaluate(() => {
              const focused = (globalThis as unknown as { document: { activeElement: unknown } })
                .document.activeElement as { tagName: string; textContent: string } | null;
              return [focused?.tagName, focused?.textContent.includes("Arrived check")];
            }),
          )
          .toEqual(["ARTICLE", true]);
        for (const request of tenant.store.list({ statuses: ["pending"], limit: 50 }).requests) {
          tenant.store.decide(request.authReqId, "deny", "control-api");
        }
        expect(tenant.store.get(above)?.status).toBe("denied");
        // The next test starts with the person's requests of a new minute.
        clock.advance(60_000);
      } finally {
        await approver.close();
      }
    });

    it("shows pending requests newest first", async () => {
      const approver = await approverPage();
      const ids: string[] = [];
      for (const [i, user] of [BUYER, SECOND_BUYER, BUYER].entries()) {
        ids.push(await ask(`Order check ${i + 1}`, user));
        clock.advance(500);
      }
      await cardOn(approver, "Order check 3").waitFor();
      await expect(approver.locator("#pending .card .message").allTextContents()).resolves.toEqual([
        "Order check 3",
        "Order check 2",
        "Order check 1",
      ]);
      for (const id of ids) tenant.store.decide(id, "deny", "control-api");
    });

    /** The heading or alert that has the focus in `consent`, inside a region of `role`. */
    const focusedIn = (consent: Page, role: "status" | "alert") =>
      consent.locator(`[role=${role}] h2:focus, [role=${role}]:focus`);

    it("announces an answer given through the consent link and gives it the focus, keyboard only, and so a link used up meanwhile", async () => {
      clock.advance(60_000);
      const approver = await approverPage();
      await ask("Focus check one", BUYER, true);
      const consent = await openLink(approver, "Focus check one");
      // The same link in a second browser, answered after the first.
      const again = await browser.newPage();
      await again.goto(consent.url());
      await again
        .getByRole("region", { name: "Shopping agent asks for your approval", exact: true })
        .waitFor();

      await consent.getByRole("button", { name: "Approve: Focus check one" }).focus();
      await consent.keyboard.press("Enter");
      await consent.getByRole("heading", { name: "Request approved" }).waitFor();
      await expect(focusedIn(consent, "status").textContent()).resolves.toBe("Request approved");

      await again.getByRole("button", { name: "Deny: Focus check one" }).focus();
      await again.keyboard.press("Enter");
      await again.getByRole("heading", { name: "Nothing to approve" }).waitFor();
      await expect(focusedIn(again, "status").textContent()).resolves.toBe("Nothing to approve");
      await again.close();
      await consent.close();
    });

    it("announces a consent answer the tenant refused and gives it the focus, then the denial sent again", async () => {
      const approver = await approverPage();
      const id = await ask("Focus check two", SECOND_BUYER, true);
      const consent = await openLink(approver, "Focus check two");
      await consent.route(
        "**/bc-verify/api/consent",
        (route) =>
          route.fulfill({
            status: 500,
            json: { error: "server_error", error_description: "The tenant failed" },
          }),
        { times: 1 },
      );
      const deny = consent.getByRole("button", { name: "Deny: Focus check two" });
      await deny.focus();
      await consent.keyboard.press("Enter");
      await expect(focusedIn(consent, "alert").textContent()).resolves.toBe(
        "Could not deny: The tenant failed",
      );
      expect(tenant.store.get(id)?.status).toBe("pending");

      await deny.focus();
      await consent.keyboard.press("Enter");
      await consent.getByRole("heading", { name: "Request denied" }).waitFor();
      await expect(focusedIn(consent, "status").textContent()).resolves.toBe("Request denied");
      expect(tenant.store.get(id)?.decision).toMatchObject({ decision: "deny", by: "email-link" });
      await consent.close();
    });

    it("says a decision failed even when its card went while it was out, and keeps a message's spaces", async () => {
      clock.advance(60_000);
      const approver = await approverPage();
      const id = await ask("Gone  check");
      try {
        const card = cardOn(approver, "Gone  check");
        await card.waitFor();
        // Two spaces stay two: the message the person compares with the agent's, as sent.
        // The width of the message's text when it reads `t` (put back after).
        const width = (text: string) =>
          card.locator(".message").evaluate((node, t): number => {
            const element = node as unknown as RenderedElement;
            const sent = element.textContent;
            element.textContent = t;
            const range = element.ownerDocument.createRange();
            range.selectNodeContents(element);
            const boxes = Array.from(range.getClientRects());
            element.textContent = sent;
            return boxes.reduce((sum, box) => sum + box.width, 0);
          }, text);
        expect(await width("Gone  check")).toBeGreaterThan(await width("Gone check"));
        // The Approve leaves; the control API denies the request before the tenant reads it.
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        await approver.route("**/approve", async (route) => {
          await held;
          await route.continue();
        });
        // By key: a pointer click within 800 ms of a card moving (another test's request ending
        // above it, as the clock advanced) is refused on purpose, and a loaded machine can land
        // there; a key press is always taken.
        await card.getByRole("button", { name: /^Approve: Gone +check/ }).focus();
        const sent = approver.waitForRequest(/\/approve$/);
        await approver.keyboard.press("Enter");
        await sent;
        tenant.store.decide(id, "deny", "control-api");
        await card.waitFor({ state: "detached" });
        release();
        await approver
          .getByRole("alert")
          .filter({ hasText: /^Gone {2}check \(request \u2026[\w-]+\): Could not approve: / })
          .waitFor();
      } finally {
        await approver.close();
      }
    });
  });
});
