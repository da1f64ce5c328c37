import { writtenOut, type Clock } from "@ciba-testbed/shared";
import { requireUtf8Body } from "@ciba-testbed/shared/http";
import { compare } from "bcryptjs";
import { Router, urlencoded } from "express";
import type { Request, Response } from "express";
import type { Logger } from "pino";

import { OAUTH_BODY_LIMIT } from "../limits.js";
import { sameOriginOnly } from "../routes/page-security.js";
import type { SigningKeys } from "../signing-keys.js";
import { issueIdToken } from "../tokens.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient, TenantUser } from "../tenant/tenant-model.js";
import { checkAuthorizeRequest } from "./authorize-request.js";
import { BLOCKED_ERROR, BLOCKED_MESSAGE } from "./brute-force.js";
import type { BruteForceProtection } from "./brute-force.js";
import { consentFlow, refusedOnPage } from "./consent-routes.js";
import { ConsentState } from "./consent-state.js";
import { readIdTokenHint } from "./id-token-hint.js";
import { repeatedParameter } from "./repeated-parameter.js";
import type { AuthorizeRequest, ResponseTarget } from "./authorize-request.js";
import {
  backToApplication,
  sendErrorPage,
  sendFormPost,
  sendLoggedOutPage,
  sendLoginPage,
  sendLogoutPrompt,
} from "./login-pages.js";
import { newSecret } from "./login-state.js";
import type { LoginSession, LoginState } from "./login-state.js";

/** `__Host-`: the browser insists on Secure, Path=/ and no Domain (RFC 6265bis 4.1.3.2). */
export const SESSION_COOKIE = "__Host-mock-auth0-session";
export const BROWSER_COOKIE = "__Host-mock-auth0-browser";

