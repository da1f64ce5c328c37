import { Router, json } from "express";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

import type { PolicyApprover } from "../approver/approver.js";
import { formatOutcome } from "../approver/outcome.js";
import { policySchema } from "../approver/policy.js";
import type { ApproverPolicy } from "../approver/policy.js";
import { BACKCHANNEL_STATUSES } from "../backchannel/backchannel-request.js";
import type {
  BackchannelRequest,
  BackchannelStatus,
  Decision,
} from "../backchannel/backchannel-request.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { OAuthError, conflict, invalidRequest, notFound } from "../oauth-error.js";
import type { SigningKeys } from "../signing-keys.js";
import { formatIssues } from "../tenant/load-tenant.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function serializeRequest(request: BackchannelRequest, directory: TenantDirectory) {
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
    channel: request.channel,
    approver_outcome: formatOutcome(request.approverOutcome),
    created_at: iso(request.createdAt),
    expires_at: iso(request.expiresAt),
    interval: request.intervalMs / 1000,
    polls: request.polls,
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

function serializePolicy(policy: ApproverPolicy) {
  return {
    default: formatOutcome(policy.default),
    rules: policy.rules.map((rule) => ({ when: rule.when, outcome: formatOutcome(rule.outcome) })),
  };
}

/**
 * Browsers send `Sec-Fetch-Site` and `Origin` with cross-site requests: refusing those keeps
 * a page on another origin from deciding consent requests (CSRF). curl and test clients
 * send neither and are let through.
 */
export const sameOriginOnly: RequestHandler = (req, _res, next) => {
  const site = req.get("sec-fetch-site");
  const origin = req.get("origin");
  const self = `${req.protocol}://${req.get("host") ?? ""}`;
  const crossSite =
    (site !== undefined && site !== "same-origin" && site !== "none") ||
    (origin !== undefined && origin !== self);
  if (req.method !== "GET" && req.method !== "HEAD" && crossSite) {
    next(
      new OAuthError(403, "access_denied", "Cross-site requests to the control API are refused"),
    );
    return;
  }
  next();
};

export interface ControlApiDeps {
  directory: TenantDirectory;
  store: BackchannelStore;
  approver: PolicyApprover;
  keys: SigningKeys;
  logger: Logger;
}

/** The JSON control API that test suites (and the approver page) use to drive consent. */
export function controlApi(deps: ControlApiDeps): Router {
  const { directory, store, approver, keys, logger } = deps;
  const router = Router();
  router.use(sameOriginOnly, json({ limit: "64kb" }));

  router.get("/approver/api/requests", (req, res) => {
    const status = req.query.status;
    if (status !== undefined && !BACKCHANNEL_STATUSES.includes(status as BackchannelStatus)) {
      throw invalidRequest(`status must be one of ${BACKCHANNEL_STATUSES.join(", ")}`);
    }
    const requests = store.list(status as BackchannelStatus | undefined);
    res.json({ requests: requests.map((request) => serializeRequest(request, directory)) });
  });

  router.get("/approver/api/requests/:authReqId", (req, res) => {
    const request = store.get(req.params.authReqId);
    if (!request) throw notFound(`No backchannel request ${req.params.authReqId}`);
    res.json({ ...serializeRequest(request, directory), timeline: serializeTimeline(request) });
  });

  const decide =
    (decision: Decision): RequestHandler =>
    (req, res) => {
      const id = String(req.params.authReqId);
      const by = req.get("x-requested-by") === "approver-page" ? "approver-page" : "control-api";
      const result = store.decide(id, decision, by);
      if (!result.ok && result.reason === "unknown") throw notFound(`No backchannel request ${id}`);
      if (!result.ok) {
        throw conflict(
          `The request is already ${result.request.status}; only pending requests can be decided`,
        );
      }
      logger.info({ decision, by }, "backchannel request decided");
      res.json(serializeRequest(result.request, directory));
    };
  router.post("/approver/api/requests/:authReqId/approve", decide("approve"));
  router.post("/approver/api/requests/:authReqId/deny", decide("deny"));

  router.get("/approver/api/policy", (_req, res) => {
    res.json(serializePolicy(approver.policy));
  });

  router.put("/approver/api/policy", (req, res) => {
    const parsed = policySchema.safeParse(req.body);
    if (!parsed.success)
      throw invalidRequest(`Invalid policy: ${formatIssues(parsed.error.issues).join("; ")}`);
    approver.setPolicy(parsed.data);
    logger.info({ policy: serializePolicy(parsed.data) }, "approver policy replaced");
    res.json(serializePolicy(parsed.data));
  });

  router.post("/admin/signing-keys/rotate", async (_req, res) => {
    const kids = await keys.rotate();
    logger.info(kids, "signing key rotated");
    res.json(kids);
  });

  return router;
}
