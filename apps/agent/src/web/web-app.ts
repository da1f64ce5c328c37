import { fileURLToPath } from "node:url";

import {
  lacksHost,
  MISSING_HOST,
  requestReadError,
  requireUtf8Body,
  verifyJsonBody,
} from "@ciba-testbed/shared/http";
import { classifyNetworkError, type NetworkErrorInfo } from "@ciba-testbed/shared/node";
import express, { json } from "express";
import type { ErrorRequestHandler, Express, RequestHandler } from "express";
import { auth } from "express-openid-connect";
import type { LanguageModel } from "ai";

import { MAX_BODY_ELEMENTS, TOO_MANY_ELEMENTS } from "./chat-request.js";
import {
  chatPurchasesRoute,
  chatRoute,
  purchaseRoute,
  requireLogin,
  requireShownPerson,
} from "./chat-route.js";
import type { ChatThreads } from "./chat-threads.js";
import type { Heartbeat } from "./event-stream.js";
import { type ErrorReporter, reportToStderr, requestName } from "./error-report.js";
import type { LoginSessions } from "./login-sessions.js";
import {
  refuseOtherMethods,
  refuseUnknownPaths,
  sendError,
  type ErrorAnswer,
} from "./served-methods.js";
import type { WebConfig } from "./web-config.js";

const PUBLIC_DIR = fileURLToPath(new URL("public/", import.meta.url));

export interface WebDeps {
  threads: ChatThreads;
  model: LanguageModel;
  /** Where the login sessions are kept: logging out ends a session for every copy of its cookie. */
  sessions: LoginSessions;
  /** The chat page's script (`chatClientScript`). */
  clientScript: () => Promise<string>;
  /** When an open chat stream sends a comment line (every `HEARTBEAT_MS` unless set). */
  heartbeat?: Heartbeat | undefined;
  /** How the login reaches the tenant: its discovery, token and key requests (`fetch` unless set). */
  tenantFetch?: typeof fetch | undefined;
  /** Where an error the person is only told "Something went wrong" of goes (stderr unless set). */
  reportError?: ErrorReporter | undefined;
}

/**
 * The approver page's bar: only its own script and style, never framed, no hold for a site that
 * opened it (`Cross-Origin-Opener-Policy`), no referrer to another origin. `same-origin` rather than `no-referrer`: under `no-referrer` a browser sends
 * `Origin: null` with the page's own form posts (Fetch, "serializing a request origin"), and the
 * Log out button's POST would then pass `sameOriginOnly` only where the browser also sends
 * `Sec-Fetch-Site`; under `same-origin` it names the page's origin. The page's
 * forms may go to its own origin and the tenant's: the Log out button posts to `/auth/logout`,
 * which redirects to the tenant's `/v2/logout`, and a browser holds every hop of a form's
 * redirects to `form-action`.
 */
