import {
  CIBA_GRANT_TYPE,
  MAX_PUSH_EXPIRY_SECONDS,
  MAX_REQUESTED_EXPIRY_SECONDS,
  authorizationDetailsSchema,
  bindingMessageProblems,
  isRecord,
} from "@ciba-testbed/shared";
import type { AuthorizationDetail, Clock } from "@ciba-testbed/shared";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { sendJson } from "@ciba-testbed/shared/http";

import type { Approver } from "../approver/approver.js";
import {
  authorizationDetailsLimitProblem,
  authorizationDetailsSizeProblem,
} from "../backchannel/authorization-details-limits.js";
import { authorizationDetailsTextProblem } from "../backchannel/authorization-details-text.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import { chooseChannel } from "../backchannel/notification-channel.js";
import { authenticateClient } from "../client-authentication.js";
import { errors, tooManyRequests } from "../errors.js";
import { enforce, perUserRefusal, reportRateLimit } from "../rate-limit/rate-limits.js";
import type { RateLimits } from "../rate-limit/rate-limits.js";
import { notUtf8, param, scopeParam } from "../request-params.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantApi, TenantClient } from "../tenant/tenant-model.js";
import { oidcScopes } from "../tenant/tenant-model.js";
import { randomId } from "../random-id.js";
import { scopesNotGranted, userAccess } from "../user-access-policy.js";

export interface BcAuthorizeDeps {
  issuer: string;
  directory: TenantDirectory;
  store: BackchannelStore;
  approver: Approver;
  clock: Clock;
  logger: Logger;
  /** The tenant's limits; `/bc-authorize` counts each request it accepts for its user. */
  rateLimits: RateLimits;
  /** CIBA Core 1.0, section 7.3: at least 128 bits of entropy, in `A-Za-z0-9.-_`. */
  newAuthReqId?: () => string;
}

const defaultAuthReqId = () => randomId();

/**
 * The `login_hint` as sent: a string, which holds the iss_sub object as JSON text. Auth0's
 * Back-Channel Login reference types it a string (where `authorization_details` is an array),
 * and its SDKs send `JSON.stringify` of the object; a JSON body that sends the object itself is
 * refused with what to send instead, rather than read as the text it would have been.
 */
function loginHintText(req: Request, issuer: string): string | undefined {
  // Read first: a form's repeated login_hint is refused as such.
  const text = param(req, "login_hint");
  const sent: unknown = isRecord(req.body) ? req.body.login_hint : undefined;
  if (typeof sent === "object" && sent !== null) {
    throw errors.invalidRequest(
      `login_hint must be a string, not a JSON ${Array.isArray(sent) ? "array" : "object"}: ` +
        "send the iss_sub object as JSON text (JSON.stringify it), " +
        `"login_hint":"{\\"format\\":\\"iss_sub\\",\\"iss\\":\\"${issuer}\\",\\"sub\\":\\"<user id>\\"}"`,
    );
  }
  return text;
}

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
  if (hint === null || typeof hint !== "object" || Array.isArray(hint)) {
    throw errors.invalidRequest("login_hint must be a JSON object in the iss_sub format");
  }
  const { format, iss, sub } = hint as Record<string, unknown>;
  if (format !== "iss_sub" || typeof iss !== "string") {
    throw errors.invalidRequest('login_hint must have "format":"iss_sub" and a string "iss"');
  }
  if (iss !== issuer) {
    throw errors.invalidRequest(`login_hint iss must be ${issuer} (got ${iss})`);
  }
  // No `sub` at all: the text of Auth0's Node SDK's fixture for a request without a user id.
  if (typeof sub !== "string") {
    throw errors.invalidRequest(
      'login_hint parameter validation failed: "sub" contains unsupported format',
    );
  }
  // An Auth0 user id is `<connection or provider>|<id>` (auth0|…, google-oauth2|…). Auth0
  // answers a user id it cannot use with one error, whose words cover both cases: "User ID is
  // malformed or unknown" (go-auth0's recording TestCIBANegative_Initiate).
  if (!USER_ID.test(sub)) throw errors.unknownUserId(UNKNOWN_USER_ID);
  return sub;
}

const UNKNOWN_USER_ID = "User ID is malformed or unknown";

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\|[^\s|]\S*$/;

/**
 * The scopes asked for that the request may carry: the OIDC scopes and the API's own. Auth0
 * leaves any other scope out of the grant instead of refusing the request, as mock-auth0's
 * /authorize does (`login/authorize-request.ts`); `left` names them for the log.
 */
