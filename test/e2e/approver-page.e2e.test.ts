import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import { loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import { launchChromium } from "@ciba-testbed/stack/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { BUYER, Scenario } from "../support/scenario.js";
import { AGENT_CLIENT } from "../support/tenant-client.js";

// The approver page in a real browser, deciding requests that the real agent CLI is waiting on.
describe("the approver page", () => {
  let s: Scenario;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.mock-auth0.json");
    await s.policy("manual");
    browser = await launchChromium(path.dirname(s.stack.caCertPath));
  });
  afterAll(async () => {
    await browser.close();
    await s.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await page.goto(`${s.stack.issuer}approver`);
    await page.getByText("Live", { exact: true }).waitFor();
  });

  const card = (message: RegExp) => page.locator(".card", { hasText: message });

  it("shows the request with its details and places the order on Approve", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const agent = s.agent(["Buy 2 XYZ phones"]);

    const pending = card(/Do you want to buy 2 XYZ phone/);
    await pending.waitFor();
    await expect(pending.locator(".client").textContent()).resolves.toBe("Shopping agent");
    await expect(pending.locator(".user").textContent()).resolves.toBe(`Test Buyer (${BUYER})`);
    await expect(pending.locator(".scope").textContent()).resolves.toBe("openid product:buy");
    await expect(pending.locator("td").allTextContents()).resolves.toEqual([
      "XYZ phone",
      "2",
      "$998.00",
      "USD",
    ]);
    await expect(pending.locator(".countdown").textContent()).resolves.toMatch(
      /^Expires in [0-5]:\d\d$/,
    );

    await page.getByRole("button", { name: /^Approve: Do you want to buy 2 XYZ phone/ }).click();
    const run = await agent;
    expect(run.json.outcome).toBe("ORDERED");
    expect((await s.ordersOf(BUYER)).slice(before).map((o) => o.id)).toEqual([run.json.order?.id]);

    const history = page.locator(".history > li", { hasText: /Do you want to buy 2 XYZ phone/ });
    await history.locator(".outcome", { hasText: /Approved/ }).waitFor();
    await expect(pending.count()).resolves.toBe(0);
    const consent = await s.stack.control.request(String(run.json.authReqId));
    expect(consent.decision).toMatchObject({ decision: "approve", by: "approver-page" });
  });

  it("ends the purchase on Deny, keyboard only", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const agent = s.agent(["Buy a USB-C cable"]);
    await card(/Do you want to buy 1 USB-C cable/).waitFor();

    await page.getByRole("button", { name: /^Deny: Do you want to buy 1 USB-C cable/ }).focus();
    await page.keyboard.press("Enter");
    const run = await agent;
    expect(run.json.outcome).toBe("DENIED");
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    await page.locator(".history > li .outcome.denied").first().waitFor();
  });

  it("moves a request that expires while the page is open to history", async () => {
    const agent = s.agent(["Buy an ABC laptop", "--expiry", "2"]);
    await card(/ABC laptop/).waitFor();
    const run = await agent;
    expect(run.json.outcome).toBe("EXPIRED");
    await page
      .locator(".history > li", { hasText: /ABC laptop/ })
      .locator(".outcome.expired")
      .waitFor();
    await expect(card(/ABC laptop/).count()).resolves.toBe(0);
  });

  it("cannot be used by a page on another origin to approve", async () => {
    const agent = s.agent(["Buy an XYZ phone", "--expiry", "20"]);
    await card(/Do you want to buy 1 XYZ phone/).waitFor();
    const consent = await s.stack.control.waitForPending((c) =>
      c.binding_message.includes("buy 1 XYZ phone"),
    );

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
    await page.getByRole("button", { name: /^Deny: Do you want to buy 1 XYZ phone/ }).click();
    expect((await agent).json.outcome).toBe("DENIED");
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
      await card(/Page check 55/).waitFor();
      await expect(checks.count()).resolves.toBe(50);
      await expect(card(/Page check 05/).count()).resolves.toBe(0);
      expect(Number(await page.locator("#pending-count").textContent())).toBeGreaterThanOrEqual(55);

      await page.getByRole("button", { name: "Show older requests" }).click();
      await card(/Page check 01/).waitFor();
      await expect(checks.count()).resolves.toBe(55);
      await expect(
        page.getByRole("button", { name: "Show older requests" }).isHidden(),
      ).resolves.toBe(true);
    } finally {
      for (const id of ids) await s.stack.control.deny(id);
    }
  });

  it("asks for the control token when the tenant has one, and keeps it out of the URL", async () => {
    const token = "e2e-control-token-0123456789";
    const locked = await startMockAuth0({
      tenant: loadTenant(),
      port: 0,
      host: "127.0.0.1",
      certDir: path.dirname(s.stack.caCertPath),
      controlToken: token,
    });
    try {
      // Each page has a context of its own: no cookie is shared between them.
      const visitor = await browser.newPage();
      await visitor.goto(`${locked.issuer}approver`);
      await visitor.getByText("This tenant needs its control token").waitFor();
      await expect(visitor.locator("#connection").textContent()).resolves.toBe("Locked");
      await visitor
        .getByLabel("Control token", { exact: true })
        .fill("not-the-control-token-at-all");
      await visitor.getByRole("button", { name: "Unlock" }).click();
      await visitor.getByText("That is not this tenant's control token.").waitFor();
      await visitor.getByLabel("Control token", { exact: true }).fill(token);
      await visitor.getByRole("button", { name: "Unlock" }).click();
      await visitor.getByText("Live", { exact: true }).waitFor();
      await visitor.close();

      const owner = await browser.newPage();
      await owner.goto(`${locked.issuer}approver#token=${token}`);
      await owner.getByText("Live", { exact: true }).waitFor();
      expect(owner.url()).toBe(`${locked.issuer}approver`);
      const created = locked.store.create({
        authReqId: "locked-request",
        clientId: "ciba-testbed-agent",
        userId: BUYER,
        scope: ["openid"],
        audience: undefined,
        bindingMessage: "Do you want to sign in",
        authorizationDetails: undefined,
        requestedExpiry: undefined,
        channel: "push",
        approverOutcome: { action: "manual" },
        expiresInSeconds: 60,
      });
      expect(created.ok).toBe(true);
      await owner.getByRole("button", { name: /^Approve: Do you want to sign in/ }).click();
      await owner.locator(".history > li .outcome.approved").waitFor();
      expect(locked.store.get("locked-request")?.decision).toMatchObject({ by: "approver-page" });
      await owner.close();
    } finally {
      await locked.close();
    }
  });
});
