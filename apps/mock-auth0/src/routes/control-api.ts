import type { Clock } from "@ciba-testbed/shared";
import { requireUtf8Body } from "@ciba-testbed/shared/http";
import { verifyJsonParameters } from "@ciba-testbed/shared/http/json-repeated-keys";
import { Router, json } from "express";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

import type { PolicyApprover } from "../approver/approver.js";
import { formatOutcome } from "../approver/outcome.js";
import { policySchema } from "../approver/policy.js";
import { policyProblems } from "../approver/policy-references.js";
import type { ApproverPolicy } from "../approver/policy.js";
import { BACKCHANNEL_STATUSES } from "../backchannel/backchannel-request.js";
import type {
  BackchannelRequest,
  BackchannelStatus,
  Decision,
} from "../backchannel/backchannel-request.js";
import type { BackchannelStore, ListPage, ListQuery } from "../backchannel/backchannel-store.js";
import { agentPolling } from "../backchannel/agent-polling.js";
import { messageMismatch } from "../backchannel/message-mismatch.js";
import type { Refusal, RefusalLog } from "../backchannel/refusal-log.js";
import type { ControlAuth } from "../control-auth.js";
import type { ConsentEmails } from "../email/consent-emails.js";
import { errors } from "../errors.js";
import { CONTROL_BODY_LIMIT } from "../limits.js";
import type { BruteForceProtection } from "../login/brute-force.js";
import type { SigningKeys } from "../signing-keys.js";
import { formatIssues } from "../tenant/load-tenant.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantUser } from "../tenant/tenant-model.js";
import { sameOriginOnly } from "./page-security.js";
import { refuseUnservedMethods } from "./served-methods.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** One request as the control API and the approver page show it. */
export type ControlRequestJson = ReturnType<typeof serializeRequest>;

/** One request with its timeline: `GET /approver/api/requests/:auth_req_id`. */
export type ControlRequestDetailJson = ControlRequestJson & {
  timeline: ReturnType<typeof serializeTimeline>;
};

/** A page of the request list: newest first; pass `next_cursor` back as `cursor`. */
export interface ControlRequestPageJson {
  requests: ControlRequestJson[];
  next_cursor: string | null;
  total: number;
}

/** What a request's JSON needs besides the request: names, the time, the email channel. */
export interface RequestView {
  directory: TenantDirectory;
  /** The tenant's clock, for `agent_polling`. */
  now: number;
  emails: ConsentEmails;
}

export function serializeRequest(request: BackchannelRequest, view: RequestView) {
  const { directory } = view;
  return {
    auth_req_id: request.authReqId,
    status: request.status,
    user: request.userId,
    user_name: directory.users.get(request.userId)?.name ?? null,
    client_id: request.clientId,
    client_name: directory.clients.get(request.clientId)?.name ?? null,
    binding_message: request.bindingMessage,
    scope: request.scope.join(" "),
    audience: request.audience ?? null,
    authorization_details: request.authorizationDetails ?? null,
    // Where the message names another product or quantity than the details authorize.
    message_mismatch: messageMismatch(request.bindingMessage, request.authorizationDetails) ?? null,
    channel: request.channel,
    user_email: request.userEmail,
    approver_outcome: formatOutcome(request.approverOutcome),
    created_at: iso(request.createdAt),
    expires_at: iso(request.expiresAt),
    interval: request.intervalMs / 1000,
    polls: request.polls,
    last_polled_at: request.lastPollAt === undefined ? null : iso(request.lastPollAt),
    // Pending requests only: false once nobody has polled for more than three intervals.
    agent_polling: agentPolling(request, view.now) ?? null,
    email: view.emails.emailFor(request) ?? null,
    decision: request.decision
      ? {
          decision: request.decision.decision,
          at: iso(request.decision.at),
          by: request.decision.by,
        }
      : null,
  };
}

export function serializeTimeline(request: BackchannelRequest) {
  return request.timeline.map((event) => ({ ...event, at: iso(event.at) }));
}

/** One refused `/bc-authorize`: `GET /approver/api/refusals`. */
export type ControlRefusalJson = ReturnType<typeof serializeRefusal>;

export function serializeRefusal(refusal: Refusal) {
  return {
    seq: refusal.seq,
    at: iso(refusal.at),
    endpoint: "/bc-authorize" as const,
    status: refusal.status,
    error: refusal.error,
    error_description: refusal.description,
    client_id: refusal.clientId ?? null,
    user: refusal.userId ?? null,
    audience: refusal.audience ?? null,
    binding_message: refusal.bindingMessage ?? null,
  };
}