function grantableScopes(
  raw: string | undefined,
  api: TenantApi | undefined,
): { scope: string[]; left: string[] } {
  const asked = [...new Set((raw ?? "").split(" ").filter(Boolean))];
  const grantable = (value: string) =>
    oidcScopes.has(value) || (api?.scopes.includes(value) ?? false);
  return { scope: asked.filter(grantable), left: asked.filter((value) => !grantable(value)) };
}

function parseRequestedExpiry(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  // Digits only ("1e2", "+5" and " 5" are not seconds); leading zeros are no reason to refuse.
  const digits = raw.replace(/^0+(?=\d)/, "");
  const value = /^\d+$/.test(raw) && digits.length <= 7 ? Number(digits) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > MAX_REQUESTED_EXPIRY_SECONDS) {
    throw errors.invalidRequest(
      `requested_expiry must be a whole number of seconds from 1 to ${MAX_REQUESTED_EXPIRY_SECONDS} (got ${raw})`,
    );
  }
  return value;
}

/**
 * RFC 9396: a JSON array of objects with a `type` the API accepts, within Auth0's limits
 * (`authorization-details-limits.ts`). Auth0 checks nothing of what the entries mean.
 */
function parseAuthorizationDetails(
  raw: string | undefined,
  api: TenantApi | undefined,
): AuthorizationDetail[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  const tooBig = authorizationDetailsSizeProblem(raw);
  if (tooBig !== undefined) throw errors.invalidRequest(tooBig);
  let value: unknown;
  const seen = { protoMember: false, unkeptNumber: undefined as string | undefined };
  try {
    value = JSON.parse(raw, (key, member: unknown) => {
      seen.protoMember ||= key === "__proto__";
      // 1e400 is Infinity to JSON.parse, and null once written again.
      if (typeof member === "number" && !Number.isFinite(member)) seen.unkeptNumber ??= key;
      return member;
    });
  } catch {
    throw errors.invalidAuthorizationDetails("authorization_details must be a JSON array");
  }
  // JSON.parse keeps a "__proto__" member, but no copy of the object would: the person would
  // approve, and the token carry, something other than what was sent. Refused, not dropped.
  if (seen.protoMember) {
    throw errors.invalidAuthorizationDetails(
      "authorization_details may not have a member named __proto__: it cannot be kept as sent",
    );
  }
  // A number past what a double holds ("quantity": 1e400) was approved and issued as null.
  if (seen.unkeptNumber !== undefined) {
    throw errors.invalidAuthorizationDetails(
      `authorization_details member ${seen.unkeptNumber === "" ? "" : `"${seen.unkeptNumber}" `}holds a number too large to keep as sent (it would be null): send it within +-1.7e308`,
    );
  }
  const parsed = authorizationDetailsSchema.safeParse(value);
  if (!parsed.success) {
    throw errors.invalidAuthorizationDetails(
      "authorization_details must be a JSON array of objects, each with a string type",
    );
  }
  const overLimit = authorizationDetailsLimitProblem(parsed.data);
  if (overLimit !== undefined) throw errors.invalidRequest(overLimit);
  const notReadable = authorizationDetailsTextProblem(parsed.data);
  if (notReadable !== undefined) throw errors.invalidAuthorizationDetails(notReadable);
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
  const access = userAccess(client, api);
  if (!access.allowed) throw errors.forbidden(access.description);
  const notGranted = scopesNotGranted(access, scope);
  if (notGranted.length > 0) {
    throw errors.forbidden(`Client has not been granted scopes: ${notGranted.join(" ")}`);
  }
  const { grant } = access;
  if (grant === undefined) return;
  const types = [...new Set((details ?? []).map((d) => d.type))].filter(
    (t) => !grant.authorizationDetailsTypes.includes(t),
  );
  if (types.length > 0) {
    throw errors.invalidAuthorizationDetails(
      `authorization_details type ${types.join(", ")} is not allowed by the client grant for API ${api.identifier}`,
    );
  }
}

/**
 * The API asked for. The Auth0 SDK sends `audience=""` when none is configured: that is none.
 * Under the tenant's Resource Parameter Compatibility Profile, `resource` (RFC 8707) names the
 * API when `audience` does not; otherwise Auth0 reads `audience` only.
 */
function audienceOf(req: Request, profile: "audience" | "compatibility"): string | undefined {
  const audience = param(req, "audience");
  if (audience !== undefined && audience !== "") return audience;
  if (profile !== "compatibility") return undefined;
  const resource = param(req, "resource");
  return resource === undefined || resource === "" ? undefined : resource;
}

