import { createHash, timingSafeEqual } from "node:crypto";

import type { Clock, OAuthError } from "@ciba-testbed/shared";
import { countHeader } from "@ciba-testbed/shared/http";
import type { Request, RequestHandler } from "express";

import { errors } from "./errors.js";
import { randomId } from "./random-id.js";

/**
 * The approver page's session cookie: `__Host-` makes the browser insist on Secure, Path=/
 * and no Domain, so no other host or path can set or read it. Cookies are not kept apart by
 * port, so the name carries the tenant's: a second tenant on another port has a cookie of its
 * own, and another server on localhost is sent only a session id that means nothing to it.
 */
export function controlCookieName(issuer: string): string {
  const url = new URL(issuer);
  return `__Host-mock-auth0-control-${url.port === "" ? "443" : url.port}`;
}

/** How long a page's session lasts, and how many the tenant keeps (the oldest go first). */
export const SESSION_MS = 12 * 60 * 60 * 1000;
export const MAX_SESSIONS = 100;
const REALM = "mock-auth0 control";

const digest = (value: string) => createHash("sha256").update(value).digest();

function bearer(req: Request): string | undefined {
  const match = /^Bearer +([^ ]+) *$/i.exec(req.get("authorization") ?? "");
  return match?.[1];
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
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
 * stream and the approver page's decisions need that token, as `Authorization: Bearer` or as
 * the cookie the page gets from `POST /approver/api/session`. Without it, everyone may.
 */
export class ControlAuth {
  private readonly expected: Buffer | undefined;
  private readonly cookieName: string;
  /** The pages' sessions: the digest of each cookie's random id, and when it ends. */
  private readonly sessions = new Map<string, number>();

  constructor(token: string | undefined, options: { issuer: string; clock: Clock }) {
    this.expected = token === undefined ? undefined : digest(token);
    this.cookieName = controlCookieName(options.issuer);
    this.clock = options.clock;
  }

  private readonly clock: Clock;

  private sessionValid(id: string): boolean {
    const key = digest(id).toString("hex");
    const ends = this.sessions.get(key);
    if (ends === undefined) return false;
    if (ends > this.clock.now()) return true;
    this.sessions.delete(key);
    return false;
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
    const session = token === undefined ? cookie(req, this.cookieName) : undefined;
    if (token === undefined && session === undefined) {
      next(
        unauthorized(
          "This tenant's control API needs its control token: send Authorization: Bearer <MOCK_AUTH0_CONTROL_TOKEN>, or open the approver page as /approver#token=<MOCK_AUTH0_CONTROL_TOKEN>",
          false,
        ),
      );
      return;
    }
    if (token !== undefined && !this.matches(token)) {
      next(unauthorized("The control token is not this tenant's MOCK_AUTH0_CONTROL_TOKEN", true));
      return;
    }
    if (session !== undefined && !this.sessionValid(session)) {
      next(
        unauthorized(
          "The approver page's session is unknown to this tenant, or has ended: open the page as /approver#token=<MOCK_AUTH0_CONTROL_TOKEN> again",
          true,
        ),
      );
      return;
    }
    next();
  };

  /**
   * `POST /approver/api/session`, behind `check`: the approver page trades the token from its
   * URL fragment for an HttpOnly cookie, which its event stream (EventSource sends no headers)
   * and its decisions then carry. SameSite=Strict keeps other sites' requests from using it.
   */
  readonly startSession: RequestHandler = (req, res) => {
    const token = bearer(req);
    if (this.expected && token !== undefined) {
      // The cookie holds a random session id, never the secret: a browser sends it to every
      // port of localhost.
      const id = randomId();
      const now = this.clock.now();
      for (const [key, ends] of this.sessions) if (ends <= now) this.sessions.delete(key);
      while (this.sessions.size >= MAX_SESSIONS) {
        const oldest = this.sessions.keys().next().value;
        if (oldest === undefined) break;
        this.sessions.delete(oldest);
      }
      this.sessions.set(digest(id).toString("hex"), now + SESSION_MS);
      res.cookie(this.cookieName, id, {
        httpOnly: true,
        secure: true,
        sameSite: "strict",
        path: "/",
        maxAge: SESSION_MS,
        encode: (value) => value,
      });
    }
    res.status(204).end();
  };
}
