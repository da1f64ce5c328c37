import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  SigningKeys,
  ensureLocalCertificates,
  startMockAuth0,
  tenantWith,
} from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { launchChromium } from "@ciba-testbed/stack/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { AGENT_CLIENT } from "../support/tenant-client.js";

/** bcrypt (cost 4) of "right-password", for the users the login page asks for a password. */
const PASSWORD_HASH = "$2b$04$SnIdh9lr.Y0XNP2bNypNIeI.ZkbhvKPTMPVdz7gsC2elOrkezY.sW";

const VERIFIER = "a-code-verifier-of-this-test-long-enough-for-rfc-7636-pkce";
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");

/** The tenant's login and logout pages in Chromium, with a miniature application beside it. */
describe("the tenant's login pages", () => {
  let certDir: string;
  let keys: SigningKeys;
  let browser: Browser;
  let app: Server;
  let appUrl: string;
  let tenant: RunningMockAuth0 | undefined;
  /** The paths and queries the application was asked for, in order. */
  const appRequests: URL[] = [];

  beforeAll(async () => {
    certDir = mkdtempSync(path.join(tmpdir(), "tenant-login-pages-"));
    keys = await SigningKeys.create();
    // The application, in miniature: /login starts a login at the tenant, /auth/callback takes
    // the code, / is its home page.
    app = createServer((req, res) => {
      const url = new URL(req.url ?? "/", appUrl);
      appRequests.push(url);
      if (url.pathname === "/login" && tenant !== undefined) {
        res.writeHead(302, { location: authorizeUrl(tenant, { state: "app-state" }) }).end();
        return;
      }
      const title = url.pathname === "/auth/callback" ? "Signed in" : "Shop home";
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
    // The certificate every tenant of this file serves, which the browser trusts.
    await ensureLocalCertificates(certDir);
    browser = await launchChromium(certDir);
  });
  afterEach(async () => {
    await Promise.all(browser.contexts().map((context) => context.close()));
    await tenant?.close();
    tenant = undefined;
    appRequests.length = 0;
  });
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => app.close(resolve));
    rmSync(certDir, { recursive: true, force: true });
  });

  /** The application's login at `tenant`: a code flow with PKCE back to its /auth/callback. */
  function authorizeUrl(tenant: RunningMockAuth0, extra: Record<string, string>): string {
    const authorize = new URL("authorize", tenant.issuer);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: AGENT_CLIENT.client_id,
      redirect_uri: `${appUrl}auth/callback`,
      scope: "openid",
      code_challenge: CHALLENGE,
      code_challenge_method: "S256",
      ...extra,
    }).toString();
    return authorize.href;
  }

  /**
   * A tenant whose agent client calls back to the application, with `extra` settings, and a
   * password for the users `withPassword` names.
   */
  async function startTenant(
    extra: Record<string, unknown> = {},
    withPassword: string[] = [],
  ): Promise<RunningMockAuth0> {
    return startMockAuth0({
      tenant: tenantWith({
        users: (users) =>
          users.map((user) =>
            withPassword.includes(String(user.name))
              ? { ...user, password_hash: PASSWORD_HASH }
              : user,
          ),
        assets: (assets) => ({
          ...assets,
          clients: (assets.clients as Record<string, unknown>[]).map((c) =>
            c.name === "Shopping agent"
              ? { ...c, callbacks: [`${appUrl}auth/callback`], ...extra }
              : c,
          ),
        }),
      }),
      port: 0,
      host: "127.0.0.1",
      certDir,
      keys,
    });
  }

  /** Logs in as Test Buyer from the application's /login. */
  async function logIn(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${appUrl}login`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    return page;
  }

  /** Logs in as Test Buyer from the application's /login, then goes Back to the login page. */
  async function logInThenBack(): Promise<Page> {
    const page = await logIn();
    await page.goBack();
    return page;
  }

  /**
   * The login page opened again once its login is over, as the Back button opens it: mock-auth0
   * sends the browser back to the application, to its Application Login URI when the tenant has
   * one (as Auth0 does), else by a link on the page.
   */
  it("links back to the application when its client has no Application Login URI", async () => {
    tenant = await startTenant();
    const page = await logInThenBack();

    await page.getByText("This login has expired or was already used").waitFor();
    expect(new URL(page.url()).pathname).toBe("/u/login");
    const back = page.getByRole("link", { name: "Back to Shopping agent" });
    await expect(back.getAttribute("href")).resolves.toBe(appUrl);
    await back.click();
    await page.getByRole("heading", { name: "Shop home" }).waitFor();
    expect(page.url()).toBe(appUrl);
  });

  it("sends the browser to the client's Application Login URI (initiate_login_uri), with iss", async () => {
    tenant = await startTenant({ initiate_login_uri: `${appUrl}login` });
    const page = await logInThenBack();

    // The application starts a new login; the browser's login session answers it at once.
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    const started = appRequests.filter((url) => url.pathname === "/login");
    expect(started.map((url) => url.searchParams.get("iss"))).toEqual([null, tenant.issuer]);
    const callbacks = appRequests.filter((url) => url.pathname === "/auth/callback");
    expect(callbacks).toHaveLength(2);
    const codes = callbacks.map((url) => url.searchParams.get("code"));
    expect(codes[1]).toEqual(expect.any(String));
    expect(codes[1]).not.toBe(codes[0]);
  });

  it("names each password box after its user and puts it after that user's name, for the keyboard too", async () => {
    tenant = await startTenant({}, ["Test Buyer", "Second Buyer"]);
    const page = await browser.newPage();
    await page.goto(`${appUrl}login`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    // Each user's name, then that user's box, then the button that logs in: one name each.
    await expect(page.getByRole("list").ariaSnapshot()).resolves.toBe(
      [
        "- list:",
        "  - listitem:",
        "    - paragraph: Test Buyer buyer@example.com",
        "    - text: Password for Test Buyer",
        '    - textbox "Password for Test Buyer"',
        '    - button "Log in as Test Buyer"',
        "  - listitem:",
        "    - paragraph: Second Buyer second@example.com",
        "    - text: Password for Second Buyer",
        '    - textbox "Password for Second Buyer"',
        '    - button "Log in as Second Buyer"',
        "  - listitem:",
        '    - button "No Push no-push@example.com"',
      ].join("\n"),
    );

    // By keyboard: Tab reaches the first user's box, then its button, then the second's box.
    const focused = () =>
      page.evaluate(`(() => {
        const element = document.activeElement;
        return element.getAttribute("type") === "password"
          ? "box: " + element.closest("label").textContent
          : "button: " + element.textContent;
      })()`);
    const order: unknown[] = [];
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press("Tab");
      order.push(await focused());
    }
    expect(order).toEqual([
      "box: Password for Test Buyer",
      "button: Log in as Test Buyer",
      "box: Password for Second Buyer",
    ]);
    // A wrong password: the second user's box is marked, described by the alert, and focused.
    await page.keyboard.type("wrong-password");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").waitFor();
    const box = page.getByRole("textbox", { name: "Password for Second Buyer" });
    await expect(box.getAttribute("aria-invalid")).resolves.toBe("true");
    const describedBy = String(await box.getAttribute("aria-describedby"));
    await expect(page.locator(`[id="${describedBy}"]`).textContent()).resolves.toBe(
      "Wrong email or password.",
    );
    await expect(focused()).resolves.toBe("box: Password for Second Buyer");
    await page.keyboard.type("right-password");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
  });

  /** Whether the browser's login session would log in without a page (prompt=none). */
  async function loggedIn(page: Page): Promise<boolean> {
    if (tenant === undefined) throw new Error("no tenant");
    await page.goto(authorizeUrl(tenant, { prompt: "none" }));
    return new URL(page.url()).searchParams.has("code");
  }

  it("takes a login_hint from a link on another site as Auth0 does: the page, that user first, logged in by a click only", async () => {
    tenant = await startTenant();
    const page = await browser.newPage();
    await page.goto(appUrl);
    // What any site can send a browser to: it must not log the browser in as whoever it names.
    await page.evaluate(
      (href) => {
        (globalThis as unknown as { location: { href: string } }).location.href = href;
      },
      authorizeUrl(tenant, { login_hint: "auth0|second-user", state: "from-elsewhere" }),
    );
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(appRequests.some((url) => url.pathname === "/auth/callback")).toBe(false);
    const buttons = page.locator("form.user button");
    await expect(buttons.first().textContent()).resolves.toContain("Second Buyer");
    // Nothing on the page has the focus, so a press of Enter picks nobody.
    await expect(page.locator(":focus").count()).resolves.toBe(0);
    // The person's own click is what logs them in.
    await buttons.first().click();
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    const [callback] = appRequests.filter((url) => url.pathname === "/auth/callback");
    expect(callback?.searchParams.get("state")).toBe("from-elsewhere");
  });

  it("says a logout with nowhere to return to succeeded, not that something went wrong", async () => {
    tenant = await startTenant();
    const page = await logIn();
    /** The page a logout ended on: what it says, and whether it raises an alert. */
    const shown = async () => ({
      title: await page.title(),
      heading: await page.getByRole("heading").allTextContents(),
      alerts: await page.getByRole("alert").count(),
      text: await page.locator("main").innerText(),
    });
    const loggedOutPage = {
      title: expect.stringMatching(/^Logged out \| /),
      heading: ["You are logged out"],
      alerts: 0,
      text: expect.not.stringMatching(/logged_out|Oops|wrong/),
    };

    // Auth0's own logout without client_id or returnTo.
    const answer = await page.goto(new URL("v2/logout", tenant.issuer).href);
    expect(answer?.status()).toBe(200);
    await expect(shown()).resolves.toEqual(loggedOutPage);
    expect(await loggedIn(page)).toBe(false);

    // OIDC Logout without a client, once the person has confirmed it.
    await page.goto(`${appUrl}login`);
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    await page.goto(new URL("oidc/logout", tenant.issuer).href);
    const confirmed = page.waitForResponse((r) => r.url().includes("confirm="));
    await page.getByRole("button", { name: "Log out" }).click();
    expect((await confirmed).status()).toBe(200);
    await expect(shown()).resolves.toEqual(loggedOutPage);
    expect(await loggedIn(page)).toBe(false);
  });

  it("asks before a logout link without id_token_hint ends the session, then returns to the app", async () => {
    tenant = await startTenant({ allowed_logout_urls: [appUrl] });
    const page = await logIn();
    const logout = new URL("oidc/logout", tenant.issuer);
    logout.search = new URLSearchParams({
      client_id: AGENT_CLIENT.client_id,
      post_logout_redirect_uri: appUrl,
      state: "bye",
    }).toString();

    // A link alone, as another site could send, shows the question and ends nothing.
    await page.goto(logout.href);
    await page.getByRole("heading", { name: "Log out" }).waitFor();
    await page.getByText("Do you want to log out of").waitFor();
    expect(await loggedIn(page)).toBe(true);

    await page.goto(logout.href);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Shop home" }).waitFor();
    expect(page.url()).toBe(`${appUrl}?state=bye`);
    expect(await loggedIn(page)).toBe(false);
  });
});
