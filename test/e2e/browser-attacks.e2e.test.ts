import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";

import type { BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startChatStack } from "../support/chat-stack.js";
import type { ChatStack } from "../support/chat-stack.js";
import { asksToBuy, ownRequests } from "../support/own-requests.js";
import { BUYER } from "../support/scenario.js";
import type { Scenario } from "../support/scenario.js";

/**
 * The pages a person logs in, chats and approves on, attacked from what shares their browser: a
 * page of another site, and a server on another port of `localhost` (the same site, and sent
 * the same cookies). Each attack is what such a page can do without the person's help.
 */
describe("the browser-facing pages under attack from another page in the same browser", () => {
  let s: Scenario;
  let stack: ChatStack;
  let appUrl: string;
  /** What the attacker's server answers, by path: an HTML page, or the headers alone. */
  const served = new Map<string, { html?: string; headers?: Record<string, string> }>();
  let attacker: Server;
  let attackerPort: number;

  beforeAll(async () => {
    stack = await startChatStack("browser-attacks");
    ({ s, baseUrl: appUrl } = stack);
    await s.policy("manual");
    attacker = createServer((req, res) => {
      const answer = served.get(new URL(req.url ?? "/", "http://attacker").pathname);
      res.writeHead(answer === undefined ? 404 : 200, {
        "Content-Type": "text/html",
        ...answer?.headers,
      });
      res.end(answer?.html ?? "");
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => attacker.close(resolve));
    await stack.stop();
  });

  /** The attacker's page at `path`, on another site (127.0.0.1) or on localhost's other port. */
  const attackerUrl = (path: string, site: "cross-site" | "same-site") =>
    `http://${site === "same-site" ? "localhost" : "127.0.0.1"}:${String(attackerPort)}${path}`;

  const logIn = async (context: BrowserContext, who: RegExp): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(appUrl);
    await page.getByRole("link", { name: "Log in", exact: true }).click();
    await page.getByRole("button", { name: who }).click();
    await page.getByText(/^Logged in as /).waitFor();
    return page;
  };

  const loggedInAs = async (page: Page) => {
    await page.goto(appUrl);
    return page.getByText(/^Logged in as |^You are not logged in\.$/).textContent();
  };

  /** The chat a page sends, as JSON squeezed into a text/plain form's one field. */
  const chatForm = (action: string) => {
    const chat = JSON.stringify({
      id: "csrf-chat",
      messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "Buy 1 USB-C cable" }] }],
    });
    const [name, value] = [chat.slice(0, -2), chat.slice(-2)];
    return (
      `<form method="post" action="${action}" enctype="text/plain">` +
      `<input type="hidden" name='${name}' value='${value}'></form>`
    );
  };

  const answerTo = (page: Page, path: string) =>
    page.waitForResponse((response: Response) => new URL(response.url()).pathname === path);

  it.each(["cross-site", "same-site"] as const)(
    "refuses a chat and a logout a %s page sends with the person's cookies: no consent request, still logged in",
    async (site) => {
      const context = await stack.browser.newContext();
      const person = await logIn(context, /^Test Buyer/);
      const requests = await ownRequests(s.stack.control);
      const ordersBefore = (await s.ordersOf(BUYER)).length;

      served.set(`/chat-form-${site}`, {
        html: `${chatForm(`${appUrl}/api/chat`)}<script>document.forms[0].submit()</script>`,
      });
      const attack = await context.newPage();
      const formAnswer = answerTo(attack, "/api/chat");
      await attack.goto(attackerUrl(`/chat-form-${site}`, site));
      expect((await formAnswer).status()).toBe(403);
      await expect((await formAnswer).json()).resolves.toEqual({
        error: "access_denied",
        error_description: "Cross-site requests to /api/chat are refused",
      });

      // A script's fetch with the cookies, in no-cors mode (no preflight): the app still reads
      // the request, and must refuse it whatever the page can see of its answer.
      served.set(`/chat-fetch-${site}`, {
        html:
          `<script>fetch(${JSON.stringify(`${appUrl}/api/chat`)}, { method: "POST", ` +
          `credentials: "include", mode: "no-cors", headers: { "Content-Type": "text/plain" }, ` +
          `body: ${JSON.stringify(JSON.stringify({ id: "csrf-fetch", messages: [] }))} })</script>`,
      });
      const fetchAnswer = answerTo(attack, "/api/chat");
      await attack.goto(attackerUrl(`/chat-fetch-${site}`, site));
      expect((await fetchAnswer).status()).toBe(403);

      served.set(`/logout-${site}`, {
        html: `<form method="post" action="${appUrl}/auth/logout"></form><script>document.forms[0].submit()</script>`,
      });
      const logoutAnswer = answerTo(attack, "/auth/logout");
      await attack.goto(attackerUrl(`/logout-${site}`, site));
      expect((await logoutAnswer).status()).toBe(403);

      await expect(loggedInAs(person)).resolves.toBe("Logged in as Test Buyer");
      expect((await requests.all()).filter(asksToBuy("1 USB-C cable"))).toEqual([]);
      expect(await s.ordersOf(BUYER)).toHaveLength(ordersBefore);
      await context.close();
    },
  );

  it("is framed by no other page: the chat page, the login page, the approver page and the email consent page", async () => {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    // A login page of a transaction of this browser's own, as a framing page would open it.
    await page.goto(`${appUrl}/auth/login`);
    const loginPage = page.url();
    expect(new URL(loginPage).pathname).toBe("/u/login");
    const framed = [
      `${appUrl}/`,
      loginPage,
      `${s.stack.issuer}approver`,
      `${s.stack.issuer}bc-verify?consent=anything`,
    ];
    served.set("/frames", {
      html: framed.map((url) => `<iframe src="${url}"></iframe>`).join(""),
    });
    const answers: string[] = [];
    page.on("response", (response) => {
      if (framed.includes(response.url())) answers.push(response.url());
    });
    await page.goto(attackerUrl("/frames", "cross-site"));
    await expect.poll(() => answers.length).toBe(framed.length);
    // Chromium puts its own error page in place of each: none of the framed documents ran.
    const children = page.mainFrame().childFrames();
    expect(children).toHaveLength(framed.length);
    for (const frame of children) {
      await expect.poll(() => frame.url()).toBe("chrome-error://chromewebdata/");
    }
    await context.close();
  });

  it("sends a login started with a returnTo of another site back to the app, not there", async () => {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appUrl}/auth/login?returnTo=${encodeURIComponent("https://evil.example/")}`);
    await page.getByRole("button", { name: /^Test Buyer/ }).click();
    await page.getByText("Logged in as Test Buyer", { exact: true }).waitFor();
    expect(page.url()).toBe(`${appUrl}/`);
    await context.close();
  });

  it("takes no approval from a double-click another site asked for: the approver page that came up under the pointer for its second click", async () => {
    // DoubleClickjacking: framing is refused, so the other site opens the approver page in its
    // own window as the first click lands, and the second click lands on whatever is under the
    // pointer there. The site knows the page's layout: it is the same for everyone.
    const run = s.agent(["Buy 1 XYZ phone case", "--expiry", "60"]);
    const requests = await ownRequests(s.stack.control);
    const request = await requests.waitForPending(asksToBuy("1 XYZ phone case"));
    const context = await stack.browser.newContext({ viewport: { width: 420, height: 900 } });
    const approver = `${s.stack.issuer}approver`;
    const scout = await context.newPage();
    await scout.goto(approver);
    const box = await scout
      .getByRole("button", { name: /^Approve: 1 \u00d7 XYZ phone case/ })
      .boundingBox();
    await scout.close();
    const x = (box?.x ?? 0) + (box?.width ?? 0) / 2;
    const y = (box?.y ?? 0) + (box?.height ?? 0) / 2;
    served.set("/double-click", {
      html:
        `<button id="b" style="position:absolute;left:${String(x - 60)}px;top:${String(y - 20)}px;width:120px;height:40px">Double-click to play</button>` +
        `<script>b.addEventListener("mousedown", () => { location = ${JSON.stringify(approver)}; }, { once: true });</script>`,
    });
    const page = await context.newPage();
    await page.goto(attackerUrl("/double-click", "cross-site"));
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForURL(approver);
    const card = page
      .locator(".card")
      .filter({ has: page.getByText(request.binding_message, { exact: true }) });
    await card.getByRole("button", { name: /^Approve/ }).waitFor();
    // The second click, the pointer where it was.
    await page.mouse.down();
    await page.mouse.up();
    await card
      .getByText(
        "This page came up under your pointer as you clicked (another page can put it there): check that this is the request you mean, then move the pointer to its button and click.",
        { exact: true },
      )
      .waitFor();
    expect((await s.stack.control.request(request.auth_req_id)).status).toBe("pending");

    // The person who moves to the button decides as they choose.
    await card.getByRole("button", { name: /^Deny/ }).click();
    expect((await run).json.outcome).toBe("DENIED");
    await context.close();
  });

  it("leaves another site that opened the approver page or the chat page no hold on its window: it cannot send it elsewhere later", async () => {
    // Reverse tabnabbing: the site opens the page for the person, and once they have turned to
    // it, sends that same tab to a look-alike of its own (one asking for the control token).
    const context = await stack.browser.newContext();
    served.set("/opener", { html: "<p>A game</p>" });
    const page = await context.newPage();
    await page.goto(attackerUrl("/opener", "cross-site"));
    for (const target of [`${s.stack.issuer}approver`, `${appUrl}/`]) {
      const opened = context.waitForEvent("page");
      await page.evaluate((url) => {
        const site = globalThis as unknown as { open(url: string): unknown; opened?: unknown };
        site.opened = site.open(url);
      }, target);
      const tab = await opened;
      await tab.waitForURL(target);
      await tab.locator("h1").first().waitFor();
      // The handle the site kept is closed: nothing it does with it reaches the tab.
      const closed = await page.evaluate(
        () => (globalThis as unknown as { opened: { closed: boolean } }).opened.closed,
      );
      expect(closed, target).toBe(true);
      await tab.close();
    }
    await context.close();
  });

  it("gives a person who logs in under a session cookie another page set a session of their own: its id is not the one that page knows", async () => {
    // The attacker logs in as themselves and keeps their signed session cookie.
    const attackerContext = await stack.browser.newContext();
    const attackerPage = await logIn(attackerContext, /^Second Buyer/);
    const known = (await attackerContext.cookies(appUrl)).find((c) => c.name === "appSession");
    expect(known).toBeDefined();

    // A page on another port of localhost sets it in the person's browser (cookies are not
    // kept per port), and the person then logs in as themselves.
    const context = await stack.browser.newContext();
    served.set("/toss", {
      headers: {
        "Set-Cookie": `appSession=${String(known?.value)}; Path=/; HttpOnly; SameSite=Lax`,
      },
    });
    const page = await context.newPage();
    await page.goto(attackerUrl("/toss", "same-site"));
    expect((await context.cookies(appUrl)).find((c) => c.name === "appSession")?.value).toBe(
      known?.value,
    );
    await page.goto(`${appUrl}/auth/login`);
    await page.getByRole("button", { name: /^Test Buyer/ }).click();
    await page.getByText("Logged in as Test Buyer", { exact: true }).waitFor();

    const own = (await context.cookies(appUrl)).find((c) => c.name === "appSession");
    expect(own?.value).not.toBe(known?.value);
    // The cookie the attacker knows never became the person's session: the login ended the
    // session it stood for (the SDK replaces a session that another person logs in over).
    await expect(loggedInAs(attackerPage)).resolves.toBe("You are not logged in.");
    await expect(loggedInAs(page)).resolves.toBe("Logged in as Test Buyer");
    await attackerContext.close();
    await context.close();
  });
});