/** One of the tenant's people: `GET /approver/api/users`. */
export type ControlUserJson = ReturnType<typeof serializeUser>;

function serializeUser(user: TenantUser) {
  return {
    user_id: user.sub,
    name: user.name,
    email: user.email,
    push_enrolled: user.pushEnrolled,
  };
}

function serializePolicy(policy: ApproverPolicy) {
  return {
    default: formatOutcome(policy.default),
    rules: policy.rules.map((rule) => ({ when: rule.when, outcome: formatOutcome(rule.outcome) })),
  };
}

export interface ControlApiDeps {
  directory: TenantDirectory;
  store: BackchannelStore;
  approver: PolicyApprover;
  refusals: RefusalLog;
  /** The login page's brute-force blocks, which `/admin/user-blocks` lists and removes. */
  bruteForce: BruteForceProtection;
  keys: SigningKeys;
  clock: Clock;
  logger: Logger;
  auth: ControlAuth;
  emails: ConsentEmails;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1_000;

function queryText(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw errors.invalidRequest(`${name} must be given once`);
  return value;
}

/** `?status=a,b&limit=&cursor=` of the request list, checked. */
function parseListQuery(req: Request): ListQuery {
  const status = queryText(req, "status");
  const statuses = status === undefined || status === "" ? undefined : status.split(",");
  const unknown = statuses?.filter((s) => !BACKCHANNEL_STATUSES.includes(s as BackchannelStatus));
  if (unknown?.length) {
    throw errors.invalidRequest(
      `status must be one of ${BACKCHANNEL_STATUSES.join(", ")}, or several joined by commas (got ${unknown.join(", ")})`,
    );
  }
  const limitText = queryText(req, "limit");
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!/^\d{1,4}$/.test(limitText ?? "1") || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw errors.invalidRequest(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const cursorText = queryText(req, "cursor");
  if (cursorText !== undefined && !/^[1-9]\d{0,14}$/.test(cursorText)) {
    throw errors.invalidRequest("cursor must be the next_cursor of a previous page, unchanged");
  }
  return {
    statuses: statuses as BackchannelStatus[] | undefined,
    limit,
    cursor: cursorText === undefined ? undefined : Number(cursorText),
  };
}

function serializePage(page: ListPage, view: RequestView) {
  return {
    requests: page.requests.map((request) => serializeRequest(request, view)),
    next_cursor: page.nextCursor === undefined ? null : String(page.nextCursor),
    total: page.total,
  };
}

/** Where the control API's routes are: the approver's API and the tenant's admin actions. */
const CONTROL_API_PATHS = ["/approver/api", "/admin"];

/**
 * The JSON control API that test suites (and the approver page) use to drive consent. Every
 * route is behind the control token, when the tenant has one.
 */
export function controlApi(deps: ControlApiDeps): Router {
  const { directory, store, approver, refusals, bruteForce, keys, clock, logger, auth, emails } =
    deps;
  const view = (): RequestView => ({ directory, now: clock.now(), emails });
  const router = Router();
  // On the control API's own paths only: the router is mounted at the root, and a request no
  // route took (an OPTIONS to /oauth/token from a browser) must get the app's 404, not the
  // control API's CSRF refusal, body parser and Cache-Control.
  router.use(
    CONTROL_API_PATHS,
    sameOriginOnly("the control API", { reads: true }),
    // Its answers hold consent links, which work as credentials: nobody may keep a copy.
    (_req, res, next) => {
      res.set("Cache-Control", "no-store");
      next();
    },
    requireUtf8Body,
    json({ limit: CONTROL_BODY_LIMIT, verify: verifyJsonParameters }),
  );

  // The approver page asks whether the tenant takes the token it was given.
  router.get("/approver/api/session", auth.check, (_req, res) => {
    res.status(204).end();
  });

  /** Newest first, one page at a time: `?status=&limit=&cursor=`. */
  router.get("/approver/api/requests", auth.check, (req, res) => {
    // A reader sees what has fallen due by now, not as of the last tick of `keepStoreCurrent`.
    store.advance(clock.now());
    res.json(serializePage(store.list(parseListQuery(req)), view()));
  });

  router.get("/approver/api/requests/:authReqId", auth.check, (req, res) => {
    const id = String(req.params.authReqId);
    store.advance(clock.now());
    const request = store.get(id);
    if (!request) throw errors.notFound(`No backchannel request ${id}`);
    res.json({ ...serializeRequest(request, view()), timeline: serializeTimeline(request) });
  });

  const decide =
    (decision: Decision): RequestHandler =>
    (req, res) => {
      const id = String(req.params.authReqId);
      const by = req.get("x-requested-by") === "approver-page" ? "approver-page" : "control-api";
      const result = store.decide(id, decision, by, clock.now());
      if (!result.ok && result.reason === "unknown")
        throw errors.notFound(`No backchannel request ${id}`);
      if (!result.ok) {
        throw errors.conflict(
          `The request is already ${result.request.status}; only pending requests can be decided`,
        );
      }
      logger.info({ decision, by }, "backchannel request decided");
      res.json(serializeRequest(result.request, view()));
    };
  router.post("/approver/api/requests/:authReqId/approve", auth.check, decide("approve"));
  router.post("/approver/api/requests/:authReqId/deny", auth.check, decide("deny"));
  router.post("/approver/api/requests/:authReqId/expire", auth.check, (req, res) => {
    const id = String(req.params.authReqId);
    const result = store.expire(id, clock.now());
    if (!result.ok && result.reason === "unknown")
      throw errors.notFound(`No backchannel request ${id}`);
    if (!result.ok) {
      throw errors.conflict(
        `The request is already ${result.request.status}; only pending requests can be expired`,
      );
    }
    logger.info({ by: "control-api" }, "backchannel request expired");
    res.json(serializeRequest(result.request, view()));
  });

  /** The `/bc-authorize` requests refused lately, newest first: `?after=<seq>` for newer ones. */
  router.get("/approver/api/refusals", auth.check, (req, res) => {
    const after = queryText(req, "after");
    if (after !== undefined && !/^(?:0|[1-9]\d{0,14})$/.test(after)) {
      throw errors.invalidRequest("after must be the seq of a refusal (a whole number)");
    }
    res.json({ refusals: refusals.list(Number(after ?? 0)).map(serializeRefusal) });
  });

  router.get("/approver/api/users", auth.check, (_req, res) => {
    res.json({ users: [...directory.users.values()].map(serializeUser) });
  });

  router.get("/approver/api/policy", auth.check, (_req, res) => {
    res.json(serializePolicy(approver.policy));
  });

  router.put("/approver/api/policy", auth.check, (req, res) => {
    // Any other type leaves the body unread, which read as a policy with nothing in it.
    if (req.is("application/json") !== "application/json") {
      throw errors.unsupportedMediaType(
        `Send the policy as JSON, with Content-Type: application/json (got ${req.get("content-type") ?? "no Content-Type"})`,
      );
    }
    const parsed = policySchema.safeParse(req.body);
    if (!parsed.success)
      throw errors.invalidRequest(
        `Invalid policy: ${formatIssues(parsed.error.issues).join("; ")}`,
      );
    const problems = formatIssues(
      policyProblems(parsed.data, {
        user: [...directory.users.keys()],
        clientId: [...directory.clients.keys()],
        audience: [...directory.apis.keys()],
      }),
    );
    if (problems.length > 0) throw errors.invalidRequest(`Invalid policy: ${problems.join("; ")}`);
    approver.setPolicy(parsed.data);
    logger.info({ policy: serializePolicy(parsed.data) }, "approver policy replaced");
    res.json(serializePolicy(parsed.data));
  });

  /** The user's brute-force blocks, in the shape of Auth0's `GET /api/v2/user-blocks/{id}`. */
  const blockedUser = (req: Request): TenantUser => {
    const id = String(req.params.userId);
    const user = directory.users.get(id);
    if (user === undefined) throw errors.notFound(`No user ${id} in this tenant`);
    return user;
  };
  router.get("/admin/user-blocks/:userId", auth.check, (req, res) => {
    const user = blockedUser(req);
    res.json({
      blocked_for: bruteForce.blocks(user.sub).map(({ ip }) => ({ identifier: user.email, ip })),
    });
  });
  // Auth0's `DELETE /api/v2/user-blocks/{id}`: the user may log in again from every address.
  router.delete("/admin/user-blocks/:userId", auth.check, (req, res) => {
    const user = blockedUser(req);
    bruteForce.unblock(user.sub);
    logger.info({ user: user.sub }, "brute-force blocks removed");
    res.status(204).end();
  });

  router.post("/admin/signing-keys/rotate", auth.check, async (_req, res) => {
    const kids = await keys.rotate();
    logger.info(kids, "signing key rotated");
    res.json(kids);
  });

  router.use(refuseUnservedMethods(router));
  return router;
}
