import { OAuthError } from "@ciba-testbed/shared";
import { requireUtf8Body } from "@ciba-testbed/shared/http";
import { Router, urlencoded } from "express";
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";

import { OAUTH_BODY_LIMIT } from "../limits.js";
import { sameOriginOnly } from "../routes/page-security.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { AuthorizeRequest, ResponseTarget } from "./authorize-request.js";
import { sendConsentPage } from "./consent-page.js";
import type { ConsentState } from "./consent-state.js";
import { backToApplication, sendErrorPage } from "./login-pages.js";
import type { LoginSession } from "./login-state.js";

export interface ConsentDeps {
  directory: TenantDirectory;
  consent: ConsentState;
  logger: Logger;
  /** The browser's own cookie, set first when it has none. */
  browser(req: Request, res: Response): string;
  /** The browser's cookie as the request carries it. */
  browserCookie(req: Request): string | undefined;
  /** The browser's login session. */
  session(req: Request): LoginSession | undefined;
  /** What `/authorize` answers once the person is logged in (and, here, consented). */
  sendCode(res: Response, request: AuthorizeRequest, session: LoginSession): void;
  /** Sends an answer to the client's checked redirect_uri. */
  respond(res: Response, target: ResponseTarget, params: Record<string, string>): void;
}

export interface ConsentFlow {
  /** `/u/consent`: the consent page and its answer. */
  router: Router;
  /**
   * Ends a logged-in `/authorize`: the code at once for a first-party application or a consent
   * given before; else the consent page, or, with `prompt=none`, `consent_required`.
   */
  finish(req: Request, res: Response, request: AuthorizeRequest, session: LoginSession): void;
}

/** A cross-site form lands the person's browser on the answer: the error page. */
export function refusedOnPage(check: RequestHandler): RequestHandler {
  return (req, res, next) => {
    check(req, res, (error?: unknown) => {
      if (error instanceof OAuthError) {
        sendErrorPage(res, error.status, error.code, error.description);
        return;
      }
      next(error);
    });
  };
}

const otherBrowser = (res: Response) => {
  sendErrorPage(
    res,
    403,
    "access_denied",
    "This consent was asked in another browser or login session: start again from the application.",
  );
};

/**
 * Auth0's user consent (https://auth0.com/docs/get-started/applications/user-consent-and-third-party-applications):
 * a third-party application (`is_first_party: false`) gets nothing from `/authorize` until the
 * person accepted what it asks for on the consent page; a decline goes back as `access_denied`,
 * and `prompt=none` without consent as `consent_required` (OpenID Connect Core 1.0 section
 * 3.1.2.6). An acceptance is remembered for the person, application, audience and scopes.
 */
export function consentFlow(deps: ConsentDeps): ConsentFlow {
  const { directory, consent, logger } = deps;
  const router = Router();
  const form = urlencoded({ extended: false, limit: OAUTH_BODY_LIMIT, parameterLimit: 20 });

  /**
   * A consent page whose consent is gone (Back after the answer, a bookmark): a link back to
   * the application, as the login page's (`backToApplication`).
   */
  const gone = (res: Response, id: string) => {
    const former = consent.formerConsent(id);
    sendErrorPage(
      res,
      400,
      "invalid_request",
      "This consent request has expired or was already answered: start again from the application.",
      backToApplication(
        former === undefined ? undefined : directory.clients.get(former.clientId),
        former?.redirectUri,
      ),
    );
  };

  const finish: ConsentFlow["finish"] = (req, res, request, session) => {
    const needed =
      !request.client.isFirstParty &&
      (request.prompt.has("consent") || !consent.covers(session.sub, request));
    if (!needed) {
      deps.sendCode(res, request, session);
      return;
    }
    if (request.prompt.has("none")) {
      deps.respond(res, request, {
        error: "consent_required",
        error_description: "Consent required",
      });
      return;
    }
    const asked = consent.ask(request, deps.browser(req, res), session);
    res.set("Cache-Control", "no-store");
    res.redirect(302, `/u/consent?state=${encodeURIComponent(asked.id)}`);
  };

  router.get("/u/consent", (req, res) => {
    const id = typeof req.query.state === "string" ? req.query.state : "";
    const asked = consent.asked(id);
    if (asked === undefined) {
      gone(res, id);
      return;
    }
    if (deps.browserCookie(req) !== asked.browser) {
      otherBrowser(res);
      return;
    }
    const { request } = asked;
    const user = directory.users.get(asked.sub);
    const api = request.audience === undefined ? undefined : directory.apis.get(request.audience);
    sendConsentPage(res, {
      tenantName: directory.tenant.name,
      clientName: request.client.name,
      consentId: asked.id,
      redirectUri: request.redirectUri,
      userName: user?.name ?? asked.sub,
      userEmail: user?.email ?? "",
      scope: request.scope,
      api: api === undefined ? undefined : { name: api.name, identifier: api.identifier },
    });
  });

  router.post(
    "/u/consent",
    refusedOnPage(sameOriginOnly("the consent page")),
    requireUtf8Body,
    form,
    (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const id = typeof body.state === "string" ? body.state : "";
      const asked = consent.asked(id);
      if (asked === undefined) {
        gone(res, id);
        return;
      }
      const session = deps.session(req);
      if (deps.browserCookie(req) !== asked.browser || session?.sid !== asked.sid) {
        otherBrowser(res);
        return;
      }
      const { request } = asked;
      const decision = body.decision;
      if (decision !== "accept" && decision !== "decline") {
        sendErrorPage(res, 400, "invalid_request", "Answer with Accept or Decline.");
        return;
      }
      consent.take(id);
      const client = request.client.clientId;
      if (decision === "decline") {
        logger.info({ user: session.sub, client }, "consent declined");
        deps.respond(res, request, {
          error: "access_denied",
          error_description: "User did not authorize the request",
        });
        return;
      }
      consent.grant(session.sub, request);
      logger.info({ user: session.sub, client }, "consent given");
      deps.sendCode(res, request, session);
    },
  );

  return { router, finish };
}
