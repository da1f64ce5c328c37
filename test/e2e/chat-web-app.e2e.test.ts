import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { startModelServer } from "@ciba-testbed/model-server";
import { freePort } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { launchChromium } from "@ciba-testbed/stack/browser";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from "ai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";

import { axeViolations } from "../support/axe.js";
import { announcementsOf, recordAnnouncements } from "../support/live-regions.js";
import { onFreePort } from "../support/on-free-port.js";
import { orderAnswerHolder } from "../support/order-answer-holder.js";
import { asksToBuy, ownRequests, type OwnRequests } from "../support/own-requests.js";
import { BUYER, Scenario } from "../support/scenario.js";

// The quickstart's experience in a real browser: log in through mock-auth0's page, ask the
// agent's web app for a purchase, answer on the approver page in a second tab, read the answer.

/**
 * The repository's tenant with the web app's URL (the AGENT_WEB_URL keyword) on `port`, as a
 * mock-auth0.json written into `dir`.
 */
function settingsFor(dir: string, port: number): string {
  const file = path.join(dir, "mock-auth0.json");
  const base = path.join(REPO_ROOT, "test/fixtures/e2e-tenant.mock-auth0.json");
  writeFileSync(
    file,
    JSON.stringify({
      extends: path.relative(dir, base),
      keywords: { AGENT_WEB_URL: `http://localhost:${port}` },
    }),
  );
  return path.relative(REPO_ROOT, file);
}

/**
 * The web app on `port`: as supervisors start it (its own entry), or, with `cli`, as a person
 * does (`pnpm agent serve`: the CLI's build, which runs the web app's bundle beside it).
 */
async function startWebApp(s: Scenario, port: number, env: Record<string, string>, cli?: "cli") {
  const { child } = await SupervisedChild.start({
    name: "agent-web",
    ...(cli === undefined
      ? { script: "apps/agent/src/web/main.ts" }
      : { script: "apps/agent/src/launch.ts", args: ["serve"] }),
    env: { ...s.agentEnv(), AGENT_PORT: String(port), ...env },
  });
  return child;
}

/** Logs in through mock-auth0's login page as the person named on its button. */
async function logIn(page: Page, baseUrl: string, name: RegExp) {
  await page.goto(baseUrl);
  await page.getByRole("link", { name: "Log in" }).click();
  await page.getByRole("button", { name }).click();
  await page.waitForURL(`${baseUrl}/`);
  await page.getByText(/^Logged in as /).waitFor();
}

async function ask(page: Page, request: string) {
  await page.getByLabel("Message").fill(request);
  await page.getByRole("button", { name: "Send" }).click();
}

/** `page`'s next chat request reaches the app, and a proxy answers it 502 instead of the app. */
function loseNextAnswer(page: Page) {
  return page.route(
    "**/api/chat",
    async (route) => {
      await route.fetch().catch(() => undefined);
      await route.fulfill({ status: 502, contentType: "text/plain", body: "Bad gateway" });
    },
    { times: 1 },
  );
}

