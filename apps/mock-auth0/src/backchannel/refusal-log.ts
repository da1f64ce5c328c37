import type { OAuthError } from "@ciba-testbed/shared";
import type { Request } from "express";

import { basicCredentials } from "../client-authentication.js";

/**
 * One `/bc-authorize` the tenant refused: what it answered, and what the request said about who
 * it was for, as far as the request could be read. A refusal made before the body was read (a
 * rate limit for the whole tenant or for an IP address, a body that cannot be read) names no
 * client, user, audience or binding message.
 */
export interface Refusal {
  /** Numbers refusals in the order they happened, from 1: a reader's cursor. */
  readonly seq: number;
  readonly at: number;
  readonly status: number;
  readonly error: string;
  readonly description: string;
  readonly clientId: string | undefined;
  /** The `sub` of the `login_hint`, even one the tenant does not know. */
  readonly userId: string | undefined;
  readonly audience: string | undefined;
  readonly bindingMessage: string | undefined;
}

/** Refusals kept, newest first: enough for the requests of one test suite, bounded in memory. */
export const KEPT_REFUSALS = 100;

/** A string member of the request's form or JSON body; never throws. */
function bodyText(req: Request, name: string): string | undefined {
  const body: unknown = req.body;
  if (body === null || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The client the request says it is, by `client_id` or its Basic header's user name. */
function claimedClientId(req: Request): string | undefined {
  const fromBody = bodyText(req, "client_id");
  if (fromBody !== undefined) return fromBody;
  const authorization = req.get("authorization");
  if (authorization === undefined || !/^basic /i.test(authorization)) return undefined;
  const clientId = basicCredentials(authorization)?.clientId;
  return clientId === "" ? undefined : clientId;
}

/** The `sub` of a `login_hint` in the iss_sub format, whatever else is wrong with it. */
function hintedUser(req: Request): string | undefined {
  const hint = bodyText(req, "login_hint");
  if (hint === undefined) return undefined;
  try {
    const { sub } = JSON.parse(hint) as { sub?: unknown };
    return typeof sub === "string" && sub !== "" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `/bc-authorize` requests the tenant refused lately, so that a test waiting for a consent
 * request can say why none came (the control API's `GET /approver/api/refusals`). Auth0 keeps
 * such failures in its tenant logs; here the newest `capacity` are kept in memory.
 */
export class RefusalLog {
  private readonly kept: Refusal[] = [];
  private nextSeq = 1;

  constructor(private readonly capacity = KEPT_REFUSALS) {}

  record(req: Request, error: OAuthError, at: number): Refusal {
    const refusal: Refusal = {
      seq: this.nextSeq++,
      at,
      status: error.status,
      error: error.code,
      description: error.description,
      clientId: claimedClientId(req),
      userId: hintedUser(req),
      audience: bodyText(req, "audience") ?? bodyText(req, "resource"),
      bindingMessage: bodyText(req, "binding_message"),
    };
    this.kept.unshift(refusal);
    if (this.kept.length > this.capacity) this.kept.pop();
    return refusal;
  }

  /** Newest first; with `afterSeq`, only those that came after that one. */
  list(afterSeq = 0): readonly Refusal[] {
    const newer = this.kept.findIndex((refusal) => refusal.seq <= afterSeq);
    return newer === -1 ? [...this.kept] : this.kept.slice(0, newer);
  }
}
