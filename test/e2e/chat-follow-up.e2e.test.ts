import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { freePort } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { launchChromium } from "@ciba-testbed/stack/browser";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BUYER, Scenario } from "../support/scenario.js";

// A person in the web app's chat answers the offline model's question, and the purchase goes
// through with what the first message asked for, completed by the answer.
describe("the chat web app, when the person answers the model's question", () => {
  let s: Scenario;
  let browser: Browser;
  let web: SupervisedChild;
  let page: Page;
  let baseUrl: string;
  let tenantDir: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://localhost:${String(port)}`;
    // The repository's tenant, with this web app's address as its login callback.
    tenantDir = mkdtempSync(path.join(tmpdir(), "chat-follow-up-tenant-"));
    const tenant = path.join(tenantDir, "mock-auth0.json");
    const base = path.join(REPO_ROOT, "test/fixtures/e2e-tenant.mock-auth0.json");
    const keywords = { AGENT_WEB_URL: baseUrl };
    writeFileSync(tenant, JSON.stringify({ extends: path.relative(tenantDir, base), keywords }));
    s = await Scenario.start(path.relative(REPO_ROOT, tenant));
    // The simulated person approves only the purchase they meant: 2 XYZ phone cases.
    await s.policy("deny", [
      { when: { bindingMessage: "^Do you want to buy 2 XYZ phone cases for" }, outcome: "approve" },
    ]);
    browser = await launchChromium(path.dirname(s.stack.caCertPath));
    // Interrupt mode: the page sends the chat again to resume the purchase, question included.
    ({ child: web } = await SupervisedChild.start({
      name: "agent-web",
      script: "apps/agent/src/web/main.ts",
      env: { ...s.agentEnv(), AGENT_PORT: String(port), AGENT_MODE: "interrupt" },
    }));
    page = await browser.newPage();
  });
  afterAll(async () => {
    await Promise.all([browser.close(), web.stop()]);
    await s.stop();
    rmSync(tenantDir, { recursive: true, force: true });
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