function pageSecurityHeaders(tenantOrigin: string): RequestHandler {
  const headers = {
    "Content-Security-Policy": `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self' ${tenantOrigin}; frame-ancestors 'none'`,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
  };
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

/**
 * Every answer, the pages' and the API's, its error texts among them (some quote what the request
 * sent): a browser reads each as the type it names, never as a script or a page it guessed.
 */
const noSniff: RequestHandler = (_req, res, next) => {
  res.set("X-Content-Type-Options", "nosniff");
  next();
};

/**
 * Browsers mark a request from another page with `Sec-Fetch-Site` and `Origin`: a chat sent
 * from another site (CSRF with the person's session) is refused, as mock-auth0 refuses
 * cross-site decisions. The page's own posts carry its origin (its `Referrer-Policy:
 * same-origin`). `Origin: null` with `Sec-Fetch-Site: same-origin`, which the browser sets and
 * no page can, is taken as the page's own too (a page served before, under `no-referrer`).
 */
function sameOriginOnly(baseUrl: string): RequestHandler {
  const self = new URL(baseUrl).origin;
  return (req, res, next) => {
    const site = req.get("sec-fetch-site");
    const origin = req.get("origin");
    const hiddenOrigin = origin === "null" && site === "same-origin";
    if (
      (site !== undefined && site !== "same-origin" && site !== "none") ||
      (origin !== undefined && origin !== self && !hiddenOrigin)
    ) {
      // A page where a person's browser lands (a form another site posted), JSON under /api/.
      sendError(req, res, {
        status: 403,
        code: "access_denied",
        description: `Cross-site requests to ${req.path} are refused`,
      });
      return;
    }
    next();
  };
}

/** A loopback host name as URLs give it: `localhost`, 127.0.0.0/8 or `[::1]`. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * The chat page and the login's start, opened on another host name of this machine than
 * APP_BASE_URL's (`127.0.0.1` for `localhost`), redirect to APP_BASE_URL: the login's
 * `auth_verification` cookie is kept per host name, and the tenant returns the person to
 * APP_BASE_URL's, whose callback would find no such cookie ("This login was not started in
 * this browser"). Only for a loopback APP_BASE_URL: behind a proxy that does not pass the Host
 * on, every request names another host, and a public APP_BASE_URL is the one the person opened.
 * The API's paths answer on any host (clients such as curl use the address).
 */
function onBaseHost(baseUrl: string): RequestHandler {
  const base = new URL(baseUrl);
  const loopback = LOOPBACK_HOST.test(base.hostname);
  return (req, res, next) => {
    if (!loopback || req.hostname === base.hostname) {
      next();
      return;
    }
    res.redirect(302, `${base.origin}${req.originalUrl}`);
  };
}

/** The largest chat body `/api/chat` reads. */
const CHAT_BODY_LIMIT = "1mb";

/** A chat is a JSON body (`ai`'s DefaultChatTransport sends it so): anything else is refused. */
const requireChatJson: RequestHandler = (req, res, next) => {
  if (req.is("application/json")) {
    next();
    return;
  }
  res.status(415).json({
    error: "unsupported_media_type",
    error_description:
      "Send the chat as JSON with 'Content-Type: application/json': { id, messages }",
  });
};

/**
 * body-parser's `verify` for a chat: its bytes are UTF-8, and it holds no more elements than a
 * chat may, counted before JSON.parse builds them; past that, 413 (`requestReadError`).
 */
const verifyChatBody = verifyJsonBody({ maxElements: MAX_BODY_ELEMENTS }, () => ({
  status: 413,
  message: TOO_MANY_ELEMENTS,
}));

const TENANT_UNREACHABLE = "tenant_unreachable";

/**
 * A request of the login that did not reach the tenant. express-openid-connect turns any error
 * of the callback's token exchange into a 400 that keeps only its message and its `error`, and
 * openid-client passes a fetch's `TypeError` on as it is (fetch's own kind for a network
 * failure), where another error would become "something went wrong": so this is a `TypeError`
 * whose message is what went wrong ("connection_refused: ECONNREFUSED") and whose `error` marks
 * it as this app's.
 */
class TenantUnreachable extends TypeError {
  readonly error = TENANT_UNREACHABLE;

  constructor(network: NetworkErrorInfo, cause: unknown) {
    super(causeText(network), { cause });
    this.name = "TenantUnreachable";
  }
}

/** `fetchFn` for the login's SDK, its network failures (a timeout among them) `TenantUnreachable`. */
function loginFetch(fetchFn: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await fetchFn(input, init);
    } catch (error) {
      const network = classifyNetworkError(error);
      throw network === undefined ? error : new TenantUnreachable(network, error);
    }
  };
}

/** Whether `error` is a login's request that did not reach the tenant, as it is or as the SDK's 400. */
function unreachableCause(error: unknown): string | undefined {
  if (error instanceof TenantUnreachable) return error.message;
  if ((error as { error?: unknown } | null)?.error === TENANT_UNREACHABLE) {
    return (error as Error).message;
  }
  const network = classifyNetworkError(error);
  return network && causeText(network);
}

/** A network failure in brackets' words: "connection_refused: ECONNREFUSED", "timeout". */
function causeText(network: NetworkErrorInfo): string {
  return [network.failure, network.code].filter(Boolean).join(": ");
}

/**
 * A login that cannot reach the tenant (`tenantOrigin`) is 503, at its start as at its callback
 * (where the SDK would answer 400, "log in again"): the SDK's discovery and token calls fail with
 * fetch's bare "fetch failed", which names neither the tenant nor the fix. A 4xx
 * of the login's callback (`callback`) says to log in again, with the SDK's words in brackets;
 * another 4xx keeps its message, and anything else is one plain line.
 */
