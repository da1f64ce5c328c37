import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { launchChromium } from "../../scripts/stack/browser.js";
import { BUYER, Scenario } from "../support/scenario.js";

// The approver page in a real browser, deciding requests that the real agent CLI is waiting on.
describe("the approver page", () => {
  let s: Scenario;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    s = await Scenario.start("test/fixtures/e2e-tenant.json");
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
});