export interface LoginRoutesDeps {
  issuer: string;
  directory: TenantDirectory;
  state: LoginState;
  /** Auth0's Brute-force Protection: wrong passwords per user and IP address. */
  bruteForce: BruteForceProtection;
  keys: SigningKeys;
  clock: Clock;
  logger: Logger;
  /** The profiles' `updated_at`, in an ID token from /authorize. */
  profileUpdatedAt: string;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What a logout prompt sends again with the person's confirmation. */
const LOGOUT_PARAMS = [
  "id_token_hint",
  "client_id",
  "post_logout_redirect_uri",
  "state",
  "ui_locales",
];

const cookieOptions = { httpOnly: true, secure: true, sameSite: "lax", path: "/" } as const;

/** Sends a code or an error back to the client's checked redirect_uri, as its mode says. */
function respond(res: Response, target: ResponseTarget, params: Record<string, string>): void {
  const all = { ...params, ...(target.state === undefined ? {} : { state: target.state }) };
  if (target.responseMode === "form_post") {
    sendFormPost(res, target.redirectUri, all);
    return;
  }
  const url = new URL(target.redirectUri);
  if (target.responseMode === "fragment") {
    url.hash = new URLSearchParams(all).toString();
  } else {
    for (const [name, value] of Object.entries(all)) url.searchParams.append(name, value);
  }
  res.redirect(302, url.href);
}

/**
 * Universal Login for a Regular Web Application, as Auth0 plays it: `/authorize` (authorization
 * code with PKCE, `state`, `nonce`, `response_mode` query, fragment and form_post, `prompt`,
 * `max_age`), a login page that lists the tenant's users, a login session per browser, and
 * logout at `/v2/logout` and `/oidc/logout` with the client's Allowed Logout URLs.
 */
export function loginRoutes(deps: LoginRoutesDeps): Router {
  const { directory, state, clock, logger } = deps;
  /** Whether the login page was shown once for a hinted user the tenant does not log in. */
  let hintNoticeLogged = false;
  const { login } = directory.tenant;
  const router = Router();
  const form = urlencoded({ extended: false, limit: OAUTH_BODY_LIMIT, parameterLimit: 20 });

  const findUser = (hint: string | undefined): TenantUser | undefined => {
    if (hint === undefined) return undefined;
    const lower = hint.toLowerCase();
    return (
      directory.users.get(hint) ??
      directory.tenant.users.find((u) => u.email.toLowerCase() === lower)
    );
  };

  /** The browser's login session, when it may be used for this request. */
  const usableSession = (req: Request, request: AuthorizeRequest): LoginSession | undefined => {
    const session = state.session(readCookie(req, SESSION_COOKIE));
    if (session === undefined || !directory.users.has(session.sub)) return undefined;
    if (request.prompt.has("login")) return undefined;
    const age = Math.floor(clock.now() / 1000) - session.authTime;
    if (request.maxAge !== undefined && age > request.maxAge) return undefined;
    return session;
  };

  const logIn = (res: Response, user: TenantUser): LoginSession => {
    const { id, session } = state.startSession(user.sub);
    res.cookie(SESSION_COOKIE, id, {
      ...cookieOptions,
      maxAge: login.sessionLifetimeSeconds * 1000,
    });
    logger.info({ user: user.sub }, "login session started");
    return session;
  };

  /** What /authorize answers once the person is logged in: a code, or (implicit) an ID token. */
  const sendCode = (res: Response, request: AuthorizeRequest, session: LoginSession): void => {
    if (request.responseType === "code") {
      respond(res, request, { code: state.issueCode(request, session) });
      return;
    }
    const user = directory.users.get(session.sub);
    if (user === undefined) {
      respond(res, request, { error: "login_required", error_description: "Login required" });
      return;
    }
    issueIdToken(
      {
        issuer: deps.issuer,
        keys: deps.keys,
        nowSeconds: Math.floor(clock.now() / 1000),
        profileUpdatedAt: deps.profileUpdatedAt,
      },
      {
        client: request.client,
        user,
        scope: request.scope,
        authTime: session.authTime,
        nonce: request.nonce,
        sid: session.sid,
      },
    ).then(
      (idToken) => {
        logger.info({ user: user.sub, client: request.client.clientId }, "ID token issued");
        respond(res, request, { id_token: idToken });
      },
      (error: unknown) => {
        logger.error({ err: error }, "ID token not signed");
        sendErrorPage(res, 500, "server_error", "The ID token could not be signed");
      },
    );
  };

  /** The browser's own cookie, which ties a login or a consent to the browser that began it. */
  const browser = (req: Request, res: Response): string => {
    const known = readCookie(req, BROWSER_COOKIE);
    if (known !== undefined && known.length >= 32) return known;
    const id = newSecret();
    res.cookie(BROWSER_COOKIE, id, cookieOptions);
    return id;
  };

  // Third-party applications: the consent page before the code.
  const consent = consentFlow({
    directory,
    consent: new ConsentState(clock, state.formerLifetimeMs),
    logger,
    browser,
    browserCookie: (req) => readCookie(req, BROWSER_COOKIE),
    session: (req) => {
      const session = state.session(readCookie(req, SESSION_COOKIE));
      return session !== undefined && directory.users.has(session.sub) ? session : undefined;
    },
    sendCode,
    respond,
  });
  router.use(consent.router);

  router.get("/authorize", (req, res) => {
    const check = checkAuthorizeRequest(req.query, directory);
    if (check.kind === "page") {
      sendErrorPage(
        res,
        check.status ?? 400,
        check.code,
        writtenOut(check.description),
        undefined,
        check.hint,
      );
      return;
    }
    if (check.kind === "redirect") {
      respond(res, check.target, {
        error: check.code,
        error_description: writtenOut(check.description),
      });
      return;
    }
    const { request } = check;
    const session = usableSession(req, request);
    if (session !== undefined) {
      consent.finish(req, res, request, session);
      return;
    }
    if (request.prompt.has("none")) {
      respond(res, request, { error: "login_required", error_description: "Login required" });
      return;
    }
    // For CI, only where the tenant's settings ask for it: the tenant's autoSelectUser, or the
    // user a login_hint names (login.loginHintLogsIn), logs in at once. Auth0 only pre-fills the
    // form with a login_hint: a link that logged in whoever it named would let any site log a
    // browser in as an account of its choosing (login CSRF). Never a user with a password, who
    // must type it, and never when prompt=login asks for the page (OpenID Connect Core 1.0
    // section 3.1.2.1).
    const shortcut = request.prompt.has("login")
      ? undefined
      : ((login.loginHintLogsIn ? findUser(request.loginHint) : undefined) ??
        findUser(login.autoSelectUser ?? undefined));
    const picked = shortcut?.passwordHash === undefined ? shortcut : undefined;
    if (picked !== undefined) {
      consent.finish(req, res, request, logIn(res, picked));
      return;
    }
    if (!hintNoticeLogged && !login.loginHintLogsIn && !request.prompt.has("login")) {
      const hinted = findUser(request.loginHint);
      if (hinted !== undefined && hinted.passwordHash === undefined) {
        // Once a process: a CI written before the shortcut was off by default stops here.
        hintNoticeLogged = true;
        logger.info(
          { user: hinted.sub, setting: "login.loginHintLogsIn" },
          "login page shown for a login_hint user: a login_hint logs in with no page only with login.loginHintLogsIn: true in mock-auth0.json (false by default, as Auth0 only fills in the form)",
        );
      }
    }
    const transaction = state.startTransaction(request, browser(req, res));
    res.set("Cache-Control", "no-store");
    res.redirect(302, `/u/login?state=${encodeURIComponent(transaction.id)}`);
  });

  /**
   * A login page whose transaction is gone (Back after the login, a bookmark, a restart). As
   * Auth0 does (https://auth0.com/docs/authenticate/login/auth0-universal-login/configure-default-login-routes),
   * the browser goes to the application's Application Login URI, with `iss` (OpenID Connect
   * Core 1.0 section 4), to start a new login. Without one, where Auth0 shows an error page, the
   * page links to the application's origin, the one of the redirect_uri the login was for
   * (one of its Allowed Callback URLs): the callback itself expects a code.
   */
  const expired = (res: Response, transactionId: string) => {
    const former = state.formerTransaction(transactionId);
    const client = former === undefined ? undefined : directory.clients.get(former.clientId);
    if (client?.initiateLoginUri !== undefined) {
      const target = new URL(client.initiateLoginUri);
      target.searchParams.set("iss", deps.issuer);
      res.set("Cache-Control", "no-store");
      res.redirect(302, target.href);
      return;
    }
    sendErrorPage(
      res,
      400,
      "invalid_request",
      "This login has expired or was already used: start again from the application.",
      backToApplication(client, former?.redirectUri),
    );
  };

  router.get("/u/login", (req, res) => {
    const id = typeof req.query.state === "string" ? req.query.state : "";
    const transaction = state.openTransaction(id);
    if (transaction === undefined) {
      expired(res, id);
      return;
    }
    sendLoginPage(res, {
      tenantName: directory.tenant.name,
      clientName: transaction.request.client.name,
      transactionId: transaction.id,
      redirectUri: transaction.request.redirectUri,
      users: directory.tenant.users,
      hintedUser: findUser(transaction.request.loginHint)?.sub,
    });
  });

  // A form another site posted lands the person's browser on the answer: the error page.
  router.post(
    "/u/login",
    refusedOnPage(sameOriginOnly("the login page")),
    requireUtf8Body,
    form,
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const field = (name: string) => (typeof body[name] === "string" ? body[name] : undefined);
      const transaction = state.transaction(field("state") ?? "");
      if (transaction === undefined) {
        expired(res, field("state") ?? "");
        return;
      }
      if (readCookie(req, BROWSER_COOKIE) !== transaction.browser) {
        sendErrorPage(
          res,
          403,
          "access_denied",
          "This login was started in another browser: start again from the application.",
        );
        return;
      }
      const { request } = transaction;
      const user = directory.users.get(field("user") ?? "");
      const password = field("password") ?? "";
      const ip = req.socket.remoteAddress ?? "";
      const showError = (status: number, error: string) => {
        sendLoginPage(
          res,
          {
            tenantName: directory.tenant.name,
            clientName: request.client.name,
            transactionId: transaction.id,
            redirectUri: request.redirectUri,
            users: directory.tenant.users,
            error,
            failedUser: user?.sub,
            hintedUser: findUser(request.loginHint)?.sub,
          },
          status,
        );
      };
      // Only a password can be guessed: a user without one logs in with a click.
      // The attempt counts before its password is checked, so guesses sent together cannot
      // all pass while the first are being compared.
      if (user?.passwordHash !== undefined && !deps.bruteForce.tryAttempt(user.sub, ip)) {
        logger.warn(
          { user: user.sub, error: BLOCKED_ERROR },
          "login blocked (brute-force protection)",
        );
        showError(429, BLOCKED_MESSAGE);
        return;
      }
      let passwordOk = user?.passwordHash === undefined;
      if (user?.passwordHash !== undefined) {
        try {
          passwordOk = await compare(password, user.passwordHash);
        } finally {
          deps.bruteForce.settle(user.sub, ip, passwordOk);
        }
      }
      if (user === undefined || !passwordOk) {
        showError(400, "Wrong email or password.");
        return;
      }
      state.endTransaction(transaction.id);
      consent.finish(req, res, request, logIn(res, user));
    },
  );