describe("the chat web app", () => {
  let s: Scenario;
  let browser: Browser;
  let port: number;
  let baseUrl: string;
  let web: SupervisedChild;
  let context: BrowserContext;
  let chat: Page;
  let settingsDir: string;

  beforeAll(async () => {
    // The tenant is given the app's URL before the app starts: the app cannot take port 0.
    await onFreePort(async (free) => {
      port = free;
      baseUrl = `http://localhost:${port}`;
      settingsDir = mkdtempSync(path.join(tmpdir(), "chat-web-tenant-"));
      s = await Scenario.start(settingsFor(settingsDir, port));
      web = await startWebApp(s, port, { AGENT_MODE: "interrupt" }).catch(
        async (error: unknown) => {
          await s.stop();
          rmSync(settingsDir, { recursive: true, force: true });
          throw error;
        },
      );
    });
    await s.policy("manual");
    browser = await launchChromium(path.dirname(s.stack.caCertPath));
    context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    chat = await context.newPage();
  });
  afterAll(async () => {
    await browser.close();
    await web.stop();
    await s.stop();
    rmSync(settingsDir, { recursive: true, force: true });
  });
  // The tenant's requests of this test alone: the tests before it leave theirs, some pending.
  let mine: OwnRequests;
  beforeEach(async () => {
    mine = await ownRequests(s.stack.control);
  });

  /**
   * A new page of the chat in `into`, with the person logged in: that context's session, or a
   * login (a test run alone, or after the web app restarted), through the tenant's page unless
   * the tenant's own session still holds.
   */
  const openChat = async (
    prepare?: (page: Page) => Promise<unknown>,
    into: BrowserContext = context,
  ) => {
    const page = await into.newPage();
    await prepare?.(page);
    await page.goto(baseUrl);
    const loggedIn = page.getByText("Logged in as Test Buyer");
    await loggedIn.or(page.getByRole("link", { name: "Log in" })).waitFor();
    if (await loggedIn.isVisible()) return page;
    await page.getByRole("link", { name: "Log in" }).click();
    const pick = page.getByRole("button", { name: /Test Buyer/ });
    await loggedIn.or(pick).waitFor();
    if (await pick.isVisible()) await pick.click();
    await loggedIn.waitFor();
    return page;
  };

  let webMode: "interrupt" | "block" | undefined = "interrupt";
  /**
   * The web app in `mode`, restarted only if it runs in the other: the tests of a mode follow
   * one another, and one run alone (`-t`) finds the app as `beforeAll` started it.
   */
  const webIn = async (mode: "interrupt" | "block") => {
    if (webMode === mode) return;
    await web.stop();
    web = await startWebApp(s, port, { AGENT_MODE: mode });
    webMode = mode;
  };

  /**
   * The web app in `mode` with `env` besides the stack's; after the test, `close` (what the test
   * started for it), and the app as `beforeAll` started it.
   */
  const webWithEnv = async (
    mode: "interrupt" | "block",
    env: Record<string, string>,
    close: () => Promise<void>,
  ) => {
    await web.stop();
    web = await startWebApp(s, port, { AGENT_MODE: mode, ...env });
    onTestFinished(async () => {
      await web.stop();
      await close();
      web = await startWebApp(s, port, { AGENT_MODE: "interrupt" });
      webMode = "interrupt";
    });
  };

  /**
   * The web app in `mode` with OpenAI's provider against a model server of the test's, whose
   * replies the test scripts.
   */
  const webWithModel = async (mode: "interrupt" | "block") => {
    const model = await startModelServer();
    const env = { OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: "test" };
    await webWithEnv(mode, env, () => model.close());
    return model;
  };

  /**
   * The web app in `mode` with its orders going through a proxy that holds the shop's answer
   * (`orderAnswerHolder`).
   */
  const webWithSlowShop = async (mode: "interrupt" | "block") => {
    const shop = await orderAnswerHolder(s.stack.shopApiUrl);
    await webWithEnv(mode, { SHOP_API_URL: `${shop.url}/api/purchases` }, shop.close);
    return shop;
  };

  /**
   * A new page of the chat whose chat requests are each answered whole, and the way to close
   * it once the web app has answered every request it got, so that nothing it started still runs.
   */
  const openAnsweredChat = async () => {
    let closing = false;
    const answered: Promise<void>[] = [];
    const page = await openChat((opened) =>
      opened.route("**/api/chat", (route) => {
        if (closing) return route.abort();
        const answer = route.fetch().then((response) => route.fulfill({ response }));
        answered.push(answer.catch(() => undefined));
        return answer;
      }),
    );
    const closeWhenAnswered = async () => {
      closing = true;
      await Promise.all(answered);
      await page.close();
    };
    return { page, closeWhenAnswered };
  };

  /** The context's cookies for the web app, as a Cookie header. */
  const cookieHeader = async () =>
    (await context.cookies(baseUrl)).map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");

  /** What the predicate below reads of the page's window (this file is not type-checked with DOM). */
  interface BrowserWindow {
    localStorage: {
      getItem(key: string): string | null;
      key(index: number): string | null;
      length: number;
    };
  }

  /** Where the page keeps the buyer's waiting chats: a key per chat under this prefix. */
  const KEPT_CHATS = `shopping-agent.pending-chat:${BUYER}:`;

  /** The buyer's kept chats, as the page's localStorage holds them (JSON text each). */
  const keptChats = (page: Page) =>
    page.evaluate((prefix) => {
      const { localStorage } = globalThis as unknown as BrowserWindow;
      return Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i))
        .filter((key): key is string => key?.startsWith(prefix) === true)
        .map((key) => localStorage.getItem(key) ?? "null");
    }, KEPT_CHATS);

  /**
   * Resolves once no waiting purchase is kept in the browser for the next page. The predicate is
   * a function, not a string: the page's CSP forbids eval, which Playwright uses to poll a
   * string predicate that is false at first.
   */
  const chatForgotten = (page: Page) =>
    page.waitForFunction((prefix) => {
      const { localStorage } = globalThis as unknown as BrowserWindow;
      return Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).every(
        (key) => key?.startsWith(prefix) !== true,
      );
    }, KEPT_CHATS);

  /**
   * Closes `page` once it has forgotten its chat (the purchase decided, or refused for good),
   * and checks that a page opened after it starts a new chat.
   */
  const closeAndExpectNewChat = async (page: Page) => {
    await chatForgotten(page);
    await page.close();
    const next = await openChat(undefined, page.context());
    await expect(next.locator(".message").count()).resolves.toBe(0);
    await next.close();
  };

  /**
   * Asks on `page` for `qty` XYZ phones and waits until the purchase waits for the person: its
   * consent request, and how many orders the buyer had before.
   */
  const askToWait = async (page: Page, qty: number) => {
    await ask(page, `Buy ${String(qty)} XYZ phones`);
    const binding = `${String(qty)} XYZ phone`;
    await page.locator(".approval.pending", { hasText: `buy ${binding}` }).waitFor();
    const request = await mine.waitForPending(asksToBuy(binding));
    return { request, before: (await s.ordersOf(BUYER)).length };
  };

  /** A new page of the chat whose purchase of `qty` XYZ phones waits for the person. */
  const openWaitingPurchase = async (qty: number) => {
    const page = await openChat();
    return { page, ...(await askToWait(page, qty)) };
  };

  /**
   * Resolves once `page` says `qty x product` was ordered, and checks that one order was placed
   * since `before` (orders of the buyer) and that its approval was spent.
   */
  const expectOrderedOnce = async (
    page: Page,
    what: string,
    request: { auth_req_id: string },
    before: number,
  ) => {
    await page
      .locator(".message.assistant .text", { hasText: new RegExp(`Ordered ${what}`) })
      .waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    expect((await s.stack.control.request(request.auth_req_id)).status).toBe("consumed");
  };

  /**
   * Resolves once `page`, which followed its chat to its end, shows the agent's answer `text`,
   * and checks that its status line does not tell the outcome again.
   */
  const expectAnswered = async (page: Page, text: string) => {
    await page.locator(".message.assistant .text", { hasText: text }).waitFor();
    await expectIdle(page);
  };

  /**
   * Resolves once `page`'s turn has ended, and checks that its status line is then empty. The
   * answer's text shows while its stream still runs, and the line says "The agent is working…"
   * until the stream ends; the Send button comes back with the line's last word.
   */
  const expectIdle = async (page: Page) => {
    await page.getByRole("button", { name: "Send", disabled: false }).waitFor();
    await expect(page.getByRole("status").last().textContent()).resolves.toBe("");
  };

  /**
   * In a browser of its own, the person asks for `qty` wireless headphones and as many USB-C
   * cables, and logs out while the headphones wait: their consent request, and how many orders
   * the buyer had before.
   */
  const logOutWhileWaiting = async (qty: number, { holdForResume = false } = {}) => {
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const before = (await s.ordersOf(BUYER)).length;
    await ask(page, `Buy ${String(qty)} wireless headphones and ${String(qty)} USB-C cables`);
    const binding = `${String(qty)} Wireless headphones`;
    await page.locator(".approval.pending", { hasText: `buy ${binding}` }).waitFor();
    const request = await mine.waitForPending(asksToBuy(binding));
    // Interrupt mode: the page asks again after the tenant's interval, and may while the logout
    // is on its way. Here its next resume is held until the logout was sent, and the logout
    // until that resume's answer (still waiting) is in: the page must keep no more of the chat
    // after the logout than the logout did.
    if (holdForResume) {
      let logoutSent!: () => void;
      const loggingOut = new Promise<void>((resolve) => (logoutSent = resolve));
      let resumeAnswered!: () => void;
      const answered = new Promise<void>((resolve) => (resumeAnswered = resolve));
      let held!: () => void;
      const resumeHeld = new Promise<void>((resolve) => (held = resolve));
      await page.route(`${baseUrl}/api/chat`, async (route) => {
        held();
        await loggingOut;
        await route.fulfill({ response: await route.fetch() });
        resumeAnswered();
      });
      await page.route(`${baseUrl}/auth/logout`, async (route) => {
        logoutSent();
        await answered;
        await route.continue();
      });
      await resumeHeld;
    }
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You are not logged in.").waitFor();
    await page.unrouteAll();
    return { own, page, request, before };
  };

  /**
   * One person's two tabs, each with a chat waiting for an approval: the first asked to buy
   * `firstItem` ("7 USB-C cable"), the second `secondItem`.
   */
  const twoWaitingChats = async (firstItem: string, secondItem: string) => {
    const own = await browser.newContext();
    const first = await own.newPage();
    await logIn(first, baseUrl, /Test Buyer/);
    const second = await own.newPage();
    await second.goto(baseUrl);
    await second.getByText("Logged in as Test Buyer").waitFor();
    await ask(first, `Buy ${firstItem}s`);
    await first.locator(".approval.pending", { hasText: `buy ${firstItem}` }).waitFor();
    await ask(second, `Buy ${secondItem}s`);
    await second.locator(".approval.pending", { hasText: `buy ${secondItem}` }).waitFor();
    return { own, first, second };
  };
  /** Denies the pending consent request whose binding message names `binding`. */
  const deny = async (binding: string) => {
    const request = await mine.waitForPending(asksToBuy(binding));
    await s.stack.control.deny(request.auth_req_id);
  };

  const approverPage = async () => {
    const approver = await context.newPage();
    await approver.goto(`${s.stack.issuer}approver`);
    await approver.getByText("Live", { exact: true }).waitFor();
    return approver;
  };

  it("shows the logged-out page with no error in the browser's console", async () => {
    const own = await browser.newContext();
    onTestFinished(() => own.close());
    const page = await own.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(baseUrl);
    await page.getByText("You are not logged in.").waitFor();
    expect(errors).toEqual([]);
  });

  it("answers /api/chat without a session with 401", async () => {
    const answer = await fetch(`${baseUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "x", messages: [] }),
    });
    expect(answer.status).toBe(401);
  });

  it("answers a login callback it refuses with a page that says to log in again", async () => {
    // A callback URL opened again, or one from a login that another browser or site started:
    // the SDK's own words are for the app's developer (its cookie names and settings).
    const answer = await fetch(`${baseUrl}/auth/callback?code=c&state=s`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    const text = await answer.text();
    expect(text).toContain(
      "This login was not started in this browser, or it was started too long ago: log in again from the chat page",
    );
    expect(text).not.toContain("cookie not found");
    // With its cookie but another login's state: the SDK's words in brackets, and what to do.
    const login = await fetch(`${baseUrl}/auth/login`, { redirect: "manual" });
    const cookies = login.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    const stale = await fetch(`${baseUrl}/auth/callback?code=c&state=another-login`, {
      headers: { cookie: cookies },
    });
    expect(stale.status).toBe(400);
    expect(await stale.text()).toMatch(
      /This login could not be finished \([^)]+\): log in again from the chat page/,
    );
  });

  it("logs in, buys after an approval on the approver page, and shows the order", async () => {
    await logIn(chat, baseUrl, /Test Buyer/);
    await expect(chat.getByText("Logged in as Test Buyer").count()).resolves.toBe(1);
    const before = (await s.ordersOf(BUYER)).length;

    await ask(chat, "Buy 2 XYZ phones");
    const pending = chat.locator(".approval.pending", { hasText: /buy 2 XYZ phone/ });
    await pending.waitFor();
    await expect(
      pending.getByRole("link", { name: "Open the approver page" }).getAttribute("href"),
    ).resolves.toBe(`${s.stack.issuer}approver`);

    const approver = await approverPage();
    await approver.getByRole("button", { name: /^Approve: 2 \u00d7 XYZ phone,/ }).click();

    const answer = chat.locator(".message.assistant .text", { hasText: /Ordered 2 x XYZ phone/ });
    await answer.waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    // The answer streams in: its first words may be on the page before the order's id.
    await answer.filter({ hasText: String(orders[0]?.id) }).waitFor();
    await approver.close();
  });

  it("tells the person the purchase was denied", async () => {
    const before = (await s.ordersOf(BUYER)).length;
    const nextTurn = chat.waitForRequest((request) => request.url().endsWith("/api/chat"));
    await ask(chat, "Buy a USB-C cable");
    // The page sends the earlier purchase back with its result, as the resume streamed it to
    // the page: not the interrupt it held while the person decided.
    const sent = JSON.parse((await nextTurn).postData() ?? "{}") as {
      messages: { parts: { type: string; output?: unknown }[] }[];
    };
    const earlier = sent.messages
      .flatMap((message) => message.parts)
      .find((part) => part.type === "tool-shop_online");
    expect(earlier?.output).toMatchObject({ outcome: "ORDERED" });
    await chat.locator(".approval.pending", { hasText: /buy 1 USB-C cable/ }).waitFor();
    const approver = await approverPage();
    await approver.getByRole("button", { name: /^Deny: 1 \u00d7 USB-C cable,/ }).click();
    const answer = chat.locator(".message.assistant .text", {
      hasText: /USB-C cable was denied; nothing was ordered/,
    });
    await answer.waitFor();
    await chat.getByRole("button", { name: "Send", disabled: false }).waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    // The denial is told once, by the answer in the agent's words: the card is headed by it,
    // and keeps the tenant's own words ("The end-user denied the authorization request or it
    // has been expired", Auth0's access_denied) in its closed details, for a support person.
    const card = chat.locator(".approval.decided").last();
    await expect(chat.locator(".message.assistant").last().innerText()).resolves.toBe(
      `Purchase: denied\nDo you want to buy 1 USB-C cable for max 9.99 USD\nTechnical details\n\n${await answer.innerText()}`,
    );
    // The answer tells the failure with its code, as the status line tells a refusal's.
    await expect(answer.innerText()).resolves.toBe(
      "The purchase of 1 x USB-C cable was denied; nothing was ordered. Anything asked for after it was not tried. access_denied",
    );
    await expect(answer.locator("code.error-code").textContent()).resolves.toBe("access_denied");
    await expect(card.getByText(/end-user/).isVisible()).resolves.toBe(false);
    await card.getByText("Technical details").click();
    await card.getByText(/^The end-user denied the authorization request/).waitFor();
    await approver.close();
  });

  it("places an order approved while no page was open: the next page resumes the purchase at once", async () => {
    const first = await openAnsweredChat();
    await ask(first.page, "Buy 3 ABC laptops");
    await first.page.locator(".approval.pending", { hasText: /buy 3 ABC laptop/ }).waitFor();
    const request = await mine.waitForPending(asksToBuy("3 ABC laptop"));
    await first.closeWhenAnswered();
    const before = (await s.ordersOf(BUYER)).length;

    await s.stack.control.approve(request.auth_req_id);
    // Nothing asks for the answer while no page is open.
    await expect(s.stack.control.request(request.auth_req_id)).resolves.toMatchObject({
      status: "approved",
    });
    expect(await s.ordersOf(BUYER)).toHaveLength(before);

    const next = await context.newPage();
    await next.goto(baseUrl);
    await next.getByText(/^Buy 3 ABC laptops$/).waitFor();
    await expectOrderedOnce(next, "3 x ABC laptop", request, before);
    // Decided: the page after it starts a new chat.
    await closeAndExpectNewChat(next);
  });

  it("shows the purchase on the card of a page opened after the wait was resumed", async () => {
    const page = await openChat();
    const resumed = page.waitForResponse(
      (response) => response.url().endsWith("/api/chat") && response.request().method() === "POST",
    );
    const { request, before } = await askToWait(page, 8);
    // The first answer is the interrupt; the page resumes after the interval, and the tool,
    // still pending, comes back without its call: what the page then keeps must still say what
    // is being bought.
    await resumed;
    await page.waitForResponse(
      (response) => response.url().endsWith("/api/chat") && response.request().method() === "POST",
    );
    await page.reload();
    await page
      .locator(".approval.pending", { hasText: "Do you want to buy 8 XYZ phone" })
      .waitFor();
    await s.stack.control.deny(request.auth_req_id);
    await page.locator(".message.assistant .text", { hasText: /was denied/ }).waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    await closeAndExpectNewChat(page);
  });

  it("rebuilds every card of a reloaded chat: the earlier item's outcome, and the waiting item's consent request as the phone words it, price limit included", async () => {
    const page = await openChat();
    await ask(page, "Buy 2 XYZ phone cases and 4 USB-C cables");
    const cases = await mine.waitForPending(asksToBuy("2 XYZ phone case"));
    await s.stack.control.approve(cases.auth_req_id);
    const cables = await mine.waitForPending(asksToBuy("4 USB-C cable"));
    expect(cables.binding_message).toMatch(/ for max [\d.]+ USD$/);
    const ordered = page.locator(".approval.decided[data-status=ORDERED]");
    const waiting = page.locator(".approval.pending", { hasText: cables.binding_message });
    await ordered.waitFor();
    await waiting.waitFor();

    await page.reload();
    await waiting.waitFor();
    await ordered.waitFor();
    await s.stack.control.deny(cables.auth_req_id);
    await page.locator(".approval.decided[data-status=DENIED]").waitFor();
    await expect(ordered.count()).resolves.toBe(1);
    await closeAndExpectNewChat(page);
  });

  it("collects the approval of a purchase a model asked for beside another in one step (OpenAI's parallel tool calls), and says the other was not tried, on its card too", async () => {
    const model = await webWithModel("interrupt");
    const call = (product: string) => ({ name: "shop_online", arguments: { product, qty: 1 } });
    const scripted = await fetch(`${model.url}/v1/testing/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        replies: [{ toolCalls: [call("XYZ phone case"), call("ABC laptop")] }, { text: "Done." }],
      }),
    });
    expect(scripted.ok).toBe(true);
    const page = await openChat();
    const before = (await s.ordersOf(BUYER)).length;

    await ask(page, "Buy 1 XYZ phone case and 1 ABC laptop");
    await page.locator(".approval.pending", { hasText: "1 XYZ phone case" }).waitFor();
    const request = await mine.waitForPending(asksToBuy("1 XYZ phone case"));
    await s.stack.control.approve(request.auth_req_id);

    await page
      .locator(".message.assistant .text", {
        hasText:
          /^Ordered 1 x XYZ phone case: .* 1 x ABC laptop was not tried: nobody was asked to approve it, and nothing was ordered\.$/,
      })
      .waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    // Nobody was asked for the laptop.
    const asked = await mine.all();
    expect(asked.filter((c) => c.binding_message.includes("ABC laptop"))).toEqual([]);
    // Its card says so as the answer does: not its outcome's code, nor what the model was told
    // while the phone case waited (that it waits).
    const laptop = page.locator(".approval.decided", {
      has: page.locator(".why", { hasText: "ABC laptop" }),
    });
    await expect(laptop.locator("strong").textContent()).resolves.toBe("Purchase: not tried");
    await expect(laptop.locator(".why").textContent()).resolves.toBe(
      "1 x ABC laptop was not tried: nobody was asked to approve it, and nothing was ordered.",
    );
    await expectIdle(page);
    await chatForgotten(page);
    await page.close();
  });

  it("forgets a block-mode chat it kept while the purchase waited once the turn ends, also in a model error after the order, whose code it shows", async () => {
    const model = await webWithModel("block");
    const scripted = await fetch(`${model.url}/v1/testing/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        replies: [
          {
            text: "I will ask you to approve it.",
            toolCalls: [{ name: "shop_online", arguments: { product: "XYZ phone", qty: 9 } }],
          },
          { error: { status: 400, message: "The model broke", code: "invalid_request_error" } },
        ],
      }),
    });
    expect(scripted.ok).toBe(true);
    const page = await openChat();
    const before = (await s.ordersOf(BUYER)).length;

    await ask(page, "Buy 9 XYZ phones");
    await page.locator(".approval.pending", { hasText: "9 XYZ phone" }).waitFor();
    await expect(keptChats(page)).resolves.toHaveLength(1);
    const request = await mine.waitForPending(asksToBuy("9 XYZ phone"));
    await s.stack.control.approve(request.auth_req_id);

    const status = page.getByRole("status").last();
    await status.filter({ hasText: /The model broke/ }).waitFor();
    // The error cut an answer the model had begun: its code beside its words, as a refusal's.
    await page.getByText("I will ask you to approve it.").waitFor();
    await expect(status.locator("code.error-code").textContent()).resolves.toBe(
      "model_request_refused",
    );
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    // A page opened after the app restarts would otherwise say the order is unknown.
    await expect(keptChats(page)).resolves.toEqual([]);
    await page.close();
  });

  it("keeps two pages of one waiting purchase to one order, and both say so, the one the app found busy with the other's resume too", async () => {
    // The shop's answer to the order waits for the test: the resume that orders holds the chat
    // meanwhile, and the other page's resume is found busy with it.
    const shop = await orderAnswerHolder(s.stack.shopApiUrl);
    await web.stop();
    web = await startWebApp(s, port, {
      AGENT_MODE: "interrupt",
      SHOP_API_URL: `${shop.url}/api/purchases`,
    });
    // A browser of its own, whose pages resume only when the test moves their clock on.
    const tabs = await browser.newContext({ viewport: { width: 800, height: 900 } });
    onTestFinished(async () => {
      await tabs.close();
      await web.stop();
      await shop.close();
      web = await startWebApp(s, port, { AGENT_MODE: "interrupt" });
      webMode = "interrupt";
    });
    await tabs.clock.install();
    const first = await openChat(undefined, tabs);
    await ask(first, "Buy 2 ABC laptops");
    await first.locator(".approval.pending", { hasText: /buy 2 ABC laptop/ }).waitFor();
    const request = await mine.waitForPending(asksToBuy("2 ABC laptop"));
    const before = (await s.ordersOf(BUYER)).length;

    // The first page's next resume takes the approval and orders; the shop's answer is held.
    await s.stack.control.approve(request.auth_req_id);
    await shop.ordered;
    // From now on the pages' timers wait for the test: no resume is due before it says so.
    await tabs.clock.pauseAt(Date.now() + 1_000);
    // A second tab opens the same chat and asks for the answer too, at once: the app is busy
    // with the first page's resume.
    const second = await tabs.newPage();
    const refused = second.waitForResponse(
      (response) => response.url().endsWith("/api/chat") && response.request().method() === "POST",
    );
    await second.goto(baseUrl);
    await second.getByText(/^Buy 2 ABC laptops$/).waitFor();
    await expect((await refused).json()).resolves.toMatchObject({ error: "thread_busy" });

    shop.pass();
    for (const page of [first, second]) {
      await page
        .locator(".message.assistant .text", { hasText: /Ordered 2 x ABC laptop/ })
        .waitFor();
    }
    // Past the second page's interval (the tenant's, or one slow_down made longer): its purchase
    // was decided by the first page's resume, and it asks nothing more.
    await tabs.clock.runFor(6_000);
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    const asked = (await mine.all()).filter(asksToBuy("2 ABC laptop"));
    expect(asked).toHaveLength(1);
    for (const page of [first, second]) {
      // No error of the refused resume, which the person did not send; Send back, and the card
      // still names what was asked.
      await expectIdle(page);
      await expect(
        page.locator(".approval.decided .binding", { hasText: request.binding_message }).count(),
      ).resolves.toBe(1);
      await chatForgotten(page);
    }
  });

  /**
   * Two pages of one chat: `second` sends `sent`, which is still on its way to the app when
   * `first` asks for `qty` XYZ phone cases. The app refuses it, as that purchase holds the chat,
   * and `second` shows the purchase. Returns its consent request, how many orders the buyer had
   * before, and what `second` says of its own message.
   */
  const sendWhileAnotherPageAsks = async (first: Page, second: Page, sent: string, qty: number) => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await second.route(
      "**/api/chat",
      async (route) => {
        await released;
        await route.continue();
      },
      { times: 1 },
    );
    await ask(second, sent);
    const binding = `${String(qty)} XYZ phone case`;
    await ask(first, `Buy ${binding}s`);
    await first.locator(".approval.pending", { hasText: `buy ${binding}` }).waitFor();
    const request = await mine.waitForPending(asksToBuy(binding));
    const before = (await s.ordersOf(BUYER)).length;
    release();
    await second.locator(".approval.pending", { hasText: request.binding_message }).waitFor();
    const unsent = `Your message "${sent}" was not sent: this chat was busy with a request from another page`;
    return { request, before, unsent };
  };

  it("keeps one conversation in two pages of one chat: each shows the other's turns and takes up the purchase it asks for, and the chat kept for the next page holds them all", async () => {
    // Two tabs of one chat: the second opens while the first's purchase waits, and resumes it.
    const first = await openChat();
    await ask(first, "Buy 6 XYZ phone cases");
    await first.locator(".approval.pending", { hasText: "buy 6 XYZ phone case" }).waitFor();
    const second = await openChat();
    await second.getByText(/^Buy 6 XYZ phone cases$/).waitFor();
    await deny("6 XYZ phone case");
    for (const page of [first, second]) {
      await page
        .locator(".message.assistant .text", { hasText: /6 x XYZ phone case was denied/ })
        .waitFor();
    }

    // A turn of the first tab that asks for nothing shows in the second.
    await ask(first, "What do you sell?");
    await second.getByText("What do you sell?", { exact: true }).waitFor();
    await second
      .locator(".message.assistant .text", { hasText: /I did not buy anything this time/ })
      .waitFor();

    // A purchase the second tab asks for shows in the first at once, which goes on with it too.
    await ask(second, "Buy 7 XYZ phone cases");
    await first.getByText(/^Buy 7 XYZ phone cases$/).waitFor();
    await first.locator(".approval.pending", { hasText: "buy 7 XYZ phone case" }).waitFor();
    await expect(first.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);
    // The chat kept for the next page has both tabs' turns: neither tab wrote over the other's.
    const [kept = ""] = await keptChats(first);
    expect(kept).toContain("What do you sell?");
    expect(kept).toContain("Buy 7 XYZ phone cases");
    const sevenCases = await mine.waitForPending(asksToBuy("7 XYZ phone case"));
    const beforeSeven = (await s.ordersOf(BUYER)).length;
    await s.stack.control.approve(sevenCases.auth_req_id);
    for (const page of [first, second]) {
      await page
        .locator(".message.assistant .text", { hasText: /Ordered 7 x XYZ phone case/ })
        .waitFor();
    }
    expect(await s.ordersOf(BUYER)).toHaveLength(beforeSeven + 1);

    // A message of the second tab already on its way when the first asks: the app refuses it
    // while the first tab's purchase waits, and the second shows that purchase and the first
    // tab's message, resumes it too, and says its own message was not sent: one push, one order.
    const { request, before, unsent } = await sendWhileAnotherPageAsks(
      first,
      second,
      "Buy 10 USB-C cables",
      8,
    );
    await second.locator("#status", { hasText: unsent }).waitFor();
    await second.getByText(/^Buy 8 XYZ phone cases$/).waitFor();
    await expect(second.getByText("Buy 10 USB-C cables", { exact: true }).count()).resolves.toBe(0);
    await expect(second.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);

    await s.stack.control.approve(request.auth_req_id);
    await first
      .locator(".message.assistant .text", { hasText: /Ordered 8 x XYZ phone case/ })
      .waitFor();
    // Its card, after the one of the seven cases.
    await second.locator(".approval.decided[data-status=ORDERED]").nth(1).waitFor();
    await second.locator("#status", { hasText: unsent }).waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    const asked = await mine.all();
    expect(asked.filter(asksToBuy("8 XYZ phone case"))).toHaveLength(1);
    expect(asked.filter(asksToBuy("10 USB-C cable"))).toHaveLength(0);
    for (const page of [first, second]) {
      await chatForgotten(page);
      await page.close();
    }
  });

  it("keeps asking while the web app cannot be reached or fails, and orders once when the approval comes", async () => {
    const { page, request, before } = await openWaitingPurchase(4);
    // The page's next asks: refused connections, then a proxy's 503, then the app again.
    const failures = ["connectionrefused", "connectionreset", 503];
    let failed = 0;
    await page.route("**/api/chat", (route) => {
      const failure = failures[failed++];
      if (failure === undefined) return route.continue();
      if (typeof failure === "number") {
        return route.fulfill({ status: failure, contentType: "text/html", body: "Bad gateway" });
      }
      return route.abort(failure);
    });
    await page
      .getByText(
        /^Waiting for your approval\u2026 The agent's web app cannot be reached; asking again in \d+ s\.$/,
      )
      .waitFor();
    await page
      .getByText(
        /^Waiting for your approval\u2026 The agent's web app answered 503: Bad gateway; asking again in \d+ s\.$/,
      )
      .waitFor();

    await s.stack.control.approve(request.auth_req_id);
    await expectAnswered(page, "Ordered 4 x XYZ phone");
    expect(failed).toBeGreaterThan(failures.length);
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    const asked = (await mine.all()).filter(asksToBuy("4 XYZ phone"));
    expect(asked.map((c) => c.status)).toEqual(["consumed"]);
    await closeAndExpectNewChat(page);
  });

  it("resumes a purchase the app asked for on a request whose answer was lost (a proxy's 502): one push, one order", async () => {
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const before = (await s.ordersOf(BUYER)).length;
    // A proxy's 502 for a message that never reached the app: nothing was asked, and the page
    // says so.
    await page.route(
      "**/api/chat",
      (route) => route.fulfill({ status: 502, contentType: "text/plain", body: "Bad gateway" }),
      { times: 1 },
    );
    await ask(page, "Buy 4 wireless headphones");
    await page
      .getByText(
        /^Your message was not sent: the agent's web app answered 502.*\. Nothing was asked or ordered\. It is back in the box: send it again\.$/,
      )
      .waitFor();
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe(
      "Buy 4 wireless headphones",
    );
    await page.getByRole("button", { name: "New chat" }).click();

    // The message reaches the app, which asks for the purchase; the page gets a 502 instead.
    await loseNextAnswer(page);
    await ask(page, "Buy 4 wireless headphones");
    await page.locator(".approval.pending", { hasText: "buy 4 Wireless headphones" }).waitFor();
    await expect(page.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(true);
    const request = await mine.waitForPending(asksToBuy("4 Wireless headphones"));
    await s.stack.control.approve(request.auth_req_id);
    await expectOrderedOnce(page, "4 x Wireless headphones", request, before);
    const pushes = (await mine.all()).filter(asksToBuy("4 Wireless headphones"));
    expect(pushes).toHaveLength(1);
    await chatForgotten(page);
    await own.close();
  });

  it("puts a message sent while the connection was down back in the box, and the chat holds it once when sent again; one the app read keeps its answer", async () => {
    const own = await browser.newContext();
    onTestFinished(() => own.close());
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const cdp = await own.newCDPSession(page);
    const offline = (yes: boolean) =>
      cdp.send("Network.emulateNetworkConditions", {
        offline: yes,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    await offline(true);
    await page.getByLabel("Message").fill("hi there");
    await page.getByLabel("Message").press("Enter");
    // Until the app can be asked, the page cannot know whether the message arrived.
    await page
      .getByText(
        "The agent's web app cannot be reached: the page cannot tell yet whether your message reached the agent. It keeps asking and will tell you; Send is off until then.",
      )
      .waitFor();
    await offline(false);
    await page
      .getByText(
        "Your message was not sent: the agent's web app cannot be reached. Nothing was asked or ordered. It is back in the box: send it again.",
      )
      .waitFor();
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("hi there");
    await expect(page.locator(".message.user").count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Send" }).click();
    await expectAnswered(page, "I did not buy anything this time.");
    await expect(page.locator(".message.user").allTextContents()).resolves.toEqual(["hi there"]);

    // The app reads the next message, and a proxy loses its answer: the page says no "not sent",
    // and shows the answer the app gave.
    await loseNextAnswer(page);
    await ask(page, "hello");
    await expect
      .poll(() => page.locator(".message.assistant .text").count(), { timeout: 15_000 })
      .toBe(2);
    await expectIdle(page);
    await expect(page.locator(".message.user").allTextContents()).resolves.toEqual([
      "hi there",
      "hello",
    ]);
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("");
  });

  it("asks the person to log in again when the session ends while a purchase waits, and resumes it after the login", async () => {
    const own = await browser.newContext();
    onTestFinished(() => own.close());
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const { request, before } = await askToWait(page, 5);

    // The session ends between two of the page's resumes, as when it expires: its cookie goes
    // while the next resume is held in the page. A resume already on its way would bring the
    // cookie back with its answer (the SDK sets it on every answer of a living session).
    let held!: () => void;
    const resumeHeld = new Promise<void>((resolve) => (held = resolve));
    let ended!: () => void;
    const sessionEnded = new Promise<void>((resolve) => (ended = resolve));
    await page.route(
      `${baseUrl}/api/chat`,
      async (route) => {
        held();
        await sessionEnded;
        await route.continue();
      },
      { times: 1 },
    );
    await resumeHeld;
    await own.clearCookies({ name: "appSession" });
    ended();
    await page
      .getByText("Waiting for your approval… Your session ended: log in again to go on.")
      .waitFor();
    // The header no longer says who is logged in, and offers Log in only.
    await expect(page.getByText(/^Logged in as /).count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Log out" }).isVisible()).resolves.toBe(false);
    await s.stack.control.approve(request.auth_req_id);
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    // The tenant's login session still holds: one click, and the page the login returns to
    // resumes the purchase.
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByText("Logged in as Test Buyer").waitFor();
    await expectOrderedOnce(page, "5 x XYZ phone", request, before);
    await closeAndExpectNewChat(page);
  });

  it("says so when the web app forgot a waiting purchase (it restarted): nothing is asked again, and the page after it starts anew", async () => {
    const first = await openAnsweredChat();
    await ask(first.page, "Buy 1 XYZ phone");
    await first.page.locator(".approval.pending", { hasText: /buy 1 XYZ phone/ }).waitFor();
    await first.closeWhenAnswered();
    const consents = (await s.consentRequests()).length;

    // Its sessions went with it: the person logs in again (the tenant's session still holds).
    await web.stop();
    web = await startWebApp(s, port, { AGENT_MODE: "interrupt" });
    const next = await context.newPage();
    await next.goto(baseUrl);
    await next.getByRole("link", { name: "Log in" }).click();
    await next.getByText("Logged in as Test Buyer").waitFor();
    await next.getByText(/^Error: Chat .* has no purchase .* to resume/).waitFor();
    await expect(next.getByRole("status").last().textContent()).resolves.toMatch(
      /the agent's web app restarted since and forgot it\. This resume asked Auth0 nothing and ordered nothing\. A purchase approved before the app restarted may have been ordered before it stopped: check your orders with the shop before asking again, in a new chat\. .* approving it orders nothing\. purchase_unknown$/,
    );
    expect(await s.consentRequests()).toHaveLength(consents);
    // The page starts a new chat on the spot: empty, and it asks anew.
    await next.getByRole("button", { name: "New chat" }).click();
    await expect(next.locator(".message").count()).resolves.toBe(0);
    await expect(next.getByRole("status").last().textContent()).resolves.toBe("");
    await ask(next, "Buy 1 XYZ phone case");
    await next.locator(".approval.pending", { hasText: "buy 1 XYZ phone case" }).waitFor();
    await expect(next.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(true);
    const fresh = await mine.waitForPending(asksToBuy("1 XYZ phone case"));
    expect(await s.consentRequests()).toHaveLength(consents + 1);
    await s.stack.control.deny(fresh.auth_req_id);
    await next.locator(".message.assistant .text", { hasText: /was denied/ }).waitFor();
    await closeAndExpectNewChat(next);
  });

  it("keeps on the card of a purchase the app forgot as it restarted what is known, after the person's next message too: it waited, and approving it now orders nothing", async () => {
    await webIn("interrupt");
    const own = await browser.newContext();
    onTestFinished(() => own.close());
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const { request } = await askToWait(page, 3);
    await web.stop();
    web = await startWebApp(s, port, { AGENT_MODE: "interrupt" });
    await page.getByText("Your session ended: log in again to go on.").waitFor();
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByText("Logged in as Test Buyer").waitFor();
    const forgotten = page
      .locator(".approval.decided[data-status=UNKNOWN]", { hasText: request.binding_message })
      .filter({ hasText: "restarted while this purchase waited and forgot it" });
    await forgotten.waitFor();

    await ask(page, "Buy 1 USB-C cable");
    await page.locator(".approval.pending", { hasText: "buy 1 USB-C cable" }).waitFor();
    await expect(forgotten.count()).resolves.toBe(1);
    await s.stack.control.deny(request.auth_req_id);
    await deny("1 USB-C cable");
    await page.locator(".approval.decided[data-status=DENIED]").waitFor();
  });

  /** What the chat page says of a purchase approved whose order the shop has not answered. */
  const PLACING = "Approved \u2014 placing your order\u2026";

  /**
   * Resolves once `page` shows the purchase asked by `bindingMessage` approved and at the shop,
   * on its card and its status line, with Send off, and no card waiting for the person.
   */
  const expectPlacing = async (page: Page, bindingMessage: string) => {
    const card = page.locator(".approval.ordering", { hasText: bindingMessage });
    await card.getByText(PLACING, { exact: true }).waitFor();
    await expect(page.locator(".approval.pending").count()).resolves.toBe(0);
    await expect(card.locator(".countdown, a").count()).resolves.toBe(0);
    await expect(page.getByRole("status").last().textContent()).resolves.toBe(PLACING);
    await expect(page.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);
  };

  /**
   * Asks on a new page for `qty` USB-C cables, and approves them once they wait: the shop
   * (`webWithSlowShop`'s) has the order, and has not answered it.
   */
  const approveAtSlowShop = async (shop: { ordered: Promise<void> }, qty: number) => {
    const page = await openChat();
    const before = (await s.ordersOf(BUYER)).length;
    const binding = `${String(qty)} USB-C cable`;
    await ask(page, `Buy ${binding}s`);
    await page.locator(".approval.pending", { hasText: `buy ${binding}` }).waitFor();
    const request = await mine.waitForPending(asksToBuy(binding));
    await s.stack.control.approve(request.auth_req_id);
    await shop.ordered;
    return { page, before, request };
  };

  it("says a purchase the person approved is being ordered while the shop is slow to answer, then that it was ordered, also on a second tab and on the page reloaded meanwhile", async () => {
    const shop = await webWithSlowShop("interrupt");
    // The page's resume takes the approval; the shop has the order and has not answered.
    const { page, before, request } = await approveAtSlowShop(shop, 13);
    await expectPlacing(page, request.binding_message);
    // A second tab, and the page reloaded, resume the purchase: the app is busy with the resume
    // that has the order at the shop, and each page learns from the chat's purchases that the
    // approval was taken, not that it is still awaited.
    const second = await openChat();
    await expectPlacing(second, request.binding_message);
    await page.reload();
    await expectPlacing(page, request.binding_message);

    shop.pass();
    for (const shown of [page, second]) {
      await expectOrderedOnce(shown, "13 x USB-C cable", request, before);
      await shown
        .locator(".approval.decided", { hasText: request.binding_message })
        .getByText("Purchase: ordered")
        .waitFor();
      await expectIdle(shown);
    }
    await second.close();
  });

  it("says so in block mode too, on the page that asked and on that page reloaded while the shop has the order", async () => {
    const shop = await webWithSlowShop("block");
    const { page, before, request } = await approveAtSlowShop(shop, 14);
    await expectPlacing(page, request.binding_message);
    // A reloaded page follows the chat from the app's record: it says the same.
    await page.reload();
    await expectPlacing(page, request.binding_message);

    shop.pass();
    await expectOrderedOnce(page, "14 x USB-C cable", request, before);
    await expectIdle(page);
    await chatForgotten(page);
  });

  it("shows the agent's answer on two pages that both followed a block-mode purchase to its end (a second tab, and the page that asked, reloaded)", async () => {
    await webIn("block");
    const page = await openChat();
    await ask(page, "Buy 16 USB-C cables");
    await page.locator(".approval.pending", { hasText: "buy 16 USB-C cable" }).waitFor();
    const request = await mine.waitForPending(asksToBuy("16 USB-C cable"));
    const before = (await s.ordersOf(BUYER)).length;
    const second = await openChat();
    await second.locator(".approval.pending", { hasText: request.binding_message }).waitFor();
    await page.reload();
    await page.locator(".approval.pending", { hasText: request.binding_message }).waitFor();

    await s.stack.control.approve(request.auth_req_id);
    // Each told the other its view as it ended: neither loses the answer the app told it.
    for (const shown of [page, second]) {
      await expectOrderedOnce(shown, "16 x USB-C cable", request, before);
      await expectIdle(shown);
    }
    await second.close();
  });

  it("tells a person whose shop cannot be reached what happened and what to do, with its code, and keeps the shop's address and error for the technical details", async () => {
    // A port nothing listens on: the shop is down.
    const shopUrl = `http://127.0.0.1:${String(await freePort())}/api/purchases`;
    await webWithEnv("interrupt", { SHOP_API_URL: shopUrl }, () => Promise.resolve());
    const page = await openChat();
    await ask(page, "Buy 15 USB-C cables");

    const answer = page.locator(".message.assistant .text", { hasText: /^Could not buy/ });
    await answer.waitFor();
    await expect(answer.textContent()).resolves.toBe(
      "Could not buy 15 x USB-C cable: the shop cannot be reached right now, so you were not " +
        "asked to approve it and nothing was ordered. Try again in a few minutes. Anything " +
        "asked for after it was not tried. shop_unreachable",
    );
    await expect(answer.locator("code.error-code").textContent()).resolves.toBe("shop_unreachable");
    const card = page.locator(".approval.decided").last();
    await card.getByText("Purchase: failed").waitFor();
    await expect(card.locator(".technical").textContent()).resolves.toContain(
      `Cannot reach the shop at ${shopUrl} (ECONNREFUSED)`,
    );
    await expectIdle(page);
    expect((await mine.all()).filter(asksToBuy("15 USB-C cable"))).toEqual([]);
  });

  it("tells a person whose order the shop never confirmed, in plain words, that it may be ordered and to check their orders, with its code and a reference, and no shop answer", async () => {
    const shop = await orderAnswerHolder(s.stack.shopApiUrl, true);
    await webWithEnv("interrupt", { SHOP_API_URL: `${shop.url}/api/purchases` }, shop.close);
    const { page, before, request } = await approveAtSlowShop(shop, 17);

    const answer = page.locator(".message.assistant .text", { hasText: /^The order of/ });
    await answer.waitFor();
    const said = await answer.textContent();
    expect(said).toMatch(
      new RegExp(
        "^The order of 17 x USB-C cable is not confirmed: you approved it and it was sent to " +
          "the shop, but the shop never said whether it placed it, so it may have been ordered " +
          "or not\\. Check your orders with the shop before you ask for it again, or you may " +
          "get it twice\\. Reference for the shop: [\\w-]+\\. Anything asked for after it was " +
          "not tried\\. order_unconfirmed$",
      ),
    );
    // Neither the shop's answers nor how the agent asked: a person reads what to do.
    expect(said).not.toMatch(/Idempotency|attempts|502|Bad gateway|[{}]/);
    await expect(answer.locator("code.error-code").textContent()).resolves.toBe(
      "order_unconfirmed",
    );
    const card = page.locator(".approval.decided", { hasText: request.binding_message });
    await card.getByText("Purchase: not confirmed", { exact: true }).waitFor();
    await expect(card.locator(".technical").textContent()).resolves.toMatch(
      /did not confirm the order after 4 attempts/,
    );
    await expectIdle(page);
    // As the page says: the shop may have it, and here it has it, once.
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
  });

  it("says, after the web app was killed while an approved purchase was at the shop, that it may have been ordered: the shop has it, and nothing is asked again", async () => {
    const shop = await orderAnswerHolder(s.stack.shopApiUrl);
    onTestFinished(() => shop.close());
    await web.stop();
    web = await startWebApp(s, port, {
      AGENT_MODE: "interrupt",
      SHOP_API_URL: `${shop.url}/api/purchases`,
    });
    const page = await openChat();
    const before = (await s.ordersOf(BUYER)).length;
    await ask(page, "Buy 11 USB-C cables");
    await page.locator(".approval.pending", { hasText: "buy 11 USB-C cable" }).waitFor();
    const request = await mine.waitForPending(asksToBuy("11 USB-C cable"));
    const consents = (await s.consentRequests()).length;

    // The page's next resume takes the approval and orders; the app dies before it hears back.
    await s.stack.control.approve(request.auth_req_id);
    await shop.ordered;
    web.killGroup("SIGKILL");
    await web.exited;
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);

    web = await startWebApp(s, port, { AGENT_MODE: "interrupt" });
    await page.goto(baseUrl);
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByText("Logged in as Test Buyer").waitFor();
    await page.getByText(/^Error: Chat .* has no purchase .* to resume/).waitFor();
    // What this resume did, and the truth about the purchase: it was ordered.
    await expect(page.getByRole("status").last().textContent()).resolves.toMatch(
      /This resume asked Auth0 nothing and ordered nothing\. A purchase approved before the app restarted may have been ordered before it stopped: check your orders with the shop before asking again, in a new chat\./,
    );
    expect(await s.consentRequests()).toHaveLength(consents);
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    await closeAndExpectNewChat(page);
  });

  it("streams /api/chat in the quickstart's format, read by ai's own chat transport", async () => {
    const cookies = await cookieHeader();
    const transport = new DefaultChatTransport<UIMessage>({
      api: `${baseUrl}/api/chat`,
      headers: { cookie: cookies },
    });
    const messages: UIMessage[] = [
      { id: "m1", role: "user", parts: [{ type: "text", text: "Buy an ABC laptop" }] },
    ];
    const stream = await transport.sendMessages({
      chatId: "transport-check",
      messages,
      trigger: "submit-message",
      messageId: undefined,
      abortSignal: undefined,
    });
    let last: UIMessage | undefined;
    const errors: string[] = [];
    for await (const message of readUIMessageStream({
      stream,
      onError: (error) => errors.push((error as Error).message),
    })) {
      last = message;
    }
    const tool = last?.parts.find((part) => part.type === "tool-shop_online");
    expect(tool).toMatchObject({ input: { product: "ABC laptop", qty: 1 } });
    // Interrupt mode: the pending approval is @auth0/ai-vercel's interrupt, as the error text.
    expect(errors.join("\n")).toMatch(
      /^AUTH0_AI_INTERRUPTION:.*ASYNC_AUTHORIZATION_AUTHORIZATION_PENDING/,
    );
    const pendingRequest = await mine.waitForPending(asksToBuy("1 ABC laptop"));
    await s.stack.control.deny(pendingRequest.auth_req_id);
  });

  it("keeps a chat waiting at logout, without the agent's words, for the same person's next login, which goes on with it: one order per approval", async () => {
    const { own, page, request, before } = await logOutWhileWaiting(3, { holdForResume: true });

    // What the browser keeps while logged out: the person's message and the purchase's call.
    const chats = await keptChats(page);
    expect(chats).toHaveLength(1);
    const kept = JSON.parse(chats[0] ?? "null") as {
      keptAtLogout?: boolean;
      messages?: { role: string; parts: { type: string; text?: string; input?: unknown }[] }[];
    };
    expect(kept.keptAtLogout).toBe(true);
    expect(
      (kept.messages ?? []).map((message) => [message.role, message.parts.map((p) => p.type)]),
    ).toEqual([
      ["user", ["text"]],
      ["assistant", ["tool-shop_online"]],
    ]);
    expect(kept.messages?.[1]?.parts[0]?.input).toEqual({
      product: "Wireless headphones",
      qty: 3,
    });

    // Another person logs in and out in the same browser meanwhile: they see nothing of it,
    // and leave it for its owner.
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("button", { name: /Second Buyer/ }).click();
    await page.getByText("Logged in as Second Buyer").waitFor();
    await expect(page.locator(".message").count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You are not logged in.").waitFor();

    // Approved while nobody is logged in: interrupt mode, nothing asks for the answer yet.
    await s.stack.control.approve(request.auth_req_id);
    expect(await s.ordersOf(BUYER)).toHaveLength(before);
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.waitForURL(`${baseUrl}/`);
    // The headphones are ordered, and the chat goes on to the rest of the person's message.
    await page.locator(".approval.pending", { hasText: "buy 3 USB-C cable" }).waitFor();
    const cables = await mine.waitForPending(asksToBuy("3 USB-C cable"));
    await s.stack.control.approve(cables.auth_req_id);
    await page
      .locator(".message.assistant .text", { hasText: /Ordered 3 x USB-C cable/ })
      .waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 2);
    for (const id of [request.auth_req_id, cables.auth_req_id]) {
      expect((await s.stack.control.request(id)).status).toBe("consumed");
    }
    await chatForgotten(page);
    await own.close();
  });

  it("says at an interrupt-mode logout that the purchase waited then, and that approving it orders it only if the person logs in again before it expires", async () => {
    await webIn("interrupt");
    const { own, page, request } = await logOutWhileWaiting(4);

    const note =
      `Logging out ended no purchase: "${request.binding_message}" waited for your approval ` +
      "when you logged out. Approving it orders it only if you log in again in this browser " +
      "before it expires: while no page of the app is open, nothing collects your answer. Log in to follow it.";
    await expect(page.getByRole("status").textContent()).resolves.toBe(note);
    // Denied since: the page cannot know it (nobody is logged in to ask), and what it says of
    // the logout stays true.
    await s.stack.control.deny(request.auth_req_id);
    await page.reload();
    await page.getByText("You are not logged in.").waitFor();
    await expect(page.getByRole("status").textContent()).resolves.toBe(note);
    await own.close();
  });

  it("logs out through Auth0's /v2/logout, back to an Allowed Logout URL, ending the session for every copy of its cookie", async () => {
    // The session cookie as someone who copied it before the logout holds it.
    const copied = await cookieHeader();
    const withCopy = (
      route: string,
      init: { method?: string; headers?: Record<string, string>; body?: string } = {},
    ) => fetch(`${baseUrl}${route}`, { ...init, headers: { cookie: copied, ...init.headers } });
    expect((await withCopy("/api/session")).status).toBe(200);

    // Logged out in another tab: this one, with the chat of the tests before, clears too.
    const leaver = await openChat();
    await expect(chat.locator(".message").count()).resolves.toBeGreaterThan(0);
    const logout = leaver.waitForRequest((request) => request.url().includes("/v2/logout"));
    await leaver.getByRole("button", { name: "Log out" }).click();
    expect(new URL((await logout).url()).searchParams.get("returnTo")).toMatch(
      new RegExp(`^${baseUrl}/?$`),
    );
    await leaver.getByText("You are not logged in.").waitFor();
    await leaver.close();
    await chat.getByText("You logged out in another tab.", { exact: true }).waitFor();
    await expect(chat.locator(".message").count()).resolves.toBe(0);
    // Logged out, the page offers Log in only: no Log out, no message box to type into.
    await expect(chat.getByRole("link", { name: "Log in" }).isVisible()).resolves.toBe(true);
    await expect(chat.getByRole("button", { name: "Log out" }).isVisible()).resolves.toBe(false);
    await expect(chat.getByLabel("Message").isVisible()).resolves.toBe(false);
    await expect(chat.getByRole("button", { name: "Send" }).isVisible()).resolves.toBe(false);
    const session = await withCopy("/api/session");
    expect([session.status, await session.json()]).toEqual([
      401,
      { error: "login_required", error_description: "Not logged in" },
    ]);
    const consentsBefore = (await s.consentRequests()).length;
    const chatAfter = await withCopy("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "after-logout",
        messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "Buy 2 XYZ phones" }] }],
      }),
    });
    expect(chatAfter.status).toBe(401);
    expect(await s.consentRequests()).toHaveLength(consentsBefore);
    // mock-auth0's login session ended too: the next login shows its page again.
    await chat.getByRole("link", { name: "Log in" }).click();
    await chat.getByRole("button", { name: /Test Buyer/ }).waitFor();
  });

  it("tells a person who started too many chats in a minute that their message was not sent and when to send it, and keeps it in the box", async () => {
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Second Buyer/);
    // Ten new chats within a minute, the most one person may start (sent as the page sends them).
    for (let i = 0; i < 10; i++) {
      const answer = await page.request.post(`${baseUrl}/api/chat`, {
        headers: { origin: baseUrl },
        data: {
          id: `burst-${String(i)}`,
          messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] }],
        },
      });
      expect(answer.status()).toBe(200);
    }
    await recordAnnouncements(page);
    await ask(page, "Buy 2 XYZ phones");
    const said =
      /^Your message was not sent: You have started 10 new chats within a minute, the most one person may: send this again in \d+ s\. Nothing was asked or ordered\. too_many_new_chats$/;
    await page.getByText(said).waitFor();
    // Its code beside it, as the CLI's report names it: set apart, told once with the words.
    await expect(page.locator("#status code").textContent()).resolves.toBe("too_many_new_chats");
    // The status line is told whole (role status is atomic); the recorder lists its nodes.
    const told = (await announcementsOf(page))
      .filter(({ region }) => region === "status")
      .map(({ text }) => text);
    expect(told.filter((text) => text.startsWith("Your message was not sent:"))).toHaveLength(1);
    expect(told.filter((text) => text === "too_many_new_chats")).toHaveLength(1);
    await expect(axeViolations(page)).resolves.toEqual([]);
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe("Buy 2 XYZ phones");
    await expect(page.locator("#messages > *").count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Send" }).isEnabled()).resolves.toBe(true);
    await own.close();
  });

  it("takes a message the app refuses as too large out of the chat and back into the box, and the chat goes on", async () => {
    // Kept in the chat, it went with every later message, each refused the same way.
    const own = await browser.newContext();
    const page = await own.newPage();
    // A person of its own: the other tests count the chats the first two start each minute.
    await logIn(page, baseUrl, /No Push/);
    const huge = `Buy a USB-C cable ${"x".repeat(1_100_000)}`;
    await page.getByLabel("Message").fill(huge);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText(/^Your message was not sent: The request body is larger than/).waitFor();
    await expect(page.locator("#messages > *").count()).resolves.toBe(0);
    await expect(page.getByLabel("Message").inputValue()).resolves.toBe(huge);
    await page.getByLabel("Message").fill("");
    await ask(page, "hello");
    await page.locator(".message.assistant").first().waitFor();
    await expect(page.getByText(/larger than/).count()).resolves.toBe(0);
    await own.close();
  });

  it("tells the next page how a block-mode purchase ended whose page was closed while it waited, and the chat goes on", async () => {
    // Block mode, the quickstart's: the app waits for the answer within the chat request.
    await webIn("block");
    const blockContext = await browser.newContext();
    const page = await blockContext.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const { request, before } = await askToWait(page, 6);
    await page.close();

    // The next page finds the purchase still waiting, and keeps asking how it stands; nothing
    // new is sent on the chat meanwhile.
    const next = await blockContext.newPage();
    await next.goto(baseUrl);
    await next.getByText(/^Buy 6 XYZ phones$/).waitFor();
    await next.locator(".approval.pending", { hasText: /buy 6 XYZ phone/ }).waitFor();
    const send = next.getByRole("button", { name: "Send" });
    await expect(send.isDisabled()).resolves.toBe(true);
    await s.stack.control.approve(request.auth_req_id);
    await next.locator(".approval.decided[data-status=ORDERED]").waitFor();
    // Send comes back once the turn that follows the purchase has ended.
    await next.getByRole("button", { name: "Send", disabled: false }).waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    await expectAnswered(
      next,
      `Ordered 6 x XYZ phone: order ${String(orders[0]?.id)}, total 2994.00 USD.`,
    );
    expect((await s.stack.control.request(request.auth_req_id)).status).toBe("consumed");
    await chatForgotten(next);

    // The chat goes on from the purchase's result: the next message is a new purchase.
    await ask(next, "Buy a USB-C cable");
    await next.locator(".approval.pending", { hasText: /buy 1 USB-C cable/ }).waitFor();
    const cable = await mine.waitForPending(asksToBuy("1 USB-C cable"));
    await s.stack.control.deny(cable.auth_req_id);
    await next
      .locator(".message.assistant .text", {
        hasText: /USB-C cable was denied; nothing was ordered/,
      })
      .waitFor();
    expect(await s.ordersOf(BUYER)).toHaveLength(before + 1);
    await blockContext.close();
  });

  it("orders a block-mode purchase approved after the person logged out, and their next login follows the chat to its end", async () => {
    await webIn("block");
    const { own, page, request, before } = await logOutWhileWaiting(2);

    // The person approves on their phone: the app, still waiting in block mode, orders the
    // headphones and asks for the cables, the rest of the message.
    await s.stack.control.approve(request.auth_req_id);
    const cables = await mine.waitForPending(asksToBuy("2 USB-C cable"));
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.waitForURL(`${baseUrl}/`);
    // The next page shows the cables waiting, a purchase it never saw asked: nothing new can
    // be asked, in this chat or a new one, until it is decided.
    await page.locator(".approval.decided[data-status=ORDERED]").waitFor();
    await page.locator(".approval.pending", { hasText: "buy 2 USB-C cable" }).waitFor();
    await expect(page.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);

    await s.stack.control.approve(cables.auth_req_id);
    await page.locator(".approval.decided[data-status=ORDERED]").nth(1).waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders.map((order) => order.product.name)).toEqual([
      "Wireless headphones",
      "USB-C cable",
    ]);
    await expectAnswered(
      page,
      `Ordered 2 x Wireless headphones: order ${String(orders[0]?.id)}, total ${(2 * 249.5).toFixed(2)} USD. ` +
        `Ordered 2 x USB-C cable: order ${String(orders[1]?.id)}, total ${(2 * 9.99).toFixed(2)} USD.`,
    );
    for (const id of [request.auth_req_id, cables.auth_req_id]) {
      expect((await s.stack.control.request(id)).status).toBe("consumed");
    }
    await chatForgotten(page);
    await expect(page.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(false);
    await own.close();
  });

  it("stops at once on SIGTERM while a block-mode purchase waits: the purchase goes with it, and its next page says the app forgot it", async () => {
    await webIn("block");
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    await ask(page, "Buy 5 USB-C cables");
    await page.locator(".approval.pending", { hasText: "buy 5 USB-C cable" }).waitFor();
    const request = await mine.waitForPending(asksToBuy("5 USB-C cable"));
    // Exits by itself (code 0), not killed after the grace: it did not wait for the person.
    await web.stop(60_000);
    expect(web.exitStatus).toEqual({ code: 0, signal: null });
    expect((await s.stack.control.request(request.auth_req_id)).status).toBe("pending");

    web = await startWebApp(s, port, { AGENT_MODE: "block" });
    await page.getByRole("link", { name: "Log in" }).click();
    await page
      .getByText(/^Error: The agent's web app has no chat .* of yours: it restarted since/)
      .waitFor();
    await page
      .locator(".approval.decided[data-status=UNKNOWN]", { hasText: request.binding_message })
      .filter({ hasText: "approving it now orders nothing" })
      .waitFor();
    await expect(page.getByRole("status").last().textContent()).resolves.toMatch(
      /check your orders with the shop before asking again chat_unknown$/,
    );
    await expect(page.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(false);
    await s.stack.control.deny(request.auth_req_id);
    await own.close();
  });

  it("follows a block-mode chat whose connection broke before its first card: the purchase the app asked for shows, and is ordered once", async () => {
    await webIn("block");
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const before = (await s.ordersOf(BUYER)).length;
    // The message reaches the app; the page's connection breaks before any answer comes back.
    let reachedApp: Promise<unknown> | undefined;
    await page.route("**/api/chat", async (route) => {
      reachedApp = route.fetch().catch(() => undefined);
      await mine.waitForPending(asksToBuy("6 USB-C cable"));
      await route.abort("connectionreset");
    });
    await ask(page, "Buy 6 USB-C cables");
    const card = page.locator(".approval.pending", { hasText: "buy 6 USB-C cable" });
    await card.waitFor();
    await expect(page.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(true);
    const request = await mine.waitForPending(asksToBuy("6 USB-C cable"));
    await s.stack.control.approve(request.auth_req_id);
    await page.locator(".approval.decided[data-status=ORDERED]").waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    await expectAnswered(
      page,
      `Ordered 6 x USB-C cable: order ${String(orders[0]?.id)}, total ${(6 * 9.99).toFixed(2)} USD.`,
    );
    await reachedApp;
    await own.close();
  });

  it("keeps the waiting chats of two tabs apart: a page reloaded follows the latest and names the other", async () => {
    await webIn("block");
    const { own, first } = await twoWaitingChats("7 USB-C cable", "8 USB-C cable");
    expect(await keptChats(first)).toHaveLength(2);

    await first.reload();
    await first.locator(".approval.pending", { hasText: "buy 8 USB-C cable" }).waitFor();
    await first
      .getByRole("note")
      .filter({
        hasText: 'Your other chats wait for your approval too: "Do you want to buy 7 USB-C cables',
      })
      .waitFor();
    await expect(first.getByRole("button", { name: "New chat" }).isDisabled()).resolves.toBe(true);
    await deny("8 USB-C cable");
    await first.locator(".approval.decided[data-status=DENIED]").waitFor();
    // Decided, the other one's turn: the page reloaded follows it to its end.
    await deny("7 USB-C cable");
    await first.reload();
    await first.locator(".approval.decided[data-status=DENIED]").waitFor();
    await expect(first.getByRole("note").isVisible()).resolves.toBe(false);
    await chatForgotten(first);
    await own.close();
  });

  it("takes a chat off the note of the person's other waiting chats once another tab sees its purchase decided", async () => {
    await webIn("block");
    const { own, first } = await twoWaitingChats("9 XYZ phone case", "3 XYZ phone case");
    // A third page follows the chat kept last, and names the first tab's.
    const third = await own.newPage();
    await third.goto(baseUrl);
    await third.locator(".approval.pending", { hasText: "buy 3 XYZ phone case" }).waitFor();
    const note = third.getByRole("note");
    await note
      .filter({
        hasText:
          'Your other chats wait for your approval too: "Do you want to buy 9 XYZ phone cases',
      })
      .waitFor();

    await deny("9 XYZ phone case");
    await first
      .locator(".message.assistant .text", { hasText: /9 x XYZ phone case was denied/ })
      .waitFor();
    await note.waitFor({ state: "hidden" });
    await deny("3 XYZ phone case");
    await third.locator(".approval.decided[data-status=DENIED]").waitFor();
    await chatForgotten(third);
    await own.close();
  });

  it("warns the next page of a message sent from a page left before its answer came, once", async () => {
    await webIn("block");
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    // The answer never comes to this page, nor the request to the app (the route holds it): it
    // is left before the purchase's card could show.
    let sent!: () => void;
    const reached = new Promise<void>((resolve) => (sent = resolve));
    await page.route("**/api/chat", () => {
      sent();
    });
    await ask(page, "Buy 9 XYZ phones");
    await reached;

    await page.reload();
    await page
      .getByText(
        'The page was left before the agent answered "Buy 9 XYZ phones": a purchase it asked for may be waiting for your approval. Check the approver page before you ask again.',
      )
      .waitFor();
    await page.reload();
    await page.getByText(/^Logged in as /).waitFor();
    await expect(page.getByText(/The page was left before/).count()).resolves.toBe(0);
    await context.close();
  });

  it("shows a page whose message the app refused as its chat was busy the purchase another tab asked for, follows it to its end, and says its own message was not sent", async () => {
    await webIn("block");
    const own = await browser.newContext();
    const first = await own.newPage();
    await logIn(first, baseUrl, /Test Buyer/);
    // Two tabs of one chat: the second opens while the first's purchase waits, and follows it.
    // It hears nothing the first tells its other pages (a browser without BroadcastChannel): it
    // learns the first tab's turns from the chat that tab keeps for the next page.
    await ask(first, "Buy 4 XYZ phone cases");
    await first.locator(".approval.pending", { hasText: "buy 4 XYZ phone case" }).waitFor();
    const second = await own.newPage();
    await second.addInitScript(() => {
      delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
    });
    await second.goto(baseUrl);
    await second.locator(".approval.pending", { hasText: "buy 4 XYZ phone case" }).waitFor();
    const denied = await mine.waitForPending(asksToBuy("4 XYZ phone case"));
    await s.stack.control.deny(denied.auth_req_id);
    await first
      .locator(".message.assistant .text", { hasText: /4 x XYZ phone case was denied/ })
      .waitFor();
    await expectAnswered(
      second,
      "The purchase of 4 x XYZ phone case was denied; nothing was ordered.",
    );
    const status = second.locator("#status");

    // The first tab asks again while a message of the second, whose Send is on, is on its way:
    // the app refuses it, as that purchase holds the chat.
    const { request, before, unsent } = await sendWhileAnotherPageAsks(
      first,
      second,
      "Buy 9 USB-C cables",
      5,
    );
    await status.filter({ hasText: unsent }).waitFor();
    // It kept the chat with the first tab's turn, which it shows, not over it.
    await second.getByText(/^Buy 5 XYZ phone cases$/).waitFor();
    const [kept = ""] = await keptChats(second);
    expect(kept).toContain("Buy 5 XYZ phone cases");
    await expect(second.getByRole("button", { name: "Send" }).isDisabled()).resolves.toBe(true);
    await expect(second.getByText("Buy 9 USB-C cables", { exact: true }).count()).resolves.toBe(0);

    await s.stack.control.approve(request.auth_req_id);
    await second.locator(".approval.decided[data-status=ORDERED]").waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    await second
      .locator(".message.assistant .text", {
        hasText: `Ordered 5 x XYZ phone case: order ${String(orders[0]?.id)}`,
      })
      .waitFor();
    // The agent's answer tells the outcome; the status line, once the turn has ended (Send is
    // back), that the page's message was not sent.
    await second.getByRole("button", { name: "Send", disabled: false }).waitFor();
    const told = (await status.textContent()) ?? "";
    expect(told.startsWith(unsent)).toBe(true);
    expect(told).not.toContain("Ordered");
    const cables = (await mine.all()).filter(asksToBuy("9 USB-C cable"));
    expect(cables).toHaveLength(0);
    await chatForgotten(second);
    await own.close();
  });

  it("shows a page that followed a block-mode message to its end the agent's answer: after a denial, that it did not try the rest", async () => {
    await webIn("block");
    const own = await browser.newContext();
    const page = await own.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    await ask(page, "Buy 8 XYZ phone cases and 4 ABC laptops");
    const card = page.locator(".approval.pending", { hasText: "buy 8 XYZ phone case" });
    await card.waitFor();
    await page.reload();
    await card.waitFor();
    const request = await mine.waitForPending(asksToBuy("8 XYZ phone case"));
    await s.stack.control.deny(request.auth_req_id);
    await page
      .locator(".message.assistant .text", {
        hasText:
          "The purchase of 8 x XYZ phone case was denied; nothing was ordered. Anything asked for after it was not tried.",
      })
      .locator("code.error-code", { hasText: /^access_denied$/ })
      .waitFor();
    // The answer, which the page was told apart, says why: the card does not say it again.
    await expect(page.locator(".approval.decided .why").count()).resolves.toBe(0);
    const laptops = (await mine.all()).filter(asksToBuy("4 ABC laptop"));
    expect(laptops).toHaveLength(0);
    await chatForgotten(page);
    await own.close();
  });

  it("follows a block-mode purchase whose connection broke while it waited: the app still orders, and the page says so", async () => {
    // The page reaches the app through a proxy on the app's address, whose connections the test
    // cuts as a network would.
    await web.stop();
    // Port 0: the app listens where it can, and its ready record says where.
    web = await startWebApp(s, 0, { AGENT_MODE: "block", APP_BASE_URL: baseUrl });
    const appPort = (await web.waitForReady()).port;
    // Behind this test's proxy: a later test's webIn starts the app anew.
    webMode = undefined;
    const open = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(appPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        open.add(socket);
        socket.on("close", () => open.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));
    onTestFinished(async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    });
    const cutContext = await browser.newContext();
    const page = await cutContext.newPage();
    await logIn(page, baseUrl, /Test Buyer/);
    const { request, before } = await askToWait(page, 7);

    const asked = page.waitForRequest(
      (r) => r.url().includes("/api/chat/") && r.method() === "GET",
    );
    for (const socket of open) socket.destroy();
    // The page asks how the purchase stands, on a new connection.
    await asked;
    await s.stack.control.approve(request.auth_req_id);
    await page.locator(".approval.decided[data-status=ORDERED]").waitFor();
    const orders = (await s.ordersOf(BUYER)).slice(before);
    expect(orders).toHaveLength(1);
    await expectAnswered(
      page,
      `Ordered 7 x XYZ phone: order ${String(orders[0]?.id)}, total 3493.00 USD.`,
    );
    await chatForgotten(page);
    await cutContext.close();
  });

  it("waits for the answer in block mode, then says the request expired (started as pnpm agent serve)", async () => {
    // The same tenant, a web app that waits (block mode) and asks for the shortest expiry the
    // tenant accepts: the page still shows the request waiting before it expires.
    await web.stop();
    web = await startWebApp(s, port, { AGENT_MODE: "block", AGENT_REQUESTED_EXPIRY: "1" }, "cli");
    const page = await browser.newPage();
    await logIn(page, baseUrl, /Second Buyer/);
    await ask(page, "Buy 2 XYZ phones");
    await page.locator(".approval.pending", { hasText: /buy 2 XYZ phone/ }).waitFor();
    await page
      .locator(".message.assistant .text", {
        hasText: /expired before the agent collected an answer; nothing was ordered/,
      })
      .waitFor();
    await page.locator(".approval.decided[data-status=EXPIRED]").waitFor();
  });
});
