import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startChatStack } from "../support/chat-stack.js";
import { announcementsOf, recordAnnouncementsIn } from "../support/live-regions.js";
import type { ChatStack } from "../support/chat-stack.js";
import { BUYER } from "../support/scenario.js";
import type { Scenario } from "../support/scenario.js";

// Logging out does not end a purchase that waits (the person may still approve it on their
// phone, and the web app then orders it). The logged-out page must say so: a person who took
// the logout for the purchase's end would be surprised by the order an approval then places.
describe("the chat page after a logout that left a purchase waiting", () => {
  let s: Scenario;
  let stack: ChatStack;
  let browser: Browser;
  let appUrl: string;

  beforeAll(async () => {
    // Block mode: the chat request itself waits for the person's answer.
    stack = await startChatStack("chat-logout", "block");
    ({ s, baseUrl: appUrl, browser } = stack);
    await s.policy("manual");
  });
  afterAll(async () => {
    await stack.stop();
  });

  // What the pages say is matched as a whole: a part of it ("You are not logged in.") is also
  // part of other lines, and a test would then be satisfied by a line that is not the one meant.
  /** The binding message of the purchase these tests make (`purchaseBindingMessage`). */
  const TWO_PHONES = "Do you want to buy 2 XYZ phones for max 998 USD";
  /** `tab`'s card of the purchase that waits for the person's approval. */
  const waitingCard = (tab: Page) =>
    tab.locator(".approval.pending").filter({ has: tab.getByText(TWO_PHONES, { exact: true }) });
  /** Logs in as Test Buyer on the tenant's login page `tab` was sent to. */
  const logInAsBuyer = async (tab: Page) => {
    await tab.getByRole("button", { name: "Test Buyer buyer@example.com", exact: true }).click();
    await tab.getByText("Logged in as Test Buyer", { exact: true }).waitFor();
  };

  /** A page of `context` whose person logged in through the tenant's page. */
  const loggedInPage = async (context: BrowserContext) => {
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Log in", exact: true }).click();
    await logInAsBuyer(page);
    return page;
  };

  it("says the purchase waited at the logout and that approving it while it waits orders it, in the tab that logged out and in the others, until the next login", async () => {
    const context = await browser.newContext();
    const page = await loggedInPage(context);
    await page.getByLabel("Message").fill("Buy 2 XYZ phones");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await waitingCard(page).waitFor();
    const request = await s.stack.control.waitForPending((c) => c.binding_message === TWO_PHONES);
    const other = await context.newPage();
    await other.goto(appUrl);
    await waitingCard(other).waitFor();

    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await page.getByText("You are not logged in.", { exact: true }).waitFor();
    const note =
      `Logging out ended no purchase: "${request.binding_message}" waited for your approval ` +
      "when you logged out, and approving it while it waits orders it. Log in to follow it.";
    await expect(page.getByRole("status").textContent()).resolves.toBe(note);
    await other.getByText("You logged out in another tab.", { exact: true }).waitFor();
    await expect(other.getByRole("status").textContent()).resolves.toBe(
      `You logged out in another tab. Log in to go on. ${note}`,
    );

    // As it says: approved while nobody is logged in, the purchase is ordered.
    const before = (await s.ordersOf(BUYER)).length;
    await s.stack.control.approve(request.auth_req_id);
    await recordAnnouncementsIn(context);
    await page.getByRole("link", { name: "Log in", exact: true }).click();
    await logInAsBuyer(page);
    const answer = page
      .locator(".message.assistant .text")
      .filter({ hasText: /^Ordered 2 x XYZ phone: order \S+, total 998\.00 USD\.$/ });
    await answer.waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    await expect(answer.textContent()).resolves.toBe(
      `Ordered 2 x XYZ phone: order ${String(orders[0]?.id)}, total 998.00 USD.`,
    );
    // The agent's answer tells the outcome: the status line does not tell it again, once the
    // answer's stream has ended and Send is back (until then it says the agent is working).
    await page.getByRole("button", { name: "Send", exact: true, disabled: false }).waitFor();
    await expect(page.getByRole("status").last().textContent()).resolves.toBe("");
    // A screen reader is told the outcome and the answer once each, not the chat it knew.
    const announced = await announcementsOf(page);
    expect(announced.filter(({ region }) => region !== "status")).toEqual([
      {
        region: "announcer",
        text: `Purchase: ordered. ${request.binding_message}. ${String(await answer.textContent())}`,
      },
    ]);

    // Logged out again with nothing waiting: the page says nothing of purchases.
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await page.getByText("You are not logged in.", { exact: true }).waitFor();
    await expect(page.getByRole("status").textContent()).resolves.toBe("");
    await context.close();
  });

  it("tells a tab whose person logged out in another tab so in its status line, puts the focus on Log in, and gives back what was being typed after the login", async () => {
    const context = await browser.newContext();
    const page = await loggedInPage(context);
    const other = await context.newPage();
    await other.goto(appUrl);
    await other.getByText("Logged in as Test Buyer", { exact: true }).waitFor();
    await page.bringToFront();
    await page.getByLabel("Message").fill("Buy 3 ABC lap");

    await other.getByRole("button", { name: "Log out", exact: true }).click();
    await other.getByText("You are not logged in.", { exact: true }).waitFor();
    // The box went away under the person's fingers: the status line, a live region, says why.
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toBe(
        "You logged out in another tab. Log in to go on: what you were typing is back in the box then.",
      );
    await expect(page.getByLabel("Message").isVisible()).resolves.toBe(false);
    await expect
      .poll(() => page.evaluate("document.activeElement?.textContent ?? null"))
      .toBe("Log in");

    await page.keyboard.press("Enter");
    await logInAsBuyer(page);
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("Buy 3 ABC lap");
    await context.close();
  });
});