function errorAnswer(error: unknown, tenantOrigin: string, callback: boolean): ErrorAnswer {
  const cause = unreachableCause(error);
  if (cause !== undefined) {
    return {
      status: 503,
      code: "temporarily_unavailable",
      description: `The login cannot reach the Auth0 tenant at ${tenantOrigin} (${cause}): check that it is running and that AUTH0_DOMAIN names it, then try again`,
    };
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const { message } = error as Error;
    // The SDK's words for a callback it refused speak to the app's developer ("invalid response
    // encountered", its cookie names and settings); the person needs to log in again. Kept in
    // brackets, for whoever reads it to them.
    const tenantError = callback ? tenantEndedLogin(error) : undefined;
    const description = message.startsWith(LOGIN_COOKIE_MISSING)
      ? "This login was not started in this browser, or it was started too long ago: log in again from the chat page"
      : tenantError !== undefined
        ? `The Auth0 tenant ended this login: ${tenantError}: log in again from the chat page`
        : callback
          ? `This login could not be finished (${message}): log in again from the chat page`
          : message;
    return { status, code: "invalid_request", description };
  }
  return {
    status: 500,
    code: "server_error",
    description:
      "Something went wrong in the agent's web app (its log names the error): reload the page to see where your chat stands before you send anything again",
  };
}

/**
 * The SDK's message for a callback that brings the tenant's error (RFC 6749 section 4.1.2.1:
 * `error`, `error_description`), which it keeps beside it.
 */
const AUTHORIZATION_ERROR = "authorization response from the server is an error";

/**
 * The tenant's error and its description ("access_denied (The user cancelled)"), at most 300
 * characters of it, when `error` is the SDK's for a callback that brought one.
 */
function tenantEndedLogin(error: unknown): string | undefined {
  const {
    message,
    error: code,
    error_description: text,
  } = error as {
    message?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (message !== AUTHORIZATION_ERROR || typeof code !== "string") return undefined;
  const said = typeof text === "string" && text !== "" ? `${code} (${text})` : code;
  return said.slice(0, 300);
}

/**
 * express-openid-connect's error for a callback that comes without the cookie its login set:
 * a callback URL opened again, or one from a login another browser (or another site) started.
 */
const LOGIN_COOKIE_MISSING = '"auth_verification" cookie not found.';

/** What goes wrong outside the chat's own answers: a bad body, a login or its callback. */
function errorHandlerFor(tenantOrigin: string, reportError: ErrorReporter): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const read = requestReadError(error, CHAT_BODY_LIMIT);
    if (read !== undefined && req.path.startsWith("/api/")) {
      res.status(read.status).json({
        error: read.status === 415 ? "unsupported_media_type" : read.code,
        error_description: read.description,
      });
      return;
    }
    const answer = errorAnswer(error, tenantOrigin, req.path === "/auth/callback");
    if (answer.status >= 500 && answer.code === "server_error") {
      reportError(error, requestName(req.method, req.originalUrl));
    }
    sendError(req, res, answer);
  };
}

/** The SDK's session cookie (its default name) and the chunks it splits its own cookie into. */
const SESSION_COOKIE_CHUNK = /^appSession\.\d+$/;

/**
 * Drops `appSession.<n>` cookies before the SDK reads the session. The SDK joins such chunks
 * for its own cookie store (a session too large for one cookie) and hands the result to a
 * session store as it is: the signature `signSessionStoreCookie` asks for is checked on
 * `appSession` alone, so `appSession.0=<id>`, a bare session id (from a store's keys or a log),
 * was that person's session, and a new AUTH0_SECRET did not end it. With a store, the SDK
 * never writes chunks: no browser of this app has one.
 */
const withoutSessionCookieChunks: RequestHandler = (req, _res, next) => {
  const cookies = req.headers.cookie;
  if (cookies?.includes("appSession.") === true) {
    req.headers.cookie = cookies
      .split(";")
      .filter((pair) => !SESSION_COOKIE_CHUNK.test(pair.split("=", 1)[0]?.trim() ?? ""))
      .join(";");
  }
  next();
};

/**
 * The agent as the quickstart's web app: Auth0's Express SDK (express-openid-connect) for the
 * login, the chat page at `/`, `POST /api/chat`, and `GET /api/session` for the page.
 * `createWebApp` never listens (`serve.ts` does).
 */