  const endSession = (req: Request, res: Response) => {
    state.endSession(readCookie(req, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, cookieOptions);
  };

  const loggedOut = (res: Response) => {
    sendLoggedOutPage(res, directory.tenant.name);
  };

  const notAllowed = (res: Response, parameter: string, url: string, client?: TenantClient) => {
    if (client === undefined) {
      sendErrorPage(
        res,
        400,
        "invalid_request",
        `The "${parameter}" querystring parameter "${url}" cannot be checked without a client: send client_id`,
      );
      return;
    }
    // Auth0's words, up to where it links its dashboard ("To add a new URL, please do it here:
    // …"): real tenants' pages in auth0-training/labs-node-create-an-application issue 35 and
    // auth0/auth0-react issue 127. Where to add one here follows, as mock-auth0's own hint.
    const allowed = client.allowedLogoutUrls;
    sendErrorPage(
      res,
      400,
      "invalid_request",
      `The "${parameter}" querystring parameter "${url}" is not defined as a valid URL in "Allowed Logout URLs".`,
      undefined,
      `${allowed.length === 0 ? `${client.name} has no Allowed Logout URLs.` : `${client.name}'s Allowed Logout URLs: ${allowed.join(", ")}.`} ` +
        "Add this one to the application's allowed_logout_urls in the tenant.",
    );
  };

  // Auth0's own logout endpoint (express-openid-connect's `auth0Logout`).
  router.get("/v2/logout", (req, res) => {
    const query = req.query as Record<string, unknown>;
    // Refused before the session ends: a returnTo sent twice is not one to choose from.
    const repeated = repeatedParameter(query);
    if (repeated !== undefined) {
      sendErrorPage(res, 400, "invalid_request", writtenOut(repeated));
      return;
    }
    const returnTo = typeof query.returnTo === "string" ? query.returnTo : undefined;
    const clientId = typeof query.client_id === "string" ? query.client_id : undefined;
    const client = clientId === undefined ? undefined : directory.clients.get(clientId);
    if (clientId !== undefined && client === undefined) {
      sendErrorPage(res, 400, "invalid_request", `Unknown client: ${clientId}`);
      return;
    }
    // Without returnTo, Auth0 goes to the first of the client's Allowed Logout URLs.
    const target = returnTo ?? client?.allowedLogoutUrls[0];
    if (target !== undefined && !client?.allowedLogoutUrls.includes(target)) {
      notAllowed(res, "returnTo", target, client);
      return;
    }
    // Only a logout that is answered as asked ends the session: a refused one changes nothing.
    endSession(req, res);
    if (target === undefined) {
      loggedOut(res);
      return;
    }
    res.redirect(302, target);
  });

  /**
   * Auth0's OIDC Logout ends the session without asking only when the request names it: the
   * `sid` of its `id_token_hint`, or its `logout_hint`, is the session's. Otherwise (no hint,
   * another person's ID token or another session's, an ID token without `sid`) the person is
   * asked, as RP-Initiated Logout 1.0 section 2 says the OP should when it cannot tell the
   * request is theirs. A browser without a session has nothing to end. The consent is a
   * one-time token for this browser's session (`confirm`).
   */
  const confirmedLogout = (
    req: Request,
    sid: string | undefined,
    confirm: string | undefined,
  ): boolean => {
    const cookie = readCookie(req, SESSION_COOKIE);
    const session = state.session(cookie);
    if (session === undefined && confirm === undefined) return true;
    if (session !== undefined && sid !== undefined && sid === session.sid) return true;
    return confirm !== undefined && state.takeLogoutConfirmation(confirm, cookie);
  };

  const askToLogOut = (
    req: Request,
    res: Response,
    client: TenantClient | undefined,
    query: Record<string, unknown>,
    target: string | undefined,
  ) => {
    const params: Record<string, string> = {};
    for (const name of LOGOUT_PARAMS) {
      const value = query[name];
      if (typeof value === "string") params[name] = value;
    }
    params.confirm = state.askLogoutConfirmation(readCookie(req, SESSION_COOKIE));
    sendLogoutPrompt(res, {
      tenantName: directory.tenant.name,
      clientName: client?.name,
      params,
      // The checked Allowed Logout URL the confirmed logout redirects to (form-action).
      redirectOrigin: target === undefined ? undefined : new URL(target).origin,
    });
  };

  // OpenID Connect RP-Initiated Logout 1.0 (discovery's end_session_endpoint).
  router.get("/oidc/logout", async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const repeated = repeatedParameter(query);
    if (repeated !== undefined) {
      sendErrorPage(res, 400, "invalid_request", writtenOut(repeated));
      return;
    }
    const text = (name: string) => (typeof query[name] === "string" ? query[name] : undefined);
    const hint = text("id_token_hint");
    const idToken =
      hint === undefined
        ? undefined
        : await readIdTokenHint(hint, deps.issuer, deps.keys, directory);
    if (hint !== undefined && idToken === undefined) {
      sendErrorPage(res, 400, "invalid_request", "id_token_hint is not an ID token of this tenant");
      return;
    }
    const hinted = idToken?.client;
    const clientId = text("client_id");
    if (clientId !== undefined && hinted !== undefined && clientId !== hinted.clientId) {
      sendErrorPage(res, 400, "invalid_request", "client_id does not match the id_token_hint");
      return;
    }
    const client = hinted ?? (clientId === undefined ? undefined : directory.clients.get(clientId));
    if (clientId !== undefined && client === undefined) {
      sendErrorPage(res, 400, "invalid_request", `Unknown client: ${clientId}`);
      return;
    }
    // Auth0 checks that redundant hints agree, and answers an error when they do not.
    const logoutHint = text("logout_hint");
    if (idToken !== undefined && logoutHint !== undefined && logoutHint !== idToken.sid) {
      sendErrorPage(
        res,
        400,
        "invalid_request",
        "logout_hint is not the sid of the id_token_hint: send either, or both of one session",
      );
      return;
    }
    // Without id_token_hint, a client_id alone returns to its first Allowed Logout URL (Auth0's
    // OIDC Logout). Checked before the person is asked or the session ends: a refused logout
    // changes nothing, and its confirmation, if it carried one, stays unused.
    const target =
      text("post_logout_redirect_uri") ??
      (hinted === undefined ? client?.allowedLogoutUrls[0] : undefined);
    if (target !== undefined && !client?.allowedLogoutUrls.includes(target)) {
      notAllowed(res, "post_logout_redirect_uri", target, client);
      return;
    }
    if (!confirmedLogout(req, idToken?.sid ?? logoutHint, text("confirm"))) {
      const confirm = text("confirm");
      if (confirm !== undefined) {
        sendErrorPage(
          res,
          400,
          "invalid_request",
          "This logout confirmation has expired, was already used or is another browser's: log out again from the application.",
        );
        return;
      }
      askToLogOut(req, res, client, query, target);
      return;
    }
    endSession(req, res);
    if (target === undefined) {
      loggedOut(res);
      return;
    }
    const url = new URL(target);
    const logoutState = text("state");
    if (logoutState !== undefined) url.searchParams.set("state", logoutState);
    res.redirect(302, url.href);
  });

  return router;
}
