import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startChatStack } from "../support/chat-stack.js";
import type { ChatStack } from "../support/chat-stack.js";
import { BUYER } from "../support/scenario.js";
import type { Scenario } from "../support/scenario.js";

// A person in the web app's chat answers the offline model's question, and the purchase goes
// through with what the first message asked for, completed by the answer.
describe("the chat web app, when the person answers the model's question", () => {
  let s: Scenario;
  let stack: ChatStack;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    // Interrupt mode: the page sends the chat again to resume the purchase, question included.
    stack = await startChatStack("chat-follow-up");
    ({ s, baseUrl, browser } = stack);
    // The simulated person approves only the purchase they meant: 2 XYZ phone cases.
    await s.policy("deny", [
      { when: { bindingMessage: "^Do you want to buy 2 XYZ phone cases for" }, outcome: "approve" },
    ]);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await stack.stop();
  });

  const say = async (message: string) => {
    await page.getByLabel("Message").fill(message);
    await page.getByRole("button", { name: "Send" }).click();
  };
  const answer = (text: RegExp) => page.locator(".message.assistant .text", { hasText: text });

  it("buys the quantity of the first message with the product of the answer", async () => {
    await page.goto(baseUrl);
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.getByText("Logged in as Test Buyer").waitFor();
    const before = (await s.ordersOf(BUYER)).length;

    await say("buy 2 phones");
    await answer(/Which do you mean by "phones": XYZ phone or XYZ phone case\?/).waitFor();
    expect(await s.consentRequests()).toEqual([]);

    await say("the case");
    await answer(/Ordered 2 x XYZ phone case/).waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders.map(({ product, qty }) => ({ product: product.name, qty }))).toEqual([
      { product: "XYZ phone case", qty: 2 },
    ]);
    const consents = await s.consentRequests();
    expect(consents.map(({ binding_message, status }) => ({ binding_message, status }))).toEqual([
      {
        binding_message: expect.stringMatching(/^Do you want to buy 2 XYZ phone cases for/),
        status: "consumed",
      },
    ]);
  });
});
