import { createHash } from "node:crypto";

import type { Clock } from "@ciba-testbed/shared";
import { requireUtf8Body } from "@ciba-testbed/shared/http";
import { verifyJsonParameters } from "@ciba-testbed/shared/http/json-repeated-keys";
import { Router, json } from "express";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { z } from "zod";

import type { BackchannelRequest } from "../backchannel/backchannel-request.js";
import { messageMismatch } from "../backchannel/message-mismatch.js";
import { CONSENT_PATH } from "../email/consent-emails.js";
import type { ConsentEmails } from "../email/consent-emails.js";
import { errors } from "../errors.js";
import { CONTROL_BODY_LIMIT } from "../limits.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import { PUBLIC_DIR, pageSecurityHeaders, sameOriginOnly } from "./page-security.js";

const CONSENT_API = `${CONSENT_PATH}/api/consent`;

/**
 * A link the tenant does not know: it cannot tell one used or answered from one mistyped, cut
 * short, or sent by the tenant before it started again, so it names them all.
 */
const LINK_GONE =
  "This consent link can no longer be used: it was used already, its request was answered elsewhere or has expired, the link was not copied whole, or the tenant has started again since it sent the email (a tenant keeps its links only while it runs)";

const decisionSchema = z
  .object({
    consent: z.string().min(1).max(200),
    decision: z.enum(["approve", "deny"]),
  })
  .strict();

/** The link's token is a credential: never cached, never sent on as a referrer. */
const noStore: RequestHandler = (_req, res, next) => {
  res.set({ "Cache-Control": "no-store", Pragma: "no-cache" });
  next();
};

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** `?consent=` once, as a string. */
function consentToken(req: Request): string {
  const value = req.query.consent;
  if (typeof value !== "string" || value === "") {
    throw errors.invalidRequest("consent must be given once: the token of the email's link");
  }
  return value;
}

/**
 * The consent details, in the shape of Auth0's Consent API answer (`id`, `requested_details`
 * with `audience`, `scope` and `binding_message`, epoch-second `created_at` and `expires_at`),
 * plus what the page shows that Auth0's login would know: the application and the person, and
 * the testbed's own `message_mismatch`.
 */
function consentJson(
  request: BackchannelRequest,
  token: string,
  issuer: string,
  directory: TenantDirectory,
) {
  return {
    id: `cns_${createHash("sha256").update(token).digest("hex").slice(0, 16)}`,
    requested_details: {
      // Auth0 names its own userinfo endpoint when the request named no API.
      audience: request.audience ?? `${issuer}userinfo`,
      scope: [...request.scope],
      binding_message: request.bindingMessage,
      ...(request.authorizationDetails
        ? { authorization_details: request.authorizationDetails }
        : {}),
    },
    created_at: epochSeconds(request.createdAt),
    expires_at: epochSeconds(request.expiresAt),
    message_mismatch: messageMismatch(request.bindingMessage, request.authorizationDetails) ?? null,
    client: {
      client_id: request.clientId,
      name: directory.clients.get(request.clientId)?.name ?? null,
    },
    user: {
      user_id: request.userId,
      name: directory.users.get(request.userId)?.name ?? null,
      email: request.userEmail,
    },
  };
}

export interface EmailConsentDeps {
  issuer: string;
  directory: TenantDirectory;
  emails: ConsentEmails;
  clock: Clock;
  logger: Logger;
}

/**
 * The email channel's consent page, at Auth0's path: `GET /bc-verify?consent=…` (the link in
 * the email) shows the request, and the person approves or denies it there. Auth0 first makes
 * the person log in as the `login_hint` user; here the unguessable, single-use link stands for
 * that login. The page reads and answers through `/bc-verify/api/consent`, same-origin only.
 */
export function emailConsent(deps: EmailConsentDeps): Router {
  const { issuer, directory, emails, clock, logger } = deps;
  const router = Router();

  router.get(CONSENT_PATH, pageSecurityHeaders, noStore, (_req, res) => {
    res.sendFile("consent.html", { root: PUBLIC_DIR });
  });

  router.get(CONSENT_API, noStore, (req, res) => {
    const token = consentToken(req);
    const request = emails.find(token);
    if (!request) throw errors.notFound(LINK_GONE);
    res.json(consentJson(request, token, issuer, directory));
  });

  router.post(
    CONSENT_API,
    noStore,
    sameOriginOnly("the consent page"),
    requireUtf8Body,
    json({ limit: CONTROL_BODY_LIMIT, verify: verifyJsonParameters }),
    (req, res) => {
      // Any other type leaves the body unread: the decision would be said to be missing.
      if (req.is("application/json") !== "application/json") {
        throw errors.unsupportedMediaType(
          `Send the decision as JSON, with Content-Type: application/json (got ${req.get("content-type") ?? "no Content-Type"})`,
        );
      }
      const parsed = decisionSchema.safeParse(req.body);
      if (!parsed.success) {
        throw errors.invalidRequest(
          'The body must be {"consent": "<the token of the email\'s link>", "decision": "approve" | "deny"}',
        );
      }
      const { consent, decision } = parsed.data;
      const result = emails.use(consent, decision, clock.now());
      if (!result.ok && result.reason === "unknown") throw errors.notFound(LINK_GONE);
      if (!result.ok) {
        throw errors.conflict(
          `The request is already ${result.request.status}; only pending requests can be decided`,
        );
      }
      logger.info({ decision, by: "email-link" }, "backchannel request decided");
      res.json({ status: result.request.status });
    },
  );

  return router;
}
