import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startChatStack, type ChatStack } from "../support/chat-stack.js";
import { loadScaled } from "../support/load-scaled.js";
import { orderAnswerHolder } from "../support/order-answer-holder.js";
import { BUYER, type Scenario } from "../support/scenario.js";

// `pnpm agent serve` stopped (Ctrl-C, a deploy's SIGTERM) while an order it sent to the shop has
// no answer: the shop may have placed it and the person been charged, and the chat that knew of
// it goes with the process. It must exit 1 and name the order on stderr, or nobody can tell them.
describe("the agent's web app stopped with an order at the shop unanswered", () => {
  let stack: ChatStack;
  let s: Scenario;
  let browser: Browser;
  let shop: Awaited<ReturnType<typeof orderAnswerHolder>> | undefined;

  beforeAll(async () => {
    stack = await startChatStack("chat-stop-order", "interrupt", {
      cli: true,
      // Orders go through a proxy that never gives the shop's answer back: the shop that hangs.
      env: async (started) => {
        await shop?.close();
        shop = await orderAnswerHolder(started.stack.shopApiUrl);
        return { SHOP_API_URL: `${shop.url}/api/purchases` };
      },
    });
    ({ s, browser } = stack);
    await s.policy("manual");
  });
  afterAll(async () => {
    await stack.stop();
    await shop?.close();
  });

  it("exits 1 on SIGTERM once its grace is over, naming on stderr the order, whom it is for, and how to check it", async () => {
    const { web, baseUrl } = stack;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByRole("link", { name: "Log in", exact: true }).click();
    await page.getByRole("button", { name: "Test Buyer buyer@example.com", exact: true }).click();
    await page.getByText("Logged in as Test Buyer", { exact: true }).waitFor();
    const before = (await s.ordersOf(BUYER)).length;
    await page.getByLabel("Message").fill("Buy 3 USB-C cables");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const request = await s.stack.control.waitForPending((c) =>
      c.binding_message.includes("buy 3 USB-C cable"),
    );
    // The page's resume takes the approval and orders; the shop places it, and the app never
    // hears back.
    await s.stack.control.approve(request.auth_req_id);
    await shop?.ordered;
    await page
      .getByText("Approved \u2014 placing your order\u2026", { exact: true })
      .last()
      .waitFor();

    const purchasesUrl = `${shop?.url ?? ""}/api/purchases`;
    const fix = web.waitForLine(
      (line) => (line.startsWith("Fix: Check the person's orders") ? line : undefined),
      // The app waits 15 s for the shop's answer before it gives up on it.
      loadScaled(60_000),
      "the unanswered order's fix",
    );
    web.signal("SIGTERM");
    await expect(fix).resolves.toContain(`GET ${purchasesUrl} with a token of theirs`);
    await web.exited;
    expect(web.exitStatus).toEqual({ code: 1, signal: null });
    const said = web.recentOutput.join("\n");
    expect(said).toContain(
      "The web app stopped with 1 order sent to the shop and unanswered after 15 s: the shop may have placed it, and the person may have been charged.",
    );
    expect(said).toMatch(
      new RegExp(
        `^  - 3 x USB-C cable for "${BUYER.replace("|", "\\|")}" \\(chat thread [0-9a-f]{16}\\.[\\w-]+, sent at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`,
        "m",
      ),
    );
    // As it says: the shop has it.
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    await context.close();
  });
});
