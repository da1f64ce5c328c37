import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { systemClock } from "@ciba-testbed/shared";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { logIn } from "../../apps/agent/src/test-support/login-session.js";
import { callOf, scriptedModel } from "../../apps/agent/src/test-support/scripted-model.js";
import { chatClientScript } from "../../apps/agent/src/web/client-bundle.js";
import { LoginSessions } from "../../apps/agent/src/web/login-sessions.js";
import { offlineWebApp } from "../../apps/agent/src/web/offline-web-app.js";
import { loadWebConfig } from "../../apps/agent/src/web/web-config.js";
import { startWebAppAlone, type WebAppAlone } from "../support/web-app-alone.js";

const TENANT = "https://localhost:4010";

/** The tenant's discovery document, all the login SDK asks of it before a logout. */
const tenantDiscovery: typeof fetch = (input) =>
  Promise.resolve(
    (input instanceof Request ? input.url : input.toString()) ===
      `${TENANT}/.well-known/openid-configuration`
      ? Response.json({
          issuer: `${TENANT}/`,
          authorization_endpoint: `${TENANT}/authorize`,
          token_endpoint: `${TENANT}/oauth/token`,
          jwks_uri: `${TENANT}/.well-known/jwks.json`,
          response_types_supported: ["code"],
          id_token_signing_alg_values_supported: ["RS256"],
        })
      : new Response("not found", { status: 404 }),
  );

/**
 * The chat page in Chromium against the web app alone, in this process: no tenant, no shop. A
 * person is logged in by a session put in the app's store, as the SDK leaves one.
 */