export function createWebApp(config: WebConfig, deps: WebDeps): Express {
  const { agent } = config;
  const app = express();
  const tenantOrigin = `https://${agent.auth0.domain}`;
  const pageHeaders = pageSecurityHeaders(tenantOrigin);
  app.disable("x-powered-by");
  app.set("trust proxy", false);

  app.use(noSniff);
  // An HTTP/1.1 request without Host gets 400 here rather than from Node, whose answer has no
  // body (createWebServer lets it through): a page, or JSON under /api/, as the app's errors.
  app.use((req, res, next) => {
    if (lacksHost(req)) {
      sendError(req, res, { status: 400, code: "invalid_request", description: MISSING_HOST });
      return;
    }
    next();
  });
  app.get("/auth/logout", (req, res) => {
    sendError(req, res.set("Allow", "POST, OPTIONS"), {
      status: 405,
      code: "method_not_allowed",
      description: "Log out with the page's Log out button (POST /auth/logout).",
    });
  });
  refuseOtherMethods(app);
  app.get(["/", "/auth/login"], onBaseHost(config.baseUrl));
  app.use(withoutSessionCookieChunks);
  app.use(
    auth({
      issuerBaseURL: tenantOrigin,
      baseURL: config.baseUrl,
      clientID: agent.auth0.clientId,
      clientSecret: agent.auth0.clientSecret,
      // The tenant's token_endpoint_auth_method for this application.
      clientAuthMethod: "client_secret_post",
      customFetch: loginFetch(deps.tenantFetch ?? fetch),
      secret: config.sessionSecret,
      // The session server-side, the cookie its signed id (see LoginSessions); a cookie that
      // is not signed with AUTH0_SECRET is no session. A session is made only under an id the
      // store gave out, so no write brings an ended one back.
      session: { store: deps.sessions, genid: deps.sessions.genid, signSessionStoreCookie: true },
      authRequired: false,
      // Auth0's logout (/v2/logout) back to the app: an Allowed Logout URL of the application.
      auth0Logout: true,
      authorizationParams: { response_type: "code", scope: "openid profile email" },
      // Logout is the POST below: a GET route would let any other site log the person out
      // with a link or an image.
      routes: { login: "/auth/login", logout: false, callback: "/auth/callback" },
    }),
  );

  app.post("/auth/logout", sameOriginOnly(config.baseUrl), (_req, res, next) => {
    res.oidc.logout({ returnTo: config.baseUrl }).catch(next);
  });

  app.get("/", pageHeaders, (_req, res) => {
    res.sendFile("index.html", { root: PUBLIC_DIR });
  });
  app.get("/assets/chat.css", pageHeaders, (_req, res) => {
    res.sendFile("chat.css", { root: PUBLIC_DIR });
  });
  app.get("/assets/chat.js", pageHeaders, (_req, res, next) => {
    deps.clientScript().then((script) => res.type("text/javascript").send(script), next);
  });

  app.get("/api/session", (req, res) => {
    res.set("Cache-Control", "no-store");
    const user = req.oidc.user;
    if (!req.oidc.isAuthenticated() || user === undefined) {
      // The page asks with ?optional=1: nobody logged in is what it expects before a login, and a
      // 401 would be logged as an error in the browser's console.
      if (req.query.optional === "1") res.json({ user: null });
      else res.status(401).json({ error: "login_required", error_description: "Not logged in" });
      return;
    }
    res.json({
      user: { sub: user.sub as unknown, name: user.name as unknown, email: user.email as unknown },
      approverUrl: config.approverUrl ?? null,
      mode: agent.mode,
    });
  });

  app.post(
    "/api/chat",
    sameOriginOnly(config.baseUrl),
    requireLogin,
    requireShownPerson,
    requireChatJson,
    requireUtf8Body,
    json({ limit: CHAT_BODY_LIMIT, verify: verifyChatBody }),
    chatRoute({
      threads: deps.threads,
      model: deps.model,
      approverUrl: config.approverUrl,
      heartbeat: deps.heartbeat,
      reportError: deps.reportError,
    }),
  );

  app.get("/api/chat/:id/purchases", chatPurchasesRoute(deps.threads));
  app.get("/api/chat/:id/purchases/:toolCallId", purchaseRoute(deps.threads));

  refuseUnknownPaths(app);
  app.use(errorHandlerFor(tenantOrigin, deps.reportError ?? reportToStderr));
  return app;
}
