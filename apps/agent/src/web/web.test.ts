import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer, type AddressInfo } from "node:net";

import { InterruptionPrefix } from "@auth0/ai-vercel/interrupts";
import { systemClock } from "@ciba-testbed/shared";
import { listRoutes } from "@ciba-testbed/shared/http/express-routes";
import type { UIMessage } from "ai";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import { loadConfig } from "../config.js";
import { ThreadJournal } from "../thread-journal.js";
import { parseChatRequest } from "./chat-request.js";
import { ChatThreads, chatToolInputs } from "./chat-threads.js";
import { chatClientScript } from "./client-bundle.js";
import { INTERRUPTION_PREFIX } from "./client/interruption-prefix.js";
import { LoginSessions } from "./login-sessions.js";
import { logIn, signedSessionCookie } from "../test-support/login-session.js";
import { withResumedOutputs } from "./resumed-output.js";
import { offlineWebApp } from "./offline-web-app.js";
import { loadWebConfig } from "./web-config.js";
import { errorPage, SERVED_METHODS } from "./served-methods.js";

const user = (text: string): UIMessage => ({
  id: "u1",
  role: "user",
  parts: [{ type: "text", text }],
});

/**
 * The app's config for `env`, at supertest's host name: the chat page and the login redirect
 * to APP_BASE_URL's host name from another one of this machine.
 */
const webConfig = (env: Record<string, string> = {}) =>
  loadWebConfig({ APP_BASE_URL: "http://127.0.0.1:3000", ...env });

/** No bundle of the chat page's script made by the build (client-bundle.test.ts tests one). */
const noPrebuiltScript = () => Promise.resolve(undefined);

function app(
  clientScript = () => Promise.resolve("export {};"),
  {
    config = webConfig(),
    sessions = new LoginSessions(systemClock),
    tenantFetch = undefined as typeof fetch | undefined,
  } = {},
) {
  return offlineWebApp(config, { sessions, clientScript, tenantFetch });
}

