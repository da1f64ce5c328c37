import { randomBytes } from "node:crypto";

import {
  CIBA_GRANT_TYPE,
  authorizationDetailsSchema,
  bindingMessageProblems,
} from "@ciba-testbed/shared";
import type { AuthorizationDetail, Clock } from "@ciba-testbed/shared";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

import type { Approver } from "../approver/approver.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { PerUserRateLimit } from "../backchannel/per-user-rate-limit.js";
import { authenticateClient } from "../client-authentication.js";
import { errors, tooManyRequests } from "../errors.js";
import { param } from "../request-params.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantApi, TenantClient, TenantUser } from "../tenant/tenant-model.js";
import { oidcScopes } from "../tenant/tenant-model.js";

/** Auth0 sends push notifications for expiries up to 300 s and e-mail above. */
const MAX_PUSH_EXPIRY_SECONDS = 300;
const MAX_REQUESTED_EXPIRY_SECONDS = 259_200;

export interface BcAuthorizeDeps {
  issuer: string;
  directory: TenantDirectory;
  store: BackchannelStore;
  approver: Approver;
  clock: Clock;
  logger: Logger;
  /** CIBA Core 1.0, section 7.3: at least 128 bits of entropy, in `A-Za-z0-9.-_`. */
  newAuthReqId?: () => string;
}

const defaultAuthReqId = () => randomBytes(32).toString("base64url");

function parseLoginHint(raw: string | undefined, issuer: string): string {
  if (raw === undefined || raw === "") {
    throw errors.invalidRequest(
      'login_hint is required: {"format":"iss_sub","iss":"<issuer>","sub":"<user id>"}',
    );
  }
  let hint: unknown;
  try {
    hint = JSON.parse(raw);
  } catch {
    throw errors.invalidRequest("login_hint must be a JSON object in the iss_sub format");
  }
  const { format, iss, sub } = (hint ?? {}) as Record<string, unknown>;
  if (format !== "iss_sub" || typeof sub !== "string" || typeof iss !== "string") {
    throw errors.invalidRequest(
      'login_hint must have "format":"iss_sub" and string "iss" and "sub"',
    );
  }
  if (iss !== issuer) {
    throw errors.invalidRequest(`login_hint iss must be ${issuer} (got ${iss})`);
  }
  return sub;
}

function parseScopes(raw: string | undefined, api: TenantApi | undefined): string[] {
  const scopes = [...new Set((raw ?? "").split(" ").filter(Boolean))];
  const unknown = scopes.filter((scope) => !oidcScopes.has(scope) && !api?.scopes.includes(scope));
  if (unknown.length > 0) {
    const where = api ? `API ${api.identifier}` : "any API (no audience was given)";
    throw errors.invalidScope(`Scope ${unknown.join(", ")} is not defined on ${where}`);
  }
  return scopes;
}

function parseRequestedExpiry(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > MAX_REQUESTED_EXPIRY_SECONDS) {
    throw errors.invalidRequest(
      `requested_expiry must be a whole number of seconds from 1 to ${MAX_REQUESTED_EXPIRY_SECONDS} (got ${raw})`,
    );
  }
  return value;
}

/** RFC 9396: a JSON array of objects with a `type` the API accepts. Auth0 checks no more. */
function parseAuthorizationDetails(
  raw: string | undefined,
  api: TenantApi | undefined,
): AuthorizationDetail[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw errors.invalidAuthorizationDetails("authorization_details must be a JSON array");
  }
  const parsed = authorizationDetailsSchema.safeParse(value);
  if (!parsed.success) {
    throw errors.invalidAuthorizationDetails(
      "authorization_details must be a JSON array of objects, each with a string type",
    );
  }
  if (!api) {
    throw errors.invalidAuthorizationDetails(
      "authorization_details need an audience whose API accepts them",
    );
  }
  const unknown = parsed.data
    .map((d) => d.type)
    .filter((t) => !api.authorizationDetailsTypes.includes(t));
  if (unknown.length > 0) {
    throw errors.invalidAuthorizationDetails(
      `authorization_details type ${[...new Set(unknown)].join(", ")} is not allowed on API ${api.identifier}`,
    );
  }
  return parsed.data;
}

/**
 * Push for expiries up to 300 s, e-mail above. Auth0 also picks by the client's
 * `async_approval_notification_channels`, falls back to e-mail for a person without push and
 * needs a verified address for e-mail: issue 13 (docs/auth0-fidelity.md) models that.
 */
function checkChannel(user: TenantUser, pushEnabled: boolean, expiresIn: number): "push" | "email" {
  if (expiresIn > MAX_PUSH_EXPIRY_SECONDS) return "email";
  if (!pushEnabled) {
    throw errors.invalidRequest(
      `Guardian push notifications are not enabled on the tenant (guardianFactors push-notification); request an expiry over ${MAX_PUSH_EXPIRY_SECONDS} s to notify by e-mail`,
    );
  }
  if (!user.pushEnrolled) {
    throw errors.invalidRequest(
      `User ${user.sub} is not enrolled in push notifications (Guardian); enroll them or request an expiry over ${MAX_PUSH_EXPIRY_SECONDS} s to notify by e-mail`,
    );
  }
  return "push";
}

/**
 * API Access Policies for user-delegated flows (`subject_type_authorization.user`): the
 * client needs a client grant with `subject_type: user` for a `require_client_grant` API, and
 * gets at most its scopes and `authorization_details` types; `deny_all` refuses everyone.
 */
