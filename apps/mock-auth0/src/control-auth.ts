import { createHash, timingSafeEqual } from "node:crypto";

import type { OAuthError } from "@ciba-testbed/shared";
import { countHeader } from "@ciba-testbed/shared/http";
import type { Request, RequestHandler } from "express";

import { errors } from "./errors.js";

const REALM = "mock-auth0 control";

const digest = (value: string) => createHash("sha256").update(value).digest();

function bearer(req: Request): string | undefined {
  const match = /^Bearer +([^ ]+) *$/i.exec(req.get("authorization") ?? "");
  return match?.[1];
}

function unauthorized(description: string, presented: boolean): OAuthError {
  // RFC 6750 section 3: name the scheme; give an error code only when a token was presented.
  const challenge = presented
    ? `Bearer realm="${REALM}", error="invalid_token"`
    : `Bearer realm="${REALM}"`;
  return errors.invalidToken(description, { "WWW-Authenticate": challenge });
}

/**
 * Who may drive the tenant: with `MOCK_AUTH0_CONTROL_TOKEN` set, the control API, the event
 * stream and the approver page's decisions need that token as `Authorization: Bearer`, the
 * approver page's requests among them. No cookie stands for it: a browser sends localhost's
 * cookies to every port there, and a server on another port could replay one. Without a
 * token, everyone may.
 */
export class ControlAuth {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  get required(): boolean {
    return this.expected !== undefined;
  }

  /** Constant-time: both sides are hashed to one length before they are compared. */
  private matches(presented: string): boolean {
    return this.expected !== undefined && timingSafeEqual(digest(presented), this.expected);
  }

  /** Middleware for every control route. */
  readonly check: RequestHandler = (req, _res, next) => {
    if (!this.expected) {
      next();
      return;
    }
    // Node keeps the first of two Authorization headers: refused, as the tenant's other
    // endpoints refuse it, rather than judged on one of them.
    const sent = countHeader(req.rawHeaders, "authorization");
    if (sent > 1) {
      next(
        errors.invalidRequest(`Send one Authorization header; this request had ${String(sent)}`),
      );
      return;
    }
    const token = bearer(req);
    if (token === undefined) {
      next(
        unauthorized(
          "This tenant's control API needs its control token: send Authorization: Bearer <MOCK_AUTH0_CONTROL_TOKEN>, or open the approver page as /approver#token=<MOCK_AUTH0_CONTROL_TOKEN>",
          false,
        ),
      );
      return;
    }
    if (!this.matches(token)) {
      next(unauthorized("The control token is not this tenant's MOCK_AUTH0_CONTROL_TOKEN", true));
      return;
    }
    next();
  };
}