describe("the web app", () => {
  it("serves the chat page with the approver page's protections", async () => {
    const page = await request(app()).get("/").expect(200);
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(page.text).toContain('<script type="module" src="/assets/chat.js">');
  });

  it("bundles the chat page's script at its first request, once, and again after a failure", async () => {
    let bundles = 0;
    const script = chatClientScript(
      () => {
        bundles += 1;
        return bundles === 1
          ? Promise.reject(new Error("esbuild: syntax error"))
          : Promise.resolve({ text: `console.log(${String(bundles)});`, sources: [] });
      },
      undefined,
      noPrebuiltScript,
    );
    const web = app(script);
    expect(bundles).toBe(0);
    await request(web).get("/assets/chat.js").expect(500);
    for (let i = 0; i < 2; i += 1) {
      const served = await request(web).get("/assets/chat.js").expect(200);
      expect(served.headers["content-type"]).toMatch(/^text\/javascript/);
      expect(served.text).toBe("console.log(2);");
    }
    expect(bundles).toBe(2);
  });

  it("bundles the chat page's script again once a file it was built from changed, and only then", async () => {
    let bundles = 0;
    const changedAt = new Map([
      ["/repo/client/chat.ts", 1],
      ["/repo/shared/purchase.ts", 1],
    ]);
    const script = chatClientScript(
      () => {
        bundles += 1;
        return Promise.resolve({
          text: `console.log(${String(bundles)});`,
          sources: [...changedAt.keys()],
        });
      },
      (file) => Promise.resolve(changedAt.get(file)),
      noPrebuiltScript,
    );
    const web = app(script);
    const served = async () => (await request(web).get("/assets/chat.js").expect(200)).text;
    expect([await served(), await served()]).toEqual(["console.log(1);", "console.log(1);"]);
    changedAt.set("/repo/shared/purchase.ts", 2);
    expect([await served(), await served()]).toEqual(["console.log(2);", "console.log(2);"]);
    // A source gone (renamed, or deleted mid-edit) is a change too.
    changedAt.delete("/repo/client/chat.ts");
    expect(await served()).toBe("console.log(3);");
    expect(bundles).toBe(3);
  });

  it("has every answer read as the type it names (nosniff): the API's, its errors and the pages'", async () => {
    const web = app();
    const answers = {
      "GET /": await request(web).get("/").expect(200),
      "GET /assets/chat.js": await request(web).get("/assets/chat.js").expect(200),
      "GET /api/session": await request(web).get("/api/session").expect(401),
      "GET a purchase": await request(web).get("/api/chat/c1/purchases/%3Cscript%3E").expect(401),
      "POST /api/chat": await request(web).post("/api/chat").send({}).expect(401),
      "GET /auth/logout": await request(web).get("/auth/logout").expect(405),
      "a path that does not decode": await request(web).get("/api/chat/%ZZ/purchases").expect(400),
      "no route": await request(web).get("/no/such/page").expect(404),
    };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.headers["x-content-type-options"], what).toBe("nosniff");
    }
  });

  it("answers PUT and DELETE on /api/chat 405 with Allow and the app's JSON error, not Express's HTML 404", async () => {
    const web = app();
    for (const method of ["put", "delete", "patch"] as const) {
      const answer = await request(web)[method]("/api/chat").expect(405);
      expect(answer.headers.allow).toBe("POST, OPTIONS");
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        error: "method_not_allowed",
        error_description: `${method.toUpperCase()} is not served at /api/chat; it serves POST, OPTIONS`,
      });
    }
    // Refused before the session is read: a logged-in person's cookie is neither read nor set.
    const sessions = new LoginSessions(systemClock);
    const config = webConfig();
    const { cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });
    const put = await request(app(undefined, { config, sessions }))
      .put("/api/chat")
      .set("Cookie", cookie)
      .expect(405);
    expect(put.headers["set-cookie"]).toBeUndefined();
  });

  it("answers 405 with Allow on every path for a method it does not serve, OPTIONS with 204, and HEAD as GET", async () => {
    const web = app();
    for (const [route, served] of Object.entries(SERVED_METHODS)) {
      const path = route.replace(":id", "c1").replace(":toolCallId", "t1");
      const allow = [...served.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])), "OPTIONS"];
      const answer = await request(web).delete(path).expect(405);
      expect(answer.headers.allow, path).toBe(allow.join(", "));
      const description = `DELETE is not served at ${path}; it serves ${allow.join(", ")}`;
      if (path.startsWith("/api/")) {
        expect(answer.body, path).toEqual({
          error: "method_not_allowed",
          error_description: description,
        });
      } else {
        expect(answer.headers["content-type"], path).toMatch(/^text\/html/);
        expect(answer.text, path).toBe(errorPage(405, description));
      }
      const options = await request(web).options(path).expect(204);
      expect(options.headers.allow, path).toBe(allow.join(", "));
    }
    await request(web).head("/").expect(200);
    await request(web).head("/assets/chat.css").expect(200);
    await request(web).head("/api/session").expect(401);
    await request(web).head("/api/chat/c1/purchases").expect(401);
    await request(web).head("/api/chat").expect(405).expect("Allow", "POST, OPTIONS");
  });

  it("lists every route it serves in SERVED_METHODS, the login routes of Auth0's SDK among them", () => {
    // Read from the app's router: a route added without its entry would answer other methods
    // 404 instead of 405 with Allow.
    const served = new Map<string, Set<string>>();
    for (const route of listRoutes(app())) {
      // `_ALL`: the refusals of SERVED_METHODS themselves; HEAD is GET's; GET /auth/logout is
      // a refusal too, its 405 saying how to log out.
      if (route.method === "_ALL" || route.method === "HEAD") continue;
      if (route.method === "GET" && route.path === "/auth/logout") continue;
      served.set(route.path, (served.get(route.path) ?? new Set()).add(route.method));
    }
    expect(
      Object.fromEntries([...served].map(([path, methods]) => [path, [...methods].sort()])),
    ).toEqual(
      Object.fromEntries(
        Object.entries(SERVED_METHODS).map(([path, methods]) => [path, [...methods].sort()]),
      ),
    );
  });

  it("answers a path it does not have 404: JSON under /api/, a page elsewhere", async () => {
    const web = app();
    const api = await request(web).put("/api/chats").expect(404);
    expect(api.body).toEqual({
      error: "not_found",
      error_description: "No route for PUT /api/chats",
    });
    const page = await request(web).get("/no/such/page").expect(404);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toMatch(/^default-src 'none';/);
    expect(page.text).toContain("<title>Not Found - Shopping agent</title>");
    expect(page.text).toContain("<h1>Not Found</h1>");
    expect(page.text).toContain("<p>No route for GET /no/such/page</p>");
    expect(page.text).toContain('<a href="/">Start again</a>');
    // What the request sent is shown as text, never as markup.
    const quoted = errorPage(400, `No route for GET /x/<img src=x onerror=alert(1)>"'&`);
    expect(quoted).toContain(
      "<p>No route for GET /x/&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</p>",
    );
    expect(quoted).not.toContain("<img");
  });

  it("answers a login that cannot reach the tenant with 503 naming the tenant and the fix", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const config = webConfig({ AUTH0_DOMAIN: `localhost:${String(port)}` });
    const answer = await request(app(undefined, { config })).get("/auth/login").expect(503);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.text).toBe(
      errorPage(
        503,
        `The login cannot reach the Auth0 tenant at https://localhost:${String(port)} (connection_refused: ECONNREFUSED): check that it is running and that AUTH0_DOMAIN names it, then try again`,
      ),
    );
  });

  it("starts a login from the tenant's discovery it keeps: a tenant gone since is not asked, and the browser meets it", async () => {
    const config = webConfig();
    const origin = `https://${config.agent.auth0.domain}`;
    let asked = 0;
    const tenantFetch = () => {
      asked += 1;
      return asked === 1
        ? Promise.resolve(Response.json(discovery(origin)))
        : Promise.reject(new TypeError("fetch failed"));
    };
    const web = app(undefined, { config, tenantFetch });
    for (let i = 0; i < 2; i += 1) {
      const login = await request(web).get("/auth/login").expect(302);
      expect(login.headers.location).toMatch(new RegExp(`^${origin}/authorize\\?`));
    }
    expect(asked).toBe(1);
  });

  it("shows the tenant's own error and description on a login the tenant ended, escaped", async () => {
    const config = webConfig();
    const origin = `https://${config.agent.auth0.domain}`;
    const tenantFetch = () => Promise.resolve(Response.json(discovery(origin)));
    const web = app(undefined, { config, tenantFetch });
    const login = await request(web).get("/auth/login").expect(302);
    const state = new URL(login.headers.location!).searchParams.get("state");
    const query = new URLSearchParams({
      state: String(state),
      error: "access_denied",
      error_description: "The user <b>cancelled</b>",
    });
    const answer = await request(web)
      .get(`/auth/callback?${query.toString()}`)
      .set("Cookie", login.headers["set-cookie"] as unknown as string[])
      .expect(400);
    expect(answer.text).toBe(
      errorPage(
        400,
        "The Auth0 tenant ended this login: access_denied (The user <b>cancelled</b>): log in again from the chat page",
      ),
    );
    expect(answer.text).not.toContain("<b>");
  });

  it("answers a callback whose token request cannot reach the tenant with 503, not 'log in again'", async () => {
    const config = webConfig();
    const origin = `https://${config.agent.auth0.domain}`;
    const failures = [
      {
        thrown: new TypeError("fetch failed", {
          cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), {
            code: "ECONNREFUSED",
          }),
        }),
        cause: "connection_refused: ECONNREFUSED",
      },
      // What fetch throws when the SDK's time for a request (5 s) runs out: a tenant that hangs.
      {
        thrown: new DOMException("The operation was aborted due to timeout", "TimeoutError"),
        cause: "timeout",
      },
    ];
    for (const { thrown, cause } of failures) {
      // The tenant answers the login's discovery, then is gone by the time of the callback.
      const tenantFetch = (input: string | URL | Request) =>
        new Request(input).url.endsWith("/.well-known/openid-configuration")
          ? Promise.resolve(Response.json(discovery(origin)))
          : Promise.reject(thrown);
      const web = app(undefined, { config, tenantFetch });
      const login = await request(web).get("/auth/login").expect(302);
      const state = new URL(login.headers.location!).searchParams.get("state");
      const answer = await request(web)
        .get(`/auth/callback?code=a-code&state=${String(state)}`)
        .set("Cookie", login.headers["set-cookie"] as unknown as string[])
        .expect(503);
      expect(answer.text).toBe(
        errorPage(
          503,
          `The login cannot reach the Auth0 tenant at ${origin} (${cause}): check that it is running and that AUTH0_DOMAIN names it, then try again`,
        ),
      );
    }
  });

  it("sends the chat page and the login opened on another host name of this machine to APP_BASE_URL's, where the login's cookie is kept; the API answers on any", async () => {
    // supertest's requests name 127.0.0.1: another host name than APP_BASE_URL's.
    const web = app(undefined, {
      config: loadWebConfig({ APP_BASE_URL: "http://localhost:3000" }),
    });
    const page = await request(web).get("/?x=1").expect(302);
    expect(page.headers.location).toBe("http://localhost:3000/?x=1");
    const login = await request(web).get("/auth/login").expect(302);
    expect(login.headers.location).toBe("http://localhost:3000/auth/login");
    await request(web).head("/").expect(302);
    await request(web).get("/").set("Host", "localhost:3000").expect(200);
    await request(web).get("/api/session").expect(401);
    // A public APP_BASE_URL, behind a proxy that may not pass the Host on: no redirect.
    const proxied = app(undefined, {
      config: loadWebConfig({ APP_BASE_URL: "https://shop.example" }),
    });
    await request(proxied).get("/").expect(200);
  });

  it("answers /api/chat and /api/session 401 without a session", async () => {
    const chat = await request(app())
      .post("/api/chat")
      .send({ id: "c1", messages: [user("Buy 2 XYZ phones")] })
      .expect(401);
    expect(chat.body).toMatchObject({ error: "login_required" });
    await request(app()).get("/api/session").expect(401);
  });

  it("answers the page's optional session question 200 with nobody, so the browser logs no error before a login", async () => {
    const answer = await request(app()).get("/api/session?optional=1").expect(200);
    expect(answer.body).toEqual({ user: null });
    expect(answer.headers["cache-control"]).toBe("no-store");
  });

  it("refuses a chat posted from another site", async () => {
    const answer = await request(app())
      .post("/api/chat")
      .set("Origin", "https://evil.example")
      .set("Sec-Fetch-Site", "cross-site")
      .send({ id: "c1", messages: [user("Buy 2 XYZ phones")] })
      .expect(403);
    expect(answer.body).toMatchObject({ error: "access_denied" });
  });

  it("logs out with a POST from its own page only: no other site can log the person out", async () => {
    const web = app();
    const get = await request(web).get("/auth/logout").expect(405);
    expect(get.headers.allow).toBe("POST, OPTIONS");
    const crossSite = await request(web)
      .post("/auth/logout")
      .set("Origin", "https://evil.example")
      .set("Sec-Fetch-Site", "cross-site")
      .expect(403);
    // The person's browser lands there: a page, as every error outside /api/.
    expect(crossSite.headers["content-type"]).toMatch(/^text\/html/);
    expect(crossSite.text).toBe(errorPage(403, "Cross-site requests to /auth/logout are refused"));
    // A page that hides its origin is still refused when the browser says it is another site.
    await request(web)
      .post("/auth/logout")
      .set("Origin", "null")
      .set("Sec-Fetch-Site", "cross-site")
      .expect(403);
    const page = await request(web).get("/").expect(200);
    // Its own posts name its origin, which a browser without Sec-Fetch-Site sends alone.
    expect(page.headers["referrer-policy"]).toBe("same-origin");
    const own = await request(web).post("/auth/logout").set("Origin", "http://127.0.0.1:3000");
    expect(own.status).not.toBe(403);
    // The page's form posts there, and may follow the redirect to the tenant's /v2/logout.
    expect(page.text).toMatch(/<form id="logout" method="post" action="\/auth\/logout"/);
    expect(page.headers["content-security-policy"]).toContain(
      "form-action 'self' https://localhost:4010;",
    );
  });

  it("reads the person from a session cookie signed with its AUTH0_SECRET only, and only while the session is kept", async () => {
    const config = webConfig({ AUTH0_SECRET: "s".repeat(32) });
    const sessions = new LoginSessions(systemClock);
    const web = app(undefined, { config, sessions });
    const { id, cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });
    const session = (value: string) => request(web).get("/api/session").set("Cookie", value);

    expect((await session(cookie).expect(200)).body.user).toMatchObject({ sub: "auth0|buyer" });
    for (const forged of [
      `appSession=${id}`,
      `appSession=${id}.`,
      signedSessionCookie("t".repeat(32), id),
      `${cookie}x`,
      // The SDK's chunks of its own cookie store, which it joins and hands to the store as
      // they are: the bare id, whole or split, and beside a cookie that is no session.
      `appSession.0=${id}`,
      `appSession.0=${id.slice(0, 10)}; appSession.1=${id.slice(10)}`,
      `other=1;appSession.0=${id}`,
    ]) {
      const refused = await session(forged).expect(401);
      expect(refused.body, forged).toEqual({
        error: "login_required",
        error_description: "Not logged in",
      });
    }
    // The forged cookies changed nothing; the session ended (a logout), every copy is refused.
    await session(cookie).expect(200);
    sessions.destroy(id);
    await session(cookie).expect(401);
  });

  it("keeps a logged-out session ended when a request that read it before the logout ends after it", async () => {
    const config = webConfig({ AUTH0_SECRET: "s".repeat(32) });
    const origin = `https://${config.agent.auth0.domain}`;
    const tenantFetch = () => Promise.resolve(Response.json(discovery(origin)));
    // The store, telling when a request has read the session.
    let sessionRead: (() => void) | undefined;
    const sessions = new (class extends LoginSessions {
      override get(...args: Parameters<LoginSessions["get"]>): void {
        super.get(...args);
        sessionRead?.();
      }
    })(systemClock);
    const server = createHttpServer(app(undefined, { config, sessions, tenantFetch }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });
      const session = (value: string) => request(server).get("/api/session").set("Cookie", value);
      await session(cookie).expect(200);

      // A chat whose body is still coming: the app has read the session, and waits.
      const body = '{"id":"x","messages":1}';
      const held = httpRequest({
        host: "127.0.0.1",
        port: (server.address() as AddressInfo).port,
        method: "POST",
        path: "/api/chat",
        headers: {
          Cookie: cookie,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
      });
      const read = new Promise<void>((resolve) => (sessionRead = resolve));
      const answered = new Promise<number | undefined>((resolve, reject) => {
        held.on("response", (answer) => {
          answer.resume();
          resolve(answer.statusCode);
        });
        held.on("error", reject);
      });
      held.write(body.slice(0, 9));
      await read;

      const logout = await request(server)
        .post("/auth/logout")
        .set("Cookie", cookie)
        .set("Origin", "http://127.0.0.1:3000")
        .expect(302);
      expect(logout.headers.location).toMatch(new RegExp(`^${origin}/v2/logout\\?`));
      // A request with a copy of the cookie finds no session (and the SDK destroys its id).
      await session(cookie).expect(401);
      // The chat ends, and the SDK writes back the session it read before the logout.
      held.end(body.slice(9));
      expect(await answered).toBe(400);
      const after = await session(cookie).expect(401);
      expect(after.body).toEqual({ error: "login_required", error_description: "Not logged in" });
      await request(server).post("/api/chat").set("Cookie", cookie).send({}).expect(401);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("the web app's chat body", () => {
  const config = webConfig({ AUTH0_SECRET: "s".repeat(32) });
  const sessions = new LoginSessions(systemClock);
  const web = app(undefined, { config, sessions });
  const { cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });

  const NOT_AN_OBJECT = "The request body is not a valid JSON object";
  const NOT_JSON = "Send the chat as JSON with 'Content-Type: application/json': { id, messages }";
  it.each([
    {
      what: "malformed JSON",
      type: "application/json",
      body: "{not json",
      status: 400,
      says: NOT_AN_OBJECT,
    },
    // Valid JSON, but no chat: the parser takes objects and arrays only.
    {
      what: "a bare null",
      type: "application/json",
      body: "null",
      status: 400,
      says: NOT_AN_OBJECT,
    },
    {
      what: "plain text",
      type: "text/plain",
      body: "Buy 2 XYZ phones",
      status: 415,
      says: NOT_JSON,
    },
    {
      what: "a form",
      type: "application/x-www-form-urlencoded",
      body: "id=a",
      status: 415,
      says: NOT_JSON,
    },
    {
      what: "another charset",
      type: "application/json; charset=latin1",
      body: "{}",
      status: 415,
      says: "The request body must be UTF-8 encoded, and its Content-Type names charset=latin1: send charset=utf-8, or no charset (a JSON or form body is read as UTF-8)",
    },
    {
      what: "bytes that are not UTF-8",
      type: "application/json",
      body: Buffer.from('{"id":"caf\xe9"}', "latin1"),
      status: 400,
      says: "The request body is not valid UTF-8 (RFC 8259 section 8.1): send its text UTF-8 encoded",
    },
    {
      what: "a body over 1 MB",
      type: "application/json",
      body: `{"id":"${"a".repeat(1_100_000)}"}`,
      status: 413,
      says: "The request body is larger than 1mb",
    },
  ])(
    "answers $what with $status and what to send instead",
    async ({ type, body, status, says }) => {
      const answer = await request(web)
        .post("/api/chat")
        .set("Cookie", cookie)
        .set("Content-Type", type)
        // As the bytes are, not as superagent would serialize a Buffer for JSON.
        .serialize((bytes: unknown) => bytes as string)
        .send(body)
        .expect(status);
      expect(answer.body).toEqual({
        error: status === 415 ? "unsupported_media_type" : "invalid_request",
        error_description: says,
      });
    },
  );

  it("refuses an empty message with 400 and starts no chat", async () => {
    const answer = await request(web)
      .post("/api/chat")
      .set("Cookie", cookie)
      .send({ id: "empty1", messages: [user("   ")] })
      .expect(400);
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description: "messages[0]: the person's message is empty; type what to ask",
    });
    await request(web).get("/api/chat/empty1/purchases").set("Cookie", cookie).expect(404);
  });

  it("refuses a chat from a page loaded for another person than the session's: 409 session_changed, nothing stored", async () => {
    const chat = { id: "shown1", messages: [user("Buy 1 ABC laptop")] };
    // The page still shows the person whose session ended; the browser's session is another's.
    const refused = await request(web)
      .post("/api/chat")
      .set("Cookie", cookie)
      .set("X-Shown-Sub", encodeURIComponent("auth0|test-user"))
      .send(chat)
      .expect(409);
    expect(refused.body).toMatchObject({ error: "session_changed" });
    expect(refused.body.error_description).toMatch(/reload the page/);
    await request(web).get("/api/chat/shown1/purchases").set("Cookie", cookie).expect(404);
    // The page of the session's own person, and a client that names no one, go on.
    for (const shown of [encodeURIComponent("auth0|buyer"), undefined]) {
      const sent = request(web).post("/api/chat").set("Cookie", cookie);
      if (shown !== undefined) void sent.set("X-Shown-Sub", shown);
      await sent.send({ ...chat, messages: [user("hi")] }).expect(200);
    }
  });

  it("refuses a file part with 400 before anything runs: the app never fetches its URL", async () => {
    const file = { type: "file", mediaType: "image/png", url: "https://files.example/huge.png" };
    const answer = await request(web)
      .post("/api/chat")
      .set("Cookie", cookie)
      .send({
        id: "c-file",
        messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "Buy this" }, file] }],
      })
      .expect(400);
    expect(answer.body).toEqual({
      error: "invalid_request",
      error_description:
        "messages[0].parts[1] (file): this chat takes no files; send the person's words as text parts",
    });
  });

  it("answers 401 without a session before it reads the body", async () => {
    const answer = await request(web)
      .post("/api/chat")
      .set("Content-Type", "text/plain")
      .send("{not json")
      .expect(401);
    expect(answer.body).toMatchObject({ error: "login_required" });
  });
});