/** `POST /bc-authorize`: CIBA Core 1.0 section 7, in Auth0's dialect. */
export function bcAuthorize(deps: BcAuthorizeDeps): RequestHandler {
  const { issuer, directory, store, approver, clock, logger } = deps;
  const settings = directory.tenant.ciba;
  const newAuthReqId = deps.newAuthReqId ?? defaultAuthReqId;
  const perUser = deps.rateLimits.bcAuthorizePerUser;

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

    const rawScope = scopeParam(req);
    if (!(rawScope ?? "").split(" ").includes("openid")) {
      throw errors.invalidRequest("openid scope must be requested");
    }

    const userId = parseLoginHint(loginHintText(req, issuer), issuer);
    const user = directory.users.get(userId);
    if (!user) throw errors.unknownUserId(UNKNOWN_USER_ID);

    const audience = audienceOf(req, directory.tenant.resourceParameterProfile);
    const api = audience === undefined ? undefined : directory.apis.get(audience);
    // Auth0's /authorize and /oauth/token refuse an unknown API with access_denied "Service not
    // found: <id>" (403 at the token endpoint); /bc-authorize is taken to answer as they do.
    if (audience !== undefined && !api) throw errors.forbidden(`Service not found: ${audience}`);
    const { scope, left: scopesLeftOut } = grantableScopes(rawScope, api);

    const bindingMessage = param(req, "binding_message");
    if (bindingMessage === undefined || bindingMessage === "") {
      throw errors.invalidRequest("binding_message is required");
    }
    const notText = notUtf8(req, "binding_message", bindingMessage);
    if (notText !== undefined) throw errors.invalidRequest(notText);
    const problems = bindingMessageProblems(bindingMessage);
    if (problems.length > 0) throw errors.invalidRequest(problems.join("; "));

    const requestedExpiry = parseRequestedExpiry(param(req, "requested_expiry"));
    const rawDetails = param(req, "authorization_details");
    const detailsNotText = notUtf8(req, "authorization_details", rawDetails);
    if (detailsNotText !== undefined) throw errors.invalidAuthorizationDetails(detailsNotText);
    const authorizationDetails = parseAuthorizationDetails(rawDetails, api);
    if (api) checkUserAccess(client, api, scope, authorizationDetails);
    const channel = chooseChannel({
      client,
      user,
      guardianPushEnabled: directory.tenant.guardianPushEnabled,
      requestedExpiry,
    });
    // Up to 300 s (Auth0's push range) the tenant's maximum applies, a knob for fast tests;
    // an e-mail request lives as long as asked.
    const expiresIn =
      requestedExpiry === undefined
        ? settings.maxExpiresInSeconds
        : requestedExpiry <= MAX_PUSH_EXPIRY_SECONDS
          ? Math.min(requestedExpiry, settings.maxExpiresInSeconds)
          : requestedExpiry;

    // The person is sent at most so many requests: counted once one is accepted.
    if (perUser) {
      enforce(res, perUser.peek(user.sub, clock.now()), (wait) =>
        perUserRefusal(user.sub, perUser.policy.sustained, wait),
      );
    }

    const approverOutcome = approver.onRequest({
      userId: user.sub,
      clientId: client.clientId,
      audience,
      bindingMessage,
      channel,
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
        userEmail: user.email,
        approverOutcome,
        expiresInSeconds: expiresIn,
      },
      clock.now(),
    );
    if (!created.ok) {
      // Auth0 caps the requests a tenant holds open; requests already open keep working.
      throw tooManyRequests(
        created.retryAfterSeconds,
        created.limit === "maxOpenRequests"
          ? `The tenant holds ${created.open} open backchannel authentication requests, its limit (ciba.${created.limit}): retry after ${created.retryAfterSeconds} s, once some are answered, collected or expired`
          : `The tenant holds ${store.size} backchannel authentication requests, its limit (ciba.${created.limit}), and none it may drop: each is open, or denied or expired with its client not yet told. Retry after ${created.retryAfterSeconds} s, once clients have polled them or they are purged`,
      );
    }
    if (perUser) reportRateLimit(res, perUser.take(user.sub, clock.now()));
    const { request } = created;
    logger.info(
      {
        user: user.sub,
        client: client.clientId,
        audience,
        channel,
        approver: approverOutcome.action,
        ...(scopesLeftOut.length > 0 && {
          scopesLeftOut: `${scopesLeftOut.join(" ")}: not defined on ${api ? `API ${api.identifier}` : "any API (no audience was given)"}, so not in the tokens`,
        }),
      },
      "backchannel authentication request created",
    );
    sendJson(res, 200, {
      auth_req_id: request.authReqId,
      expires_in: expiresIn,
      interval: settings.intervalSeconds,
    });
  };
}