function checkUserAccess(
  client: TenantClient,
  api: TenantApi,
  scope: readonly string[],
  details: readonly AuthorizationDetail[] | undefined,
): void {
  if (api.userPolicy === "allow_all") return;
  const refused = (why: string) =>
    errors.forbidden(
      `Client "${client.clientId}" is not authorized to access "${api.identifier}" on behalf of a user: ${why}`,
    );
  if (api.userPolicy === "deny_all") throw refused("the API's user access policy is deny_all");
  const grant = client.clientGrants.find(
    (g) => g.audience === api.identifier && g.subjectType === "user",
  );
  if (!grant) throw refused('it needs a client grant with subject_type "user"');
  const notGranted = grant.allowAllScopes
    ? []
    : scope.filter((s) => !oidcScopes.has(s) && !grant.scopes.includes(s));
  if (notGranted.length > 0) {
    throw errors.forbidden(`Client has not been granted scopes: ${notGranted.join(" ")}`);
  }
  const types = [...new Set((details ?? []).map((d) => d.type))].filter(
    (t) => !grant.authorizationDetailsTypes.includes(t),
  );
  if (types.length > 0) {
    throw errors.invalidAuthorizationDetails(
      `authorization_details type ${types.join(", ")} is not allowed by the client grant for API ${api.identifier}`,
    );
  }
}

/** `POST /bc-authorize`: CIBA Core 1.0 section 7, in Auth0's dialect. */
export function bcAuthorize(deps: BcAuthorizeDeps): RequestHandler {
  const { issuer, directory, store, approver, clock, logger } = deps;
  const settings = directory.tenant.ciba;
  const newAuthReqId = deps.newAuthReqId ?? defaultAuthReqId;
  const rateLimit =
    settings.perUserRequestsPerMinute === null
      ? undefined
      : new PerUserRateLimit(settings.perUserRequestsPerMinute);

  return (req, res) => {
    const client = authenticateClient(req, directory.clients);
    if (!client.grantTypes.includes(CIBA_GRANT_TYPE)) {
      throw errors.unauthorizedClient(
        `Grant type '${CIBA_GRANT_TYPE}' not allowed for the client.`,
      );
    }
    for (const unsupported of ["id_token_hint", "login_hint_token", "request"]) {
      if (param(req, unsupported) !== undefined) {
        throw errors.invalidRequest(
          `${unsupported} is not supported: identify the user with login_hint`,
        );
      }
    }

    const rawScope = param(req, "scope");
    if (!(rawScope ?? "").split(" ").includes("openid")) {
      throw errors.invalidRequest("openid scope must be requested");
    }

    const userId = parseLoginHint(param(req, "login_hint"), issuer);
    const user = directory.users.get(userId);
    if (!user) throw errors.unknownUserId("User ID is malformed or unknown");

    const audienceParam = param(req, "audience");
    // The Auth0 SDK sends `audience=""` when none is configured.
    const audience = audienceParam === "" ? undefined : audienceParam;
    const api = audience === undefined ? undefined : directory.apis.get(audience);
    if (audience !== undefined && !api) {
      throw errors.invalidRequest(`Service not found: ${audience}`);
    }
    const scope = parseScopes(rawScope, api);

    const bindingMessage = param(req, "binding_message");
    if (bindingMessage === undefined || bindingMessage === "") {
      throw errors.invalidRequest("binding_message is required");
    }
    const problems = bindingMessageProblems(bindingMessage);
    if (problems.length > 0) throw errors.invalidRequest(problems.join("; "));

    const requestedExpiry = parseRequestedExpiry(param(req, "requested_expiry"));
    const authorizationDetails = parseAuthorizationDetails(
      param(req, "authorization_details"),
      api,
    );
    const expiresIn = Math.min(
      requestedExpiry ?? settings.maxExpiresInSeconds,
      settings.maxExpiresInSeconds,
    );
    if (api) checkUserAccess(client, api, scope, authorizationDetails);
    const channel = checkChannel(
      user,
      directory.tenant.guardianPushEnabled,
      requestedExpiry ?? expiresIn,
    );

    const wait = rateLimit?.take(user.sub, clock.now()) ?? 0;
    if (wait > 0) {
      throw tooManyRequests(
        wait,
        `Too many backchannel authentication requests for user ${user.sub}: at most ${settings.perUserRequestsPerMinute} a minute`,
      );
    }

    const approverOutcome = approver.onRequest({
      userId: user.sub,
      clientId: client.clientId,
      audience,
      bindingMessage,
    });
    const created = store.create(
      {
        authReqId: newAuthReqId(),
        clientId: client.clientId,
        userId: user.sub,
        scope,
        audience,
        bindingMessage,
        authorizationDetails,
        requestedExpiry,
        channel,
        approverOutcome,
        expiresInSeconds: expiresIn,
      },
      clock.now(),
    );
    if (!created.ok) {
      // Auth0 caps the requests a tenant holds open; requests already open keep working.
      throw tooManyRequests(
        created.retryAfterSeconds,
        `The tenant holds ${created.open} open backchannel authentication requests, its limit (ciba.${created.limit}): retry after ${created.retryAfterSeconds} s, once some are answered, collected or expired`,
      );
    }
    const { request } = created;
    logger.info(
      { user: user.sub, client: client.clientId, audience, approver: approverOutcome.action },
      "backchannel authentication request created",
    );
    res.json({
      auth_req_id: request.authReqId,
      expires_in: expiresIn,
      interval: settings.intervalSeconds,
    });
  };
}
