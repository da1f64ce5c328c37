import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import express from "express";
import { auth } from "express-openid-connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startMockAuth0 } from "../server.js";
import type { RunningMockAuth0 } from "../server.js";
import { tenantWith } from "../tenant/load-tenant.js";
import { testKeys } from "../test-support/harness.js";
import { httpsFetch } from "../test-support/https-fetch.js";

/**
 * Auth0's Express quickstart, unchanged: express-openid-connect with only the four settings its
 * docs require, so with its defaults (`response_type=id_token`, `response_mode=form_post`: the
 * implicit flow with form post), for an application made as the dashboard makes one (the
 * implicit grant among its grant types).
 */
const APP = { id: "express-quickstart", name: "Express quickstart" };
const BUYER = "auth0|testbed-user";

let tenant: RunningMockAuth0;
let certDir: string;
let fetchTenant: typeof fetch;
let app: Server;
let appUrl: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "express-quickstart-"));
  // The app's port first: the tenant's Allowed Callback URLs name it.
  app = createServer();
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://localhost:${String((app.address() as AddressInfo).port)}`;
  tenant = await startMockAuth0({
    tenant: tenantWith({
      assets: (assets) => ({
        ...assets,
        clients: [
          ...((assets.clients as Record<string, unknown>[] | undefined) ?? []),
          { name: APP.name, app_type: "regular_web", callbacks: [`${appUrl}/callback`] },
        ],
      }),
      settings: (settings) => ({
        ...settings,
        clients: {
          ...(settings.clients as Record<string, unknown>),
          [APP.name]: { client_id: APP.id, client_secret: "express-quickstart-secret" },
        },
      }),
    }),
    port: 0,
    host: "127.0.0.1",
    certDir,
    keys: await testKeys(),
  });
  fetchTenant = httpsFetch(readFileSync(tenant.caCertPath, "utf8"));
  const site = express();
  site.use(
    auth({
      issuerBaseURL: tenant.issuer,
      baseURL: appUrl,
      clientID: APP.id,
      secret: "a long, randomly-generated string stored in env",
      authRequired: false,
      // The one change: this process did not trust the tenant's CA at start.
      customFetch: fetchTenant,
    }),
  );
  site.get("/me", (req, res) => {
    res.json(req.oidc.isAuthenticated() ? req.oidc.user : null);
  });
  app.on("request", site);
});

afterAll(async () => {
  await new Promise((resolve) => app.close(resolve));
  await tenant.close();
  rmSync(certDir, { recursive: true, force: true });
});

/** A browser in miniature: a cookie jar per host, redirects read, not followed. */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  async send(url: URL, init: RequestInit = {}): Promise<Response> {
    const jar = this.jars.get(url.host) ?? new Map<string, string>();
    this.jars.set(url.host, jar);
    const headers = new Headers(init.headers);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    if (cookie !== "") headers.set("cookie", cookie);
    const answer =
      url.protocol === "https:"
        ? await fetchTenant(url, { ...init, headers })
        : await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of answer.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return answer;
  }

  /** A form posted as the page's script or button would post it. */
  postForm(url: URL, fields: Record<string, string>, origin: string): Promise<Response> {
    return this.send(url, {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin },
    });
  }
}

const followed = (answer: Response, base: string) => {
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get("location") ?? "", base);
};

const formFields = (html: string): Record<string, string> =>
  Object.fromEntries(
    [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
  );

describe("Auth0's Express quickstart, in its default configuration", () => {
  it("logs the person in through the implicit flow with form post, and knows who they are", async () => {
    const browser = new Browser();
    const authorize = followed(await browser.send(new URL("/login", appUrl)), appUrl);
    expect(authorize.searchParams.get("response_type")).toBe("id_token");
    expect(authorize.searchParams.get("response_mode")).toBe("form_post");

    const page = followed(await browser.send(authorize), tenant.issuer);
    const loginPage = await (await browser.send(page)).text();
    const state = /name="state" value="([^"]+)"/.exec(loginPage)?.[1] ?? "";
    const posted = await browser.postForm(
      new URL("/u/login", tenant.issuer),
      { state, user: BUYER },
      new URL(tenant.issuer).origin,
    );
    expect(posted.status).toBe(200);
    const html = await posted.text();
    expect(html).toContain(`action="${appUrl}/callback"`);

    // The page's form, posted to the app's callback as the browser would.
    const callback = await browser.postForm(
      new URL("/callback", appUrl),
      formFields(html),
      new URL(tenant.issuer).origin,
    );
    expect(followed(callback, appUrl).pathname).toBe("/");
    const me = (await (await browser.send(new URL("/me", appUrl))).json()) as {
      sub?: string;
      email?: string;
    } | null;
    expect(me).toMatchObject({ sub: BUYER, email: "buyer@example.com" });
  });
});