describe("the chat page against the web app alone", () => {
  let alone: WebAppAlone;
  let browser: Browser;
  let baseUrl: string;
  const sessions = new LoginSessions(systemClock);
  const secret = "s".repeat(32);

  beforeAll(async () => {
    alone = await startWebAppAlone(secret, {
      sessions,
      clientScript: chatClientScript(),
      tenantFetch: tenantDiscovery,
    });
    ({ browser, baseUrl } = alone);
  });

  afterAll(async () => {
    await alone.stop();
  });

  /** Logs `claims.sub` in, in `context` (at `url`); returns the session's id. */
  async function logInTo(
    context: BrowserContext,
    claims: { sub: string; name?: string },
    url = baseUrl,
  ) {
    const { id, cookie } = logIn(sessions, secret, claims);
    const [name = "", value = ""] = cookie.split(/=(.*)/s);
    await context.addCookies([{ name, value, url }]);
    return id;
  }

  /** Another web app beside the first, whose model is `model`; its URL, closed after the test. */
  async function appWithModel(model: ReturnType<typeof scriptedModel>): Promise<string> {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          other.close(() => {
            resolve();
          });
        }),
    );
    const url = `http://localhost:${String((other.address() as AddressInfo).port)}`;
    const config = loadWebConfig({ AUTH0_SECRET: secret, AGENT_PORT: "0", APP_BASE_URL: url });
    other.on(
      "request",
      offlineWebApp(config, {
        clock: systemClock,
        sessions,
        clientScript: chatClientScript(),
        tenantFetch: tenantDiscovery,
        model,
      }),
    );
    return url;
  }

  async function loggedInPage() {
    const context = await browser.newContext();
    await logInTo(context, { sub: "auth0|test-user" });
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByText("Logged in as Test Buyer").waitFor();
    return page;
  }

  it("names the person it shows with each chat, and keeps a message another person's login in the browser since would have sent as theirs", async () => {
    const page = await loggedInPage();
    const sent = page.waitForRequest((request) => request.url() === `${baseUrl}/api/chat`);
    await page.getByLabel("Message").fill("hi");
    await page.getByRole("button", { name: "Send" }).click();
    expect(await (await sent).headerValue("x-shown-sub")).toBe("auth0%7Ctest-user");
    // The session ends without a logout here, and Second Buyer logs in (in another tab).
    await logInTo(page.context(), { sub: "auth0|second-user", name: "Second" });
    await page.getByLabel("Message").fill("Buy 1 ABC laptop");
    await page.getByRole("button", { name: "Send" }).click();
    await page
      .getByText("This browser is now logged in as another person: reload the page.")
      .waitFor();
    await page.getByText(/Your message was not sent: .*reload the page/).waitFor();
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("Buy 1 ABC laptop");
    await page.context().close();
  });

  it("shows the Log in link when the session ended before a message was sent, and puts the message back in the box, there again after the login", async () => {
    const context = await browser.newContext();
    const first = await logInTo(context, { sub: "auth0|test-user" });
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByText("Logged in as Test Buyer").waitFor();
    // The app forgets the session, as when it restarts: the page still shows the person.
    sessions.destroy(first);
    await page.getByLabel("Message").fill("What can you buy?");
    await page.getByLabel("Message").press("Enter");
    await page
      .getByText("Your message was not sent: your session ended. Log in again, then send it.")
      .waitFor();
    await expect(page.locator("#who").textContent()).resolves.toBe("Your session ended.");
    await expect(page.getByRole("link", { name: "Log in" }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Log out" }).isVisible()).resolves.toBe(false);
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("What can you buy?");
    await expect(page.locator(".message").count()).resolves.toBe(0);
    // The login leaves the page; the page it comes back to has the message in the box.
    await logInTo(context, { sub: "auth0|test-user" });
    await page.goto(baseUrl);
    await page.getByText("Logged in as Test Buyer").waitFor();
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("What can you buy?");
    await context.close();
  });

  it("fits a 320 px wide screen without scrolling sideways: a long word or address in a message, and a long name, wrap", async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    const name = "alexandra.richardson@example-company.com";
    await logInTo(context, { sub: "auth0|test-user", name });
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByText(`Logged in as ${name}`).waitFor();
    const sku = `SKU_XYZPHONE_${"0".repeat(47)}1`;
    const url = "https://shop.example-company.com/catalogue/phones/xyz-phone-2026?colour=midnight";
    for (const message of [`Buy 2 of ${sku}`, `Buy the phone at ${url}`]) {
      await page.getByLabel("Message").fill(message);
      await page.getByLabel("Message").press("Enter");
      await page.locator(".message.user", { hasText: message }).waitFor();
      await page.getByRole("button", { name: "Send", disabled: false }).waitFor();
    }
    await expect(page.locator(".message.assistant").count()).resolves.toBe(2);
    const width = await page.evaluate<number>("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(320);
    for (const part of [
      page.locator("#who"),
      page.getByRole("button", { name: "New chat" }),
      page.getByRole("button", { name: "Log out" }),
      ...(await page.locator(".message").all()),
    ]) {
      const box = await part.boundingBox();
      expect(box?.x).toBeGreaterThanOrEqual(0);
      expect((box?.x ?? -1) + (box?.width ?? 0)).toBeLessThanOrEqual(320);
    }
    await context.close();
  });

  it("tells a browser without JavaScript that the chat needs it, and logs in and out there", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    await logInTo(context, { sub: "auth0|test-user" });
    const page = await context.newPage();
    await page.goto(baseUrl);
    await expect(
      page.getByRole("heading", { name: "The chat needs JavaScript" }).isVisible(),
    ).resolves.toBe(true);
    // Shown (innerText is the rendered text): what to do, and what works without JavaScript.
    await expect(page.locator("main").innerText()).resolves.toContain(
      "Turn JavaScript on for this page and reload it. Logging in and out work without it",
    );
    const login = page.waitForRequest((request) => request.url() === `${baseUrl}/auth/login`);
    await page.getByRole("link", { name: "Log in" }).click();
    const toTenant = (await (await login).response())?.headers().location;
    expect(toTenant).toMatch(/^https:\/\/localhost:4010\/authorize\?/);
    await page.goto(baseUrl);
    const logout = page.waitForRequest((request) => request.url() === `${baseUrl}/auth/logout`);
    await page.getByRole("button", { name: "Log out" }).click();
    const response = await (await logout).response();
    expect(response?.status()).toBe(302);
    expect(response?.headers().location).toMatch(/^https:\/\/localhost:4010\/v2\/logout\?/);
    await context.close();
  });

  it("logs out with the page's own button, which names the page's origin: no Sec-Fetch-Site needed", async () => {
    const page = await loggedInPage();
    const logout = page.waitForRequest((request) => request.url() === `${baseUrl}/auth/logout`);
    await page.getByRole("button", { name: "Log out" }).click();
    const request = await logout;
    expect(await request.headerValue("origin")).toBe(baseUrl);
    // Auth0's /v2/logout next (no tenant runs here: the redirect is what counts).
    const response = await request.response();
    expect(response?.status()).toBe(302);
    expect(response?.headers().location).toMatch(/^https:\/\/localhost:4010\/v2\/logout\?/);
    await page.context().close();
  });

  it.each([
    [
      "input that is not JSON",
      '{"product": "XYZ phone", "qty": 2',
      "The model's call was not run: its input was not JSON the agent can read.",
    ],
    [
      "input the tool's schema refuses",
      { product: "XYZ phone", qty: "2" },
      "The model's call was not run: its quantity was not a number.",
    ],
  ])(
    "says on the card of a call that never ran, %s, that it was not run and why, in its own words",
    async (_, input, why) => {
      const claim = "I have ordered 2 XYZ phones for you.";
      const url = await appWithModel(scriptedModel([callOf(input), { text: claim }]));
      const context = await browser.newContext();
      await logInTo(context, { sub: "auth0|test-user" }, url);
      const page = await context.newPage();
      await page.goto(url);
      await page.getByText("Logged in as Test Buyer").waitFor();
      await page.getByLabel("Message").fill("Buy 2 XYZ phones");
      await page.getByRole("button", { name: "Send" }).click();

      const card = page.locator(".approval.decided[data-status=NOT_RUN]");
      await card.waitFor();
      await expect(card.locator("strong").textContent()).resolves.toBe("Purchase: not run");
      await expect(card.locator(".why").textContent()).resolves.toBe(
        `${why} Nobody was asked to approve anything for it, and nothing was ordered.`,
      );
      // No empty "Shop: " line; the answer below says it whole, quoting the model's words.
      await expect(page.locator(".message.assistant .tool").count()).resolves.toBe(0);
      await page.locator(".message.assistant .text", { hasText: "could not run" }).waitFor();
      await context.close();
    },
  );
});
