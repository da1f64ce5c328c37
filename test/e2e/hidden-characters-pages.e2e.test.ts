import path from "node:path";

import { SigningKeys, startMockAuth0, tenantWith } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { launchChromium } from "@ciba-testbed/stack/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BUYER, SECOND_BUYER } from "../support/scenario.js";
import { AGENT_CLIENT } from "../support/tenant-client.js";

const CERT_DIR = path.resolve(".certs");
const CALLBACK = "https://app.example/auth/callback";
/** A name that a right-to-left override turns into "Alice 20 TO BUY Smith" where it is not written out. */
const ALICE = "Alice \u202eYUB OT 02\u202c Smith";
/** A name that, turned around, shows another user's id after it. */
const EVE = "Eve \u202e(auth0|alice)";
const LONG_NAME = "W".repeat(300);

/** A pending request put straight into the tenant's store, as `/bc-authorize` would. */
function ask(
  tenant: RunningMockAuth0,
  id: string,
  userId: string,
  channel: "email" | "guardian-push",
) {
  const created = tenant.store.create({
    authReqId: id,
    clientId: "ciba-testbed-agent",
    userId,
    scope: ["openid", "product:buy"],
    audience: "sample-shop-api",
    bindingMessage: `Do you want to buy 1 XYZ phone ${id}`,
    authorizationDetails: undefined,
    requestedExpiry: undefined,
    channel,
    userEmail: userId === BUYER ? "buyer@example.com" : "second@example.com",
    approverOutcome: { action: "manual" },
    expiresInSeconds: 300,
  });
  expect(created.ok).toBe(true);
}

// Names in users.json that hold direction controls, on every page a person reads them on.
describe("the tenant's pages with direction controls in what they show", () => {
  let browser: Browser;
  let tenant: RunningMockAuth0;
  let page: Page;

  beforeAll(async () => {
    tenant = await startMockAuth0({
      tenant: tenantWith({
        users: (users) => [
          ...users.map((user) =>
            user.user_id === "testbed-user"
              ? { ...user, name: ALICE }
              : user.user_id === "second-user"
                ? { ...user, name: EVE }
                : user,
          ),
          {
            user_id: "long-name",
            email: "long@example.com",
            email_verified: true,
            name: LONG_NAME,
          },
        ],
        assets: (assets) => ({
          ...assets,
          clients: (assets.clients as Record<string, unknown>[]).map((client) =>
            client.name === "Shopping agent" ? { ...client, callbacks: [CALLBACK] } : client,
          ),
        }),
      }),
      port: 0,
      host: "127.0.0.1",
      certDir: CERT_DIR,
      keys: await SigningKeys.create(),
    });
    browser = await launchChromium(CERT_DIR);
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  });
  afterAll(async () => {
    await browser.close();
    await tenant.close();
  });

  it("writes the controls out in the approver page's For row and the email consent page's You are row", async () => {
    ask(tenant, "alice-push", BUYER, "guardian-push");
    ask(tenant, "eve-push", SECOND_BUYER, "guardian-push");
    ask(tenant, "eve-email", SECOND_BUYER, "email");
    await page.goto(`${tenant.issuer}approver`);
    await page.getByText("Live", { exact: true }).waitFor();
    const forRow = (id: string) =>
      page
        .locator(".card", { hasText: `XYZ phone ${id}` })
        .locator(".user")
        .textContent();
    await expect(forRow("alice-push")).resolves.toBe(
      "Alice \\u{202E}YUB OT 02\\u{202C} Smith (auth0|testbed-user)",
    );
    await expect(forRow("eve-push")).resolves.toBe(
      "Eve \\u{202E}(auth0|alice) (auth0|second-user)",
    );
    await expect(page.locator("body").innerText()).resolves.not.toMatch(/[\u202a-\u202e]/);

    const link = page.locator("#emails .mail", { hasText: "eve-email" }).locator("a");
    const consent = await browser.newPage();
    try {
      await consent.goto(String(await link.getAttribute("href")));
      await consent.getByText("Shopping agent asks for your approval").waitFor();
      await expect(consent.locator("#user").textContent()).resolves.toBe(
        "Eve \\u{202E}(auth0|alice) (second@example.com)",
      );
      await expect(consent.locator("body").innerText()).resolves.not.toMatch(/[\u202a-\u202e]/);
    } finally {
      await consent.close();
    }
  });

  it("writes them out on the login page, and wraps a long name inside its button", async () => {
    const login = await browser.newPage({ viewport: { width: 420, height: 900 } });
    try {
      const query = `response_type=code&scope=openid&redirect_uri=${encodeURIComponent(CALLBACK)}`;
      await login.goto(`${tenant.issuer}authorize?client_id=${AGENT_CLIENT.client_id}&${query}`);
      await login.getByRole("heading", { name: "Log in" }).waitFor();
      const names = await login.locator("button .name").allTextContents();
      expect(names).toContain("Alice \\u{202E}YUB OT 02\\u{202C} Smith");
      expect(names).toContain("Eve \\u{202E}(auth0|alice)");
      await expect(login.locator("body").innerText()).resolves.not.toMatch(/[\u202a-\u202e]/);
      // The long name wraps: its button stays within the page's card and the page's width.
      const button = login.getByRole("button", { name: new RegExp(`^${LONG_NAME}`) });
      const [buttonBox, mainBox] = await Promise.all([
        button.boundingBox(),
        login.locator("main").boundingBox(),
      ]);
      expect(buttonBox?.width).toBeLessThanOrEqual(mainBox?.width ?? 0);
      await expect(
        login.evaluate("document.documentElement.scrollWidth"),
      ).resolves.toBeLessThanOrEqual(420);
    } finally {
      await login.close();
    }
  });
});
