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
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const PARTNER = "partner";

/** The consent page a third-party application meets, in Chromium, with the application beside it. */
describe("the tenant's consent page", () => {
  let certDir: string;
  let browser: Browser;
  let app: Server;
  let appUrl: string;
  let tenant: RunningMockAuth0;
  /** What the application's callback was sent, in order. */
  const callbacks: URLSearchParams[] = [];

  beforeAll(async () => {
    certDir = mkdtempSync(path.join(tmpdir(), "tenant-consent-page-"));
    app = createServer((req, res) => {
      const url = new URL(req.url ?? "/", appUrl);
      if (url.pathname === "/auth/callback") callbacks.push(url.searchParams);
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>Partner</title><h1>Partner</h1>");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
    await ensureLocalCertificates(certDir);
    tenant = await startMockAuth0({
      tenant: tenantWith({
        assets: (assets) => ({
          ...assets,
          clients: [
            ...(assets.clients as Record<string, unknown>[]),
            {
              name: "Partner app",
              app_type: "regular_web",
              is_first_party: false,
              token_endpoint_auth_method: "client_secret_post",
              grant_types: ["authorization_code"],
              callbacks: [`${appUrl}auth/callback`],
            },
          ],
          // The shop API lets only an application with a user grant act for a person.
          clientGrants: [
            ...(assets.clientGrants as Record<string, unknown>[]),
            {
              client_id: "Partner app",
              audience: "sample-shop-api",
              subject_type: "user",
              scope: ["product:buy"],
            },
          ],
        }),
        settings: (settings) => ({
          ...settings,
          clients: {
            ...(settings.clients as Record<string, unknown>),
            "Partner app": { client_id: PARTNER, client_secret: "partner-secret-0123" },
          },
        }),
      }),
      port: 0,
      host: "127.0.0.1",
      certDir,
      keys: await SigningKeys.create(),
    });
    browser = await launchChromium(certDir);
  });
  beforeEach(() => {
    callbacks.length = 0;
  });
  afterAll(async () => {
    await browser.close();
    await tenant.close();
    await new Promise((resolve) => app.close(resolve));
    rmSync(certDir, { recursive: true, force: true });
  });

  function authorizeUrl(extra: Record<string, string> = {}): string {
    const authorize = new URL("authorize", tenant.issuer);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: PARTNER,
      redirect_uri: `${appUrl}auth/callback`,
      scope: "openid email product:buy",
      audience: "sample-shop-api",
      state: "partner-state",
      ...extra,
    }).toString();
    return authorize.href;
  }

  /** Logs in as Test Buyer for the partner: the browser ends on the consent page. */
  async function logInToConsent(
    extra: Record<string, string> = {},
  ): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(authorizeUrl(extra));
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.getByRole("heading", { name: "Authorize Partner app" }).waitFor();
    return { page, violations };
  }

  it("shows what the application asks for, styled by its own stylesheet, gives the code on Accept, and links back to the application once answered", async () => {
    const { page, violations } = await logInToConsent();
    expect(new URL(page.url()).pathname).toBe("/u/consent");
    await page.getByText("Partner app is requesting access to your").waitFor();
    for (const scope of ["email", "product:buy", "sample-shop-api"]) {
      await page.locator("code", { hasText: scope }).first().waitFor();
    }
    // The page's own style is allowed by its hash; nothing else runs.
    const decline = page.getByRole("button", { name: "Decline" });
    const background = await decline.evaluate(
      (element) =>
        (
          element as unknown as {
            ownerDocument: {
              defaultView: { getComputedStyle(e: unknown): { backgroundColor: string } };
            };
          }
        ).ownerDocument.defaultView.getComputedStyle(element).backgroundColor,
    );
    expect(background).toBe("rgb(229, 231, 235)");
    expect(violations).toEqual([]);

    // Before the answer, a page that sends the browser back with prompt=none gets no code.
    const other = await page.context().newPage();
    await other.goto(authorizeUrl({ prompt: "none", state: "evil" }));
    await other.getByRole("heading", { name: "Partner" }).waitFor();
    expect(callbacks.at(-1)?.get("error")).toBe("consent_required");
    expect(callbacks.at(-1)?.has("code")).toBe(false);

    await page.getByRole("button", { name: "Accept" }).click();
    await page.getByRole("heading", { name: "Partner" }).waitFor();
    expect(callbacks.at(-1)?.get("state")).toBe("partner-state");
    expect(callbacks.at(-1)?.get("code")).toEqual(expect.any(String));

    // Accepted once: the next login for the same scopes asks nothing.
    await other.goto(authorizeUrl({ prompt: "none" }));
    await other.getByRole("heading", { name: "Partner" }).waitFor();
    expect(callbacks.at(-1)?.get("code")).toEqual(expect.any(String));

    // Back to the consent page, answered: it says so and links back to the application, as the
    // login page does.
    await page.goBack();
    await page.getByText("This consent request has expired or was already answered").waitFor();
    expect(new URL(page.url()).pathname).toBe("/u/consent");
    const back = page.getByRole("link", { name: "Back to Partner app" });
    await expect(back.getAttribute("href")).resolves.toBe(appUrl);
    await back.click();
    await page.getByRole("heading", { name: "Partner" }).waitFor();
    expect(page.url()).toBe(appUrl);
    await page.context().close();
  });

  it("sends access_denied to the application on Decline", async () => {
    // Another person-and-scope pair than the consent given above: asked again.
    const { page } = await logInToConsent({ scope: "openid profile" });
    await page.getByRole("button", { name: "Decline" }).click();
    await page.getByRole("heading", { name: "Partner" }).waitFor();
    expect(Object.fromEntries(callbacks.at(-1) ?? [])).toEqual({
      error: "access_denied",
      error_description: "User did not authorize the request",
      state: "partner-state",
    });
    await page.context().close();
  });
});