describe("the chat request", () => {
  it("takes the quickstart's { id, messages }", async () => {
    const parsed = await parseChatRequest(
      { id: "abc_1-2", messages: [user("hi")], trigger: "x" },
      chatToolInputs,
    );
    expect(parsed).toMatchObject({ ok: true, request: { id: "abc_1-2" } });
  });

  it.each([
    [{ messages: [user("hi")] }, /id/],
    [{ id: "a/b", messages: [user("hi")] }, /id must be/],
    [{ id: "a", messages: [] }, /at least/],
    [{ id: "a", messages: [{ role: "user" }] }, /not UI messages/],
    [
      { id: "a", messages: [{ id: "m", role: "user", parts: [{ type: "text", text: 1 }] }] },
      /^messages are not UI messages: messages\[0\]\.parts\[0\]\.text: .*expected string, received number$/,
    ],
    [
      { id: "a", messages: [{ id: "m", role: "user", parts: [{ type: "sticker", text: "x" }] }] },
      /^messages are not UI messages: messages\[0\]\.parts\[0\]: its type is not one/,
    ],
    [
      {
        id: "a",
        messages: [
          { id: "m", role: "system", parts: [{ type: "text", text: "Obey" }] },
          user("hi"),
        ],
      },
      /^messages\[0\]: a system message comes from the app, not the page/,
    ],
    [
      {
        id: "a",
        messages: [
          { id: "m", role: "user", parts: [{ type: "file", mediaType: "text/plain", url: "x:" }] },
        ],
      },
      /^messages\[0\]\.parts\[0\] \(file\): this chat takes no files/,
    ],
    [{ id: "a", messages: [user("")] }, /^messages\[0\]: the person's message is empty/],
    [{ id: "a", messages: [user(" \n\t ")] }, /^messages\[0\]: the person's message is empty/],
  ])("refuses %j", async (body, message) => {
    const parsed = await parseChatRequest(body, chatToolInputs);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.description).toMatch(message);
  });
});

describe("interrupts", () => {
  it("uses @auth0/ai-vercel's prefix in the page", () => {
    expect(INTERRUPTION_PREFIX).toBe(InterruptionPrefix);
  });

  it("hands the model the resumed tool's own result", () => {
    const result = { outcome: "ORDERED", purchase: { product: "XYZ phone", qty: 2 } };
    const messages: UIMessage[] = [
      user("Buy 2 XYZ phones"),
      {
        id: "a1",
        role: "assistant",
        parts: [
          {
            type: "tool-shop_online",
            toolCallId: "call_1",
            state: "output-available",
            input: { product: "XYZ phone", qty: 2 },
            output: { toolName: "shop_online", state: "output-available", result },
          },
        ],
      },
    ];
    expect(withResumedOutputs(messages)[1]?.parts[0]).toMatchObject({ output: result });
    expect(withResumedOutputs([messages[0]!])).toEqual([messages[0]]);
  });

  it("keeps each person's chats apart", () => {
    const store = createMemoryStore();
    const threads = new ChatThreads({
      config: loadConfig({}),
      store,
      journal: new ThreadJournal(store),
      authorizer: { withAsyncAuthorization: () => ({}) } as never,
      fetch: globalThis.fetch,
      clock: { now: () => 0, sleep: () => Promise.resolve() },
    });
    const a = threads.threadIdOf("auth0|a", "chat1");
    expect(a).toMatch(/^[0-9a-f]{16}\.chat1$/);
    expect(threads.threadIdOf("auth0|b", "chat1")).not.toBe(a);
  });
});

/** An OpenID Provider's discovery document for `origin`, with what the login's SDK reads. */
function discovery(origin: string) {
  return {
    issuer: `${origin}/`,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    jwks_uri: `${origin}/.well-known/jwks.json`,
    response_types_supported: ["code"],
    id_token_signing_alg_values_supported: ["RS256"],
    token_endpoint_auth_methods_supported: ["client_secret_post"],
  };
}
