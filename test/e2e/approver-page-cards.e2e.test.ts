import path from "node:path";

import { ManualClock, SigningKeys, loadTenant, startMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { limitToCents } from "@ciba-testbed/shared";
import { launchChromium } from "@ciba-testbed/stack/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { axeViolations } from "../support/axe.js";
import { announcementsOf, recordAnnouncements } from "../support/live-regions.js";
import { BUYER } from "../support/scenario.js";

const CERT_DIR = path.resolve(".certs");
/** A `product_purchase` entry of XYZ phones in USD, with `fields` besides. */
const purchase = (fields: Record<string, unknown>) => ({
  type: "product_purchase",
  product: "XYZ phone",
  currency: "USD",
  ...fields,
});

/** A pending request put straight into the tenant's store, as `/bc-authorize` would. */
function ask(
  tenant: RunningMockAuth0,
  id: string,
  bindingMessage: string,
  options: { details?: Record<string, unknown>[]; outcome?: string; channel?: "email" } = {},
) {
  const outcome = options.outcome?.split("-after:") ?? ["manual"];
  const action = outcome[0] as "manual";
  const created = tenant.store.create({
    authReqId: id,
    clientId: "ciba-testbed-agent",
    userId: BUYER,
    scope: ["openid", "product:buy"],
    audience: "sample-shop-api",
    bindingMessage,
    authorizationDetails: options.details as never,
    requestedExpiry: undefined,
    channel: options.channel ?? "guardian-push",
    userEmail: "buyer@example.com",
    approverOutcome:
      outcome[1] === undefined
        ? { action }
        : ({ action, afterMs: Number(outcome[1]) } as unknown as { action: "manual" }),
    expiresInSeconds: 300,
  });
  expect(created.ok).toBe(true);
}

/** A tenant of a test's own, with `options` (a control token, a clock): the test closes it. */
async function startOwnTenant(options: { controlToken?: string; clock?: ManualClock } = {}) {
  return startMockAuth0({
    tenant: loadTenant(),
    port: 0,
    host: "127.0.0.1",
    certDir: CERT_DIR,
    keys: await SigningKeys.create(),
    ...options,
  });
}

// The approver page's cards in a real browser, on a tenant of their own on a manual clock.
describe("the approver page's cards", () => {
  let browser: Browser;
  let tenant: RunningMockAuth0;
  let page: Page;
  const clock = new ManualClock(Date.parse("2026-01-02T10:00:00Z"));

  beforeAll(async () => {
    tenant = await startMockAuth0({
      tenant: loadTenant(),
      port: 0,
      host: "127.0.0.1",
      certDir: CERT_DIR,
      clock,
      keys: await SigningKeys.create(),
    });
    browser = await launchChromium(CERT_DIR);
    page = await browser.newPage({ viewport: { width: 420, height: 900 }, timezoneId: "UTC" });
  });
  afterAll(async () => {
    await browser.close();
    await tenant.close();
  });

  async function open() {
    await page.goto(`${tenant.issuer}approver`);
    await page.getByText("Live", { exact: true }).waitFor();
  }

  it("leads with what the approval authorizes, names it on both buttons, and warns when the message says otherwise", async () => {
    ask(tenant, "mismatch-request", "Buy 1 XYZ phone case for 19.99 USD", {
      details: [{ type: "product_purchase", product: "ABC laptop", quantity: 5, currency: "USD" }],
    });
    await open();
    const card = page.locator(".card", { hasText: "Buy 1 XYZ phone case" });
    await expect(card.locator(".headline").textContent()).resolves.toBe("5 × ABC laptop, no limit");
    await expect(card.locator(".mismatch").textContent()).resolves.toBe(
      'Check before you approve: The binding message does not name the product "ABC laptop" or the quantity 5 (it says 1) of authorization_details and states a maximum of 19.99 that authorization_details do not set: the person would approve the message while the token authorizes the details.',
    );
    await expect(
      page
        .getByRole("button", { name: "Approve: 5 × ABC laptop, no limit (request …equest)" })
        .count(),
    ).resolves.toBe(1);
    await expect(
      page
        .getByRole("button", { name: "Deny: 5 × ABC laptop, no limit (request …equest)" })
        .count(),
    ).resolves.toBe(1);
  });

  it("leads the email's consent page with what it authorizes too, and warns there", async () => {
    ask(tenant, "mismatch-email", "Email mismatch check", {
      details: [{ type: "product_purchase", product: "ABC laptop", quantity: 5, currency: "USD" }],
      channel: "email",
    });
    await open();
    const link = page.locator("#emails .mail", { hasText: "Email mismatch check" }).locator("a");
    const consent = await browser.newPage();
    try {
      await consent.goto(String(await link.getAttribute("href")));
      await consent.getByText("Shopping agent asks for your approval").waitFor();
      await expect(consent.locator("#headline").textContent()).resolves.toBe(
        "5 × ABC laptop, no limit",
      );
      await expect(consent.locator("#mismatch").textContent()).resolves.toMatch(
        /^Check before you approve: The binding message does not name the product "ABC laptop"/,
      );
      await expect(
        consent.getByRole("button", { name: "Approve: 5 × ABC laptop, no limit" }).count(),
      ).resolves.toBe(1);
    } finally {
      await consent.close();
    }
  });

  it("shows the limit as the shop applies it, rounded down to the cent, and no warning when the message agrees", async () => {
    ask(tenant, "agreeing-request", "Do you want to buy 1 XYZ phone", {
      details: [purchase({ quantity: 1, maximum_amount: 498.999 })],
    });
    await open();
    const card = page.locator(".card", { hasText: "Do you want to buy 1 XYZ phone" });
    // The shop takes 498.999 as 498.99 and refuses a 499.00 phone: never "$499.00".
    await expect(card.locator(".headline").textContent()).resolves.toBe(
      "1 × XYZ phone, up to $498.99",
    );
    await expect(card.locator("td").nth(2).textContent()).resolves.toBe("$498.99");
    await expect(card.locator(".mismatch").isHidden()).resolves.toBe(true);
    await expect(card.locator(".by-rule").isHidden()).resolves.toBe(true);
  });

  it("rounds every limit down to the cent the shop applies, from the decimal the number is written as", async () => {
    await open();
    // The cards' own module, against the shop's limitToCents: a limit just under a cent, the
    // values a product of prices gives (0.7 * 3 is 2.0999999999999996, 4.35 * 3 is
    // 13.049999999999999), and a sweep.
    const values = [498.99999999999, 0.7 * 3, 4.35 * 3, 19.99, 9.985, 0.1 + 0.2, 1e-7, 1.5e21];
    for (let i = 1; i <= 500; i += 1) {
      values.push((i * 7919) / 1000, ((i % 97) / 100 + i) * 3, (i * 104_729) / 1_000_000);
    }
    const shown = await page.evaluate(
      `import("/approver/assets/details.js").then((details) =>
        ${JSON.stringify(values)}.map((value) => details.formatAmount(value, "USD")))`,
    );
    const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
    expect(shown).toEqual(values.map((value) => usd.format(limitToCents(value) / 100)));
    expect((shown as string[]).slice(0, 3)).toEqual(["$498.99", "$2.09", "$13.04"]);
  });

  it("says when a rule decides a waiting request, and when", async () => {
    ask(tenant, "rule-request", "Rule check", { outcome: "approve-after:90000" });
    ask(tenant, "ignored-request", "Ignore check", { outcome: "ignore" });
    await open();
    await expect(
      page.locator(".card", { hasText: "Rule check" }).locator(".by-rule").textContent(),
    ).resolves.toBe(
      "A rule of the approver's policy approves this request at 10:01:30 AM, unless you answer it first.",
    );
    await expect(
      page.locator(".card", { hasText: "Ignore check" }).locator(".by-rule").textContent(),
    ).resolves.toBe(
      "The approver's policy leaves this request unanswered: it expires unless you answer it here.",
    );
  });

  it("says 'decided on this page' only on the page whose decision it was, not on a second tab's", async () => {
    ask(tenant, "two-tabs", "Two tabs check");
    await open();
    const other = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      await other.goto(`${tenant.issuer}approver`);
      await other.getByText("Live", { exact: true }).waitFor();
      await other.locator(".card", { hasText: "Two tabs check" }).waitFor();
      await page
        .locator(".card", { hasText: "Two tabs check" })
        .getByRole("button", { name: /^Approve/ })
        .click();
      const who = (tab: Page) =>
        tab.locator(".history > li", { hasText: "Two tabs check" }).locator(".who").textContent();
      await other.locator(".history > li", { hasText: "Two tabs check" }).waitFor();
      await page.locator(".history > li", { hasText: "Two tabs check" }).waitFor();
      await expect.poll(() => who(page)).toMatch(/ \u00B7 decided on this page \u00B7 /);
      await expect(who(other)).resolves.toMatch(/ \u00B7 decided on an approver page \u00B7 /);
    } finally {
      await other.close();
    }
  });

  it("keeps the Recent list as it grows: an open timeline stays open with the focus on it, and only the new decision is added to the live region", async () => {
    // A full Recent list (25), the newest on the tenant's clock last.
    const recentIds = Array.from(
      { length: 26 },
      (_, i) => `recent-${String(i + 1).padStart(2, "0")}`,
    );
    for (const id of recentIds.slice(0, 25)) {
      clock.advance(1_000);
      ask(tenant, id, `Recent check ${id.slice(-2)}`);
      tenant.store.decide(id, "deny", "control-api");
    }
    await open();
    const item = (n: string) => page.locator(".history > li", { hasText: `Recent check ${n}` });
    await item("25").waitFor();
    await expect(page.locator(".history > li").count()).resolves.toBe(25);

    // A keyboard user opens a decision's timeline.
    await item("24").getByText("Timeline").focus();
    await page.keyboard.press("Enter");
    await expect(item("24").locator("details").getAttribute("open")).resolves.toBe("");
    // What a screen reader is told of: nodes added to the live region, or text changed in it,
    // outside the parts marked aria-live="off".
    await page.evaluate(`{
      const history = document.getElementById("history");
      for (const li of history.children) li.kept = true;
      window.announced = [];
      const quiet = (node) => (node.nodeType === 1 ? node : node.parentElement)?.closest("[aria-live]") !== history;
      new MutationObserver((records) => {
        for (const record of records) {
          if (quiet(record.target)) continue;
          if (record.type === "characterData") window.announced.push("text: " + record.target.data);
          for (const node of record.addedNodes) window.announced.push("added: " + node.textContent);
        }
      }).observe(history, { childList: true, subtree: true, characterData: true });
    }`);

    // A new request, then its approval, then the token it issues: three events.
    clock.advance(1_000);
    ask(tenant, "recent-26", "Recent check 26");
    await page.locator(".card", { hasText: "Recent check 26" }).waitFor();
    tenant.store.decide("recent-26", "approve", "control-api");
    await item("26").waitFor();
    tenant.store.poll("recent-26", "ciba-testbed-agent");
    await item("26").locator(".outcome", { hasText: "Approved · token issued" }).waitFor();

    await expect(page.locator(".history > li").count()).resolves.toBe(25);
    await expect(item("01").count()).resolves.toBe(0);
    await expect(item("24").locator("details").getAttribute("open")).resolves.toBe("");
    await expect(
      page.evaluate(
        `document.activeElement === document.querySelector("#history details[open] summary")`,
      ),
    ).resolves.toBe(true);
    await expect(
      page.evaluate(
        `[...document.getElementById("history").children].filter((li) => !li.kept).map((li) => li.dataset.id)`,
      ),
    ).resolves.toEqual(["recent-26"]);
    const announced = await page.evaluate<string[]>("window.announced");
    expect(announced).toEqual([
      expect.stringMatching(/^added: ApprovedRecent check 26/),
      "added: Approved · token issued",
    ]);
  });

  it("announces a request once as it arrives, not again as its card moves, and still each decision, expiry and lost connection", async () => {
    // A tenant of its own, which the test stops at the end.
    const ownClock = new ManualClock(Date.parse("2026-01-02T10:00:00Z"));
    const own = await startOwnTenant({ clock: ownClock });
    const tab = await browser.newPage({ viewport: { width: 420, height: 900 } });
    let stopped = false;
    try {
      await tab.goto(`${own.issuer}approver`);
      await tab.getByText("Live", { exact: true }).waitFor();
      // What a screen reader is told of: nodes added to a live region (aria-live, or a role
      // that is one), text changed in it, or an element in it shown, outside aria-live="off".
      await tab.evaluate(`{
        window.announced = [];
        const live = (node) => {
          const region = (node.nodeType === 1 ? node : node.parentElement)?.closest(
            "[aria-live], [role=status], [role=alert], [role=log]",
          );
          return region != null && region.getAttribute("aria-live") !== "off";
        };
        new MutationObserver((records) => {
          for (const record of records) {
            if (!live(record.target)) continue;
            if (record.type === "characterData") window.announced.push(record.target.data);
            if (record.type === "attributes" && !record.target.hidden) {
              window.announced.push(record.target.textContent);
            }
            for (const node of record.addedNodes) {
              if (node.textContent.trim() !== "") window.announced.push(node.textContent);
            }
          }
        }).observe(document.body, {
          childList: true,
          subtree: true,
          characterData: true,
          attributes: true,
          attributeFilter: ["hidden"],
        });
      }`);
      const messages = () => tab.locator("#pending .card .message").allTextContents();

      ask(own, "moving-a", "Moving check A");
      await tab.locator(".card", { hasText: "Moving check A" }).waitFor();
      ownClock.advance(1_000);
      ask(own, "moving-b", "Moving check B", {
        details: [purchase({ quantity: 2, maximum_amount: 998 })],
      });
      await tab.locator(".card", { hasText: "Moving check B" }).waitFor();
      for (const id of ["moving-a", "moving-b"]) own.store.poll(id, "ciba-testbed-agent");
      // Only A's agent polls on: B is marked and moves below A, then comes back up when polled.
      ownClock.advance(16_000);
      own.store.poll("moving-a", "ciba-testbed-agent");
      await tab.locator(".card.stale", { hasText: "Moving check B" }).waitFor();
      await expect(messages()).resolves.toEqual(["Moving check A", "Moving check B"]);
      own.store.poll("moving-b", "ciba-testbed-agent");
      await tab.locator(".card:not(.stale)", { hasText: "Moving check B" }).waitFor();
      await expect(messages()).resolves.toEqual(["Moving check B", "Moving check A"]);

      own.store.decide("moving-a", "deny", "control-api");
      await tab.locator(".history > li .outcome.denied").waitFor();
      own.store.expire("moving-b");
      await tab.locator(".history > li .outcome.expired").waitFor();
      await own.close();
      stopped = true;
      await tab.getByText("Reconnecting…", { exact: true }).waitFor();

      await expect(tab.evaluate<string[]>("window.announced")).resolves.toEqual([
        "New consent request: Shopping agent asks Moving check A",
        "New consent request: Shopping agent asks 2 \u00d7 XYZ phone, up to $998.00",
        expect.stringMatching(/^DeniedMoving check A/),
        expect.stringMatching(/^ExpiredMoving check B/),
        "Reconnecting…",
      ]);
    } finally {
      await tab.close();
      if (!stopped) await own.close();
    }
  });

  it("does not read out the Recent list it opens with, only decisions made since, and keeps arrivals out of Waiting for you", async () => {
    const ownClock = new ManualClock(Date.parse("2026-01-02T10:00:00Z"));
    const own = await startOwnTenant({ clock: ownClock });
    const tab = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      for (const n of ["1", "2", "3"]) {
        ask(own, `old-${n}`, `Old check ${n}`);
        own.store.decide(`old-${n}`, "deny", "control-api");
      }
      // Installed before the page's script runs: what a screen reader is told of from the start.
      await tab.addInitScript(`
        window.announced = [];
        new MutationObserver((records) => {
          for (const record of records) {
            const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
            const region = target?.closest("[aria-live], [role=status], [role=alert], [role=log]");
            if (region == null || region.getAttribute("aria-live") === "off") continue;
            for (const node of record.addedNodes) {
              if (node.textContent.trim() !== "") window.announced.push(node.textContent);
            }
          }
        }).observe(document, { childList: true, subtree: true });
      `);
      await tab.goto(`${own.issuer}approver`);
      await tab.getByText("Live", { exact: true }).waitFor();
      await expect(tab.locator(".history > li").count()).resolves.toBe(3);
      await tab.waitForFunction(
        `document.getElementById("history").getAttribute("aria-live") === "polite"`,
      );
      ask(own, "new-1", "New check 1");
      await tab.locator(".card", { hasText: "New check 1" }).waitFor();
      own.store.decide("new-1", "deny", "control-api");
      await tab.locator(".history > li", { hasText: "New check 1" }).waitFor();
      // Besides the connection's state ("Connecting…", "Live"), which is meant to be heard.
      const announced = await tab.evaluate<string[]>("window.announced");
      expect(announced.filter((text) => !["Connecting…", "Live"].includes(text))).toEqual([
        "New consent request: Shopping agent asks New check 1",
        expect.stringMatching(/^DeniedNew check 1/),
      ]);
      // The arrival's line has outlived its request: it is not read as waiting.
      await expect(
        tab.locator("#pending-section #arrivals, #pending-section [aria-live]").count(),
      ).resolves.toBe(0);
      await expect(tab.locator("#arrivals").textContent()).resolves.toContain("New check 1");
    } finally {
      await tab.close();
      await own.close();
    }
  });

  it("shows every text of the approver page at 4.5:1 in the dark scheme, flagged values and marks included", async () => {
    ask(tenant, "dark-odd", "Dark odd check", {
      details: [
        {
          type: "product_purchase",
          product: "XYZ phone\u2007\u2007",
          quantity: "1",
          maximum_amount: 499,
          currency: "USD",
          purchase_id: "pur_dark",
          note: "extra",
        },
      ],
    });
    ask(tenant, "dark-unbound", "Dark unbound check", { outcome: "deny-after:90000" });
    ask(tenant, "dark-email", "Dark email check", { channel: "email" });
    for (const [id, decide] of [
      ["dark-approved", "approve"],
      ["dark-denied", "deny"],
      ["dark-consumed", "approve"],
    ] as const) {
      ask(tenant, id, `Dark ${id.slice(5)} check`);
      tenant.store.decide(id, decide, "control-api");
    }
    tenant.store.poll("dark-consumed", "ciba-testbed-agent");
    ask(tenant, "dark-expired", "Dark expired check");
    tenant.store.expire("dark-expired");
    const context = await browser.newContext({ colorScheme: "dark", timezoneId: "UTC" });
    const dark = await context.newPage();
    try {
      await dark.goto(`${tenant.issuer}approver`);
      await dark.getByText("Live", { exact: true }).waitFor();
      // Nobody polls: the older cards are marked "Agent not polling".
      clock.advance(16_000);
      await dark.locator(".card.stale", { hasText: "Dark odd check" }).waitFor();
      await dark.locator("#emails .mail", { hasText: "Dark email check" }).waitFor();
      await dark.locator(".history .outcome.consumed").first().waitFor();
      await dark.locator(".history .outcome.expired").first().waitFor();
      // A decision that fails, said on its card.
      await dark.route("**/approve", (route) => route.abort("connectionrefused"));
      const odd = dark.locator(".card", { hasText: "Dark odd check" });
      await odd.getByRole("button", { name: /^Approve: / }).focus();
      await dark.keyboard.press("Enter");
      await odd.locator(".error").waitFor();
      await expect(odd.locator("td.odd").count()).resolves.toBe(3);
      await expect(
        axeViolations(dark, { rules: ["color-contrast"], undecided: true }),
      ).resolves.toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("says it needs JavaScript when it cannot run, and that nothing waits only once it knows", async () => {
    ask(tenant, "script-check", "Script check");
    const off = await browser.newContext({ javaScriptEnabled: false });
    try {
      const tab = await off.newPage();
      await tab.goto(`${tenant.issuer}approver`);
      await tab.getByRole("heading", { name: "This page needs JavaScript" }).waitFor();
      const api = tab.locator(".noscript code", { hasText: "/approver/api/requests" });
      await expect(api.allTextContents()).resolves.toEqual([
        "GET /approver/api/requests?status=pending",
        "POST /approver/api/requests/<auth_req_id>/approve",
      ]);
      await expect(api.first().isVisible()).resolves.toBe(true);
      // Nothing it cannot know: no "Connecting…", no count, no empty list.
      await expect(tab.locator("#connection").textContent()).resolves.toBe("");
      for (const selector of ["#pending-count", "#pending-empty", "#history-empty"]) {
        await expect(tab.locator(selector).isHidden(), selector).resolves.toBe(true);
      }
    } finally {
      await off.close();
    }

    // With JavaScript, while the snapshot is held back: connecting, and no claim either.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/approver/api/events", async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${tenant.issuer}approver`);
      await page.getByText("Connecting…", { exact: true }).waitFor();
      await expect(page.getByText("This page needs JavaScript").count()).resolves.toBe(0);
      for (const selector of ["#pending-count", "#pending-empty", "#history-empty"]) {
        await expect(page.locator(selector).isHidden(), selector).resolves.toBe(true);
      }
      release();
      await page.locator(".card", { hasText: "Script check" }).waitFor();
      await expect(page.locator("#pending-count").isVisible()).resolves.toBe(true);
      await expect(page.locator("#pending-empty").isHidden()).resolves.toBe(true);
    } finally {
      release();
      await page.unroute("**/approver/api/events");
    }
  });

  /** An email request put in the tenant: its consent link, as the approver page shows it. */
  async function emailLink(id: string, bindingMessage: string): Promise<string> {
    ask(tenant, id, bindingMessage, { channel: "email" });
    await open();
    const mail = page.locator("#emails .mail", { hasText: bindingMessage });
    return String(await mail.locator("a").getAttribute("href"));
  }

  it("says on the email's consent page that it needs JavaScript when it cannot run, not that it is loading", async () => {
    const href = await emailLink("script-email", "Script email check");
    const off = await browser.newContext({ javaScriptEnabled: false });
    try {
      const tab = await off.newPage();
      await tab.goto(href);
      await tab.getByRole("heading", { name: "This page needs JavaScript" }).waitFor();
      await expect(tab.locator("main").innerText()).resolves.toMatch(/Turn JavaScript on/);
      await expect(tab.getByText("Loading the request…").isVisible()).resolves.toBe(false);
    } finally {
      await off.close();
    }
    // With JavaScript: the request, and no word of JavaScript.
    const consent = await browser.newPage();
    try {
      await consent.goto(href);
      await consent.getByText("Shopping agent asks for your approval").waitFor();
      await expect(consent.getByText("This page needs JavaScript").count()).resolves.toBe(0);
      await expect(consent.getByText("Loading the request…").isVisible()).resolves.toBe(false);
    } finally {
      await consent.close();
      tenant.store.decide("script-email", "deny", "control-api");
    }
  });

  /**
   * A tenant of its own with one email request: `run` gets a tab on its approver page, the
   * request's consent link, and `stop`, which closes the tenant (closed afterwards if not).
   */
  async function onStoppingTenant(
    bindingMessage: string,
    run: (tab: Page, href: string, stop: () => Promise<void>) => Promise<void>,
  ) {
    const stopping = await startOwnTenant();
    const tab = await browser.newPage();
    let closed: Promise<void> | undefined;
    const stop = () => (closed ??= stopping.close());
    try {
      ask(stopping, "stopping-email", bindingMessage, { channel: "email" });
      await tab.goto(`${stopping.issuer}approver`);
      const link = tab.locator("#emails .mail", { hasText: bindingMessage }).locator("a");
      await run(tab, String(await link.getAttribute("href")), stop);
    } finally {
      await tab.close();
      await stop();
    }
  }

  it("says on the email's consent page that the tenant did not answer when it stopped, not the browser's 'Failed to fetch'", async () => {
    await onStoppingTenant("Stopped tenant check", async (tab, href, stop) => {
      await tab.goto(href);
      await tab.getByText("Shopping agent asks for your approval").waitFor();
      await stop();

      const approve = tab.getByRole("button", { name: "Approve: Stopped tenant check" });
      await approve.click();
      const alert = tab.getByRole("alert");
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toBe(
        "Could not approve: the tenant did not answer (is mock-auth0 still running?). Answer again once it is back.",
      );
      await expect(tab.locator("#error:focus").count()).resolves.toBe(1);
      await expect(approve.isEnabled()).resolves.toBe(true);
    });
  });

  it("says on the email's consent page that the tenant did not answer when it stopped before the request loaded, not 'Loading…' for ever", async () => {
    await onStoppingTenant("Unloaded request check", async (tab, href, stop) => {
      // The page loads; its read of the request waits until the tenant has stopped.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      await tab.route(
        (url) => url.pathname === "/bc-verify/api/consent",
        async (route) => {
          await held;
          await route.continue().catch(() => undefined);
        },
      );
      await tab.goto(href);
      await tab.getByText("Loading the request…").waitFor();
      await stop();
      release();

      const alert = tab.getByRole("alert");
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toBe(
        "Could not load the request: the tenant did not answer (is mock-auth0 still running?). Try again once it is back.",
      );
      await expect(tab.getByText("Loading the request…").isVisible()).resolves.toBe(false);
      await expect(
        tab.getByRole("heading", { name: "Could not load the request" }).isVisible(),
      ).resolves.toBe(true);
      await expect(tab.getByRole("button", { name: "Try again" }).isEnabled()).resolves.toBe(true);
    });
  });

  it("reads the request again on the consent page's Try again, once the tenant answers", async () => {
    const href = await emailLink("retry-email", "Retry email check");
    const tab = await browser.newPage();
    try {
      const read = (url: URL) => url.pathname === "/bc-verify/api/consent";
      // The second read fails on the tenant's side; the first gets no answer at all.
      await tab.route(
        read,
        (route) =>
          route.fulfill({
            status: 503,
            json: {
              error: "temporarily_unavailable",
              error_description: "The tenant is restarting",
            },
          }),
        { times: 1 },
      );
      await tab.route(read, (route) => route.abort("connectionrefused"), { times: 1 });
      await tab.goto(href);
      const alert = tab.getByRole("alert");
      await expect(alert.textContent()).resolves.toBe(
        "Could not load the request: the tenant did not answer (is mock-auth0 still running?). Try again once it is back.",
      );

      const retry = tab.getByRole("button", { name: "Try again" });
      await retry.focus();
      await tab.keyboard.press("Enter");
      await expect
        .poll(() => alert.textContent())
        .toBe("Could not load the request: The tenant is restarting");
      // The alert takes the focus from the button, so a screen reader says what happened.
      await expect(tab.locator("#unreachable-text:focus").count()).resolves.toBe(1);

      await retry.click();
      await tab.getByText("Shopping agent asks for your approval").waitFor();
      await expect(tab.locator("#code").textContent()).resolves.toBe("Retry email check");
      await expect(tab.locator("#consent-title:focus").count()).resolves.toBe(1);
      await expect(alert.isVisible()).resolves.toBe(false);
      await expect(
        tab.getByRole("button", { name: "Approve: Retry email check" }).isEnabled(),
      ).resolves.toBe(true);
    } finally {
      await tab.close();
      tenant.store.decide("retry-email", "deny", "control-api");
    }
  });

  it("says on the email's consent page that the tenant did not answer in time when it takes a read or an answer and never answers", async () => {
    const href = await emailLink("late-email", "Late tenant check");
    const tab = await browser.newPage();
    try {
      const consentApi = (url: URL) => url.pathname === "/bc-verify/api/consent";
      const late =
        "the tenant did not answer within 10 s (is mock-auth0 stuck, or its machine overloaded?)";
      // The tenant takes the first read and never answers it: the page waited for good.
      await tab.route(consentApi, () => undefined, { times: 1 });
      await tab.clock.install();
      await tab.goto(href);
      await tab.getByText("Loading the request…").waitFor();
      await tab.clock.runFor(10_000);
      const alert = tab.getByRole("alert");
      await expect
        .poll(() => alert.textContent())
        .toBe(`Could not load the request: ${late}. Try again in a moment.`);
      await expect(tab.getByText("Loading the request…").isVisible()).resolves.toBe(false);
      await tab.getByRole("button", { name: "Try again" }).click();
      await tab.getByText("Shopping agent asks for your approval").waitFor();

      // It takes the person's answer and never answers that either.
      await tab.route(consentApi, () => undefined, { times: 1 });
      const approve = tab.getByRole("button", { name: "Approve: Late tenant check" });
      await approve.click();
      await expect(approve.isDisabled()).resolves.toBe(true);
      await tab.clock.runFor(10_000);
      await expect
        .poll(() => tab.locator("#error").textContent())
        .toBe(
          `Could not approve: ${late}, so your answer may or may not have been taken. Reload ` +
            "this page to see: it shows the request again while it waits, or says the link was used.",
        );
      await expect(tab.locator("#error:focus").count()).resolves.toBe(1);
      await expect(approve.isEnabled()).resolves.toBe(true);
    } finally {
      await tab.close();
      tenant.store.decide("late-email", "deny", "control-api");
    }
  });

  it("says on the approver page that the tenant stopped answering, on the card it decided and in its status line, once each", async () => {
    ask(tenant, "late-decision", "Late approver check");
    const tab = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      const late =
        "the tenant did not answer within 10 s (is mock-auth0 stuck, or its machine overloaded?)";
      const stopped =
        "The tenant stopped answering (is mock-auth0 paused, stuck, or its machine overloaded?): " +
        "nothing new shows here, and your answers cannot reach it. Reconnecting…";
      await tab.clock.install();
      await tab.goto(`${tenant.issuer}approver`);
      await tab.getByText("Live", { exact: true }).waitFor();
      await recordAnnouncements(tab);

      // The tenant takes the decision and never answers it (as one stopped with SIGSTOP does):
      // the card's buttons stayed pressed, without a word, for good.
      await tab.route(
        (url) => url.pathname.endsWith("/late-decision/approve"),
        () => undefined,
        {
          times: 1,
        },
      );
      const approve = tab.getByRole("button", { name: /^Approve: Late approver check/ });
      await approve.click();
      await expect(approve.isDisabled()).resolves.toBe(true);
      await tab.clock.runFor(10_000);
      const card = tab.locator(".card", { hasText: "Late approver check" });
      const error =
        `Could not approve: ${late}, so your answer may or may not have been taken. Once the ` +
        "tenant answers again, this page shows the request as it stands: answer it again if it " +
        "still waits.";
      await expect.poll(() => card.getByRole("alert").textContent()).toBe(error);
      await expect(approve.isEnabled()).resolves.toBe(true);
      expect(tenant.store.get("late-decision")?.status).toBe("pending");

      // Its event stream goes silent too, and the next ones are taken and never answered: the
      // page said "Live" for good.
      const events = (url: URL) => url.pathname === "/approver/api/events";
      await tab.route(events, () => undefined);
      await tab.clock.runFor(35_000);
      await tab.getByText(stopped, { exact: true }).waitFor();
      await tab.clock.runFor(30_000);
      await expect(tab.locator("#connection").textContent()).resolves.toBe(stopped);

      // Back: the page is live again, the request as it stands.
      await tab.unroute(events);
      await tab.clock.runFor(15_000);
      await tab.getByText("Live", { exact: true }).waitFor();
      await expect(approve.isEnabled()).resolves.toBe(true);
      const told = await announcementsOf(tab);
      expect(told.filter(({ text }) => text === error)).toHaveLength(1);
      expect(told.filter(({ text }) => text === stopped)).toHaveLength(1);
    } finally {
      await tab.close();
      tenant.store.decide("late-decision", "deny", "control-api");
    }
  });

  it("counts under Waiting for you only the requests it lists there, and says when they are all under Email", async () => {
    for (const request of tenant.store.list({ statuses: ["pending"], limit: 50 }).requests) {
      tenant.store.decide(request.authReqId, "deny", "control-api");
    }
    ask(tenant, "mail-one", "Mail check one", { channel: "email" });
    ask(tenant, "mail-two", "Mail check two", { channel: "email" });
    await open();
    await page.locator("#emails .mail", { hasText: "Mail check two" }).waitFor();
    await expect(page.locator("#pending-count").textContent()).resolves.toBe("0");
    await expect(page.locator("#pending-empty").textContent()).resolves.toBe(
      "No consent request waits here: the 2 that wait are on the email channel, under Email below.",
    );
    await expect(page.locator("#pending-empty").isVisible()).resolves.toBe(true);
    await expect(page.locator("#email-count").textContent()).resolves.toBe("2");

    // A card besides: counted, and nothing said to be empty.
    ask(tenant, "card-beside", "Card beside check");
    await page.locator(".card", { hasText: "Card beside check" }).waitFor();
    await expect(page.locator("#pending-count").textContent()).resolves.toBe("1");
    await expect(page.locator("#pending-empty").isHidden()).resolves.toBe(true);
    for (const id of ["mail-one", "mail-two", "card-beside"]) {
      tenant.store.decide(id, "deny", "control-api");
    }
  });

  it("keeps each label of a card's details in its own cell with WCAG's text spacing at 320 px, and at 200% text", async () => {
    ask(tenant, "spacing-check", "Spacing check", {
      details: [
        purchase({
          quantity: 2,
          maximum_amount: 998,
          purchase_id: "pur_0123abcd-4567-89ef-0123-456789abcdef",
        }),
      ],
    });
    // WCAG 2.2 SC 1.4.12's spacing; 200% text alone, the page's rem-sized layout as it was.
    const spacing =
      "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }";
    for (const [width, css] of [
      [320, spacing],
      [420, "body { font-size: 200% !important; }"],
    ] as const) {
      // The overrides are the person's own style sheet: the page's policy does not apply to it.
      const context = await browser.newContext({
        bypassCSP: true,
        viewport: { width, height: 900 },
      });
      try {
        const tab = await context.newPage();
        await tab.goto(`${tenant.issuer}approver`);
        await tab.addStyleTag({ content: css });
        const table = tab.locator(".card", { hasText: "Spacing check" }).locator("table");
        await table.waitFor();
        // Each row's label, and the text of label and value: the label's text within its cell,
        // the value's after it, both within the table.
        const rows = await tab.evaluate(`[...document.querySelectorAll(".card table tr")]
          .filter((row) => row.closest(".card").textContent.includes("Spacing check"))
          .map((row) => {
          const [th, td] = row.children;
          const text = (cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return [...range.getClientRects()].filter((r) => r.width > 0);
          };
          const cell = th.getBoundingClientRect();
          const tableBox = row.closest("table").getBoundingClientRect();
          const labelRight = Math.max(...text(th).map((r) => r.right));
          const valueLeft = Math.min(...text(td).map((r) => r.left));
          const right = Math.max(...[...text(th), ...text(td)].map((r) => r.right));
          return {
            label: th.textContent,
            inCell: labelRight <= cell.right + 0.5,
            beforeValue: labelRight <= valueLeft + 0.5,
            inTable: right <= tableBox.right + 0.5,
          };
        })`);
        const fits = { inCell: true, beforeValue: true, inTable: true };
        expect(rows, `${width} px, ${css}`).toEqual([
          { label: "Product", ...fits },
          { label: "Quantity", ...fits },
          { label: "Up to", ...fits },
          { label: "Currency", ...fits },
          { label: "Purchase id", ...fits },
        ]);
      } finally {
        await context.close();
      }
    }
    tenant.store.decide("spacing-check", "deny", "control-api");
  });

  it("puts the focus on the page's heading once the control token is entered, not on the page's start", async () => {
    const token = "focus-control-token-0123456789";
    const locked = await startOwnTenant({ controlToken: token });
    const tab = await browser.newPage();
    const focused = () =>
      tab.evaluate<[string, string]>(
        "[document.activeElement.tagName, document.activeElement.textContent]",
      );
    try {
      await tab.goto(`${locked.issuer}approver`);
      await tab.getByText("This tenant needs its control token").waitFor();
      // By keyboard: typed into the box the page focused, sent with Enter.
      await tab.keyboard.type(token);
      await tab.keyboard.press("Enter");
      await tab.getByText("Live", { exact: true }).waitFor();
      await expect(focused()).resolves.toEqual(["H1", "Approver"]);
      // So by a #token= typed into the address bar of the locked page, the box focused.
      await tab.evaluate(`sessionStorage.clear()`);
      await tab.reload();
      await tab.getByText("This tenant needs its control token").waitFor();
      await tab.evaluate(`location.hash = "#token=${token}"`);
      await tab.getByText("Live", { exact: true }).waitFor();
      await expect(focused()).resolves.toEqual(["H1", "Approver"]);
    } finally {
      await tab.close();
      await locked.close();
    }
  });

  it("holds 50 cards with hundreds waiting, renders once for a burst, and lays each list out once a render", async () => {
    const busyClock = new ManualClock(Date.parse("2026-01-02T10:00:00Z"));
    const busy = await startOwnTenant({ clock: busyClock });
    const tab = await browser.newPage({ viewport: { width: 420, height: 900 } });
    /** Requests made one millisecond apart on the tenant's clock: their order is plain. */
    const make = (from: number, to: number) => {
      for (let i = from; i <= to; i += 1) {
        busyClock.advance(1);
        ask(busy, `busy-${i}`, `Busy check ${String(i).padStart(3, "0")}`);
      }
    };
    const shownMessages = () => tab.locator("#pending .card .message").allTextContents();
    const newest = (last: number, count: number) =>
      Array.from({ length: count }, (_, i) => `Busy check ${String(last - i).padStart(3, "0")}`);
    try {
      make(1, 120);
      await tab.goto(`${busy.issuer}approver`);
      await tab.getByText("Live", { exact: true }).waitFor();
      await tab.locator(".card", { hasText: "Busy check 120" }).waitFor();
      await expect(shownMessages()).resolves.toEqual(newest(120, 50));
      await expect(tab.locator("#pending-count").textContent()).resolves.toBe("120");

      // Counted in the page, as a burst arrives: renders (each writes the count), searches of
      // the list for a card, and reads of a card's place that follow a write to the page, each
      // of which makes the browser lay the page out again.
      await tab.evaluate(`(() => {
        const counts = (window.busyCounts = { renders: 0, listSearches: 0, forcedLayouts: 0 });
        new MutationObserver((records) => (counts.renders += records.length)).observe(
          document.getElementById("pending-count"),
          { childList: true },
        );
        const writes = new MutationObserver(() => {});
        writes.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
        const list = document.getElementById("pending");
        for (const name of ["querySelector", "querySelectorAll"]) {
          const original = Element.prototype[name];
          Element.prototype[name] = function (...args) {
            if (this === list) counts.listSearches += 1;
            return original.apply(this, args);
          };
        }
        const offsetTop = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "offsetTop");
        Object.defineProperty(HTMLElement.prototype, "offsetTop", {
          get() {
            if (writes.takeRecords().length > 0) counts.forcedLayouts += 1;
            return offsetTop.get.call(this);
          },
        });
      })()`);
      // 20 requests in one turn of the tenant's event loop: their events reach the page together.
      make(121, 140);
      await tab.locator(".card", { hasText: "Busy check 140" }).waitFor();
      await expect.poll(() => tab.locator("#pending-count").textContent()).toBe("140");
      const counts = await tab.evaluate<{
        renders: number;
        listSearches: number;
        forcedLayouts: number;
      }>("window.busyCounts");
      expect(counts.renders).toBeGreaterThan(0);
      expect(counts.renders).toBeLessThan(10);
      expect(counts.listSearches).toBe(0);
      // Each list is laid out when a render reads it, and once more for where its cards went:
      // not once for each card.
      expect(counts.forcedLayouts).toBeLessThanOrEqual(counts.renders * 6);
      // The newest 50 only; the older ones wait for "Show older requests".
      await expect(shownMessages()).resolves.toEqual(newest(140, 50));

      // It let 20 go after the cursor was read: the next page starts from the newest again, so
      // none of them is skipped.
      await tab.getByRole("button", { name: "Show older requests" }).click();
      await tab.locator(".card", { hasText: "Busy check 041" }).waitFor();
      await expect(shownMessages()).resolves.toEqual(newest(140, 100));
      await tab.getByRole("button", { name: "Show older requests" }).click();
      await tab.locator(".card", { hasText: "Busy check 001" }).waitFor();
      await expect(shownMessages()).resolves.toEqual(newest(140, 140));
      await expect(
        tab.getByRole("button", { name: "Show older requests" }).isHidden(),
      ).resolves.toBe(true);
    } finally {
      await tab.close();
      await busy.close();
    }
  });

  it("remembers which requests it decided only while it shows them", async () => {
    const ownClock = new ManualClock(Date.parse("2026-01-02T10:00:00Z"));
    const own = await startOwnTenant({ clock: ownClock });
    const tab = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      // Every Set the page fills with this test's requests, and what each holds of them.
      await tab.addInitScript(`(() => {
        const sets = (window.decidedSets = new Set());
        const add = Set.prototype.add;
        Set.prototype.add = function (value) {
          if (typeof value === "string" && value.startsWith("forget-")) sets.add(this);
          return add.call(this, value);
        };
      })()`);
      await tab.goto(`${own.issuer}approver`);
      await tab.getByText("Live", { exact: true }).waitFor();
      // Two more than the Recent list shows, decided on this page one after another.
      for (let i = 1; i <= 27; i += 1) {
        ownClock.advance(1);
        ask(own, `forget-${i}`, `Forget check ${i}`);
        const deny = tab.getByRole("button", { name: new RegExp(`^Deny: Forget check ${i} `) });
        await deny.focus();
        await tab.keyboard.press("Enter");
        await tab.locator(".history > li", { hasText: `Forget check ${i}` }).waitFor();
        await expect
          .poll(() =>
            tab
              .locator(".history > li", { hasText: `Forget check ${i}` })
              .locator(".who")
              .textContent(),
          )
          .toMatch(/ \u00B7 decided on this page \u00B7 /);
      }
      await expect(tab.locator(".history > li").count()).resolves.toBe(25);
      // The most any of them holds: the 25 the Recent list shows, not all 27 it decided.
      const most = await tab.evaluate<number>(
        "Math.max(...[...window.decidedSets].map((set) => [...set].filter((id) => typeof id === 'string' && id.startsWith('forget-')).length))",
      );
      expect(most).toBe(25);
    } finally {
      await tab.close();
      await own.close();
    }
  });

  it("takes #token= typed into a locked page already open, and clears it from the address bar", async () => {
    const token = "cards-control-token-0123456789";
    const locked = await startOwnTenant({ controlToken: token });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${locked.issuer}approver`);
      await tab.getByText("This tenant needs its control token").waitFor();
      // A string, run in the page: the test's types have no DOM.
      await tab.evaluate('location.hash = "#token=not-the-control-token-at-all"');
      await tab.getByText("That is not this tenant's control token.").waitFor();
      expect(tab.url()).toBe(`${locked.issuer}approver`);
      await tab.evaluate(`location.hash = "#token=${token}"`);
      await tab.getByText("Live", { exact: true }).waitFor();
      expect(tab.url()).toBe(`${locked.issuer}approver`);
    } finally {
      await tab.close();
      await locked.close();
    }
  });
});
