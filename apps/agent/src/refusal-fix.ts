import {
  BINDING_MESSAGE_MAX_LENGTH,
  MAX_PUSH_EXPIRY_SECONDS,
  MAX_REQUESTED_EXPIRY_SECONDS,
  quotedValue,
} from "@ciba-testbed/shared";

import { isLocalDomain, type AgentConfig } from "./config.js";
import { channelFor } from "./notification-channel.js";
import { AUTH0_REQUESTS_PER_USER_PER_MINUTE } from "./rate-limit.js";

/**
 * The user id (AGENT_USER_ID, --user) as a message names it: as it is when it is printable ASCII
 * without a space or a quote, else quoted (`quotedValue`), so a line feed in it cannot break the
 * one-line message.
 */
export const shownUser = (userId: string): string =>
  /^[!#-~]+$/.test(userId) ? userId : quotedValue(userId);

/**
 * What is wrong with a user id that has no "|" between its connection and its id, for the
 * spellings people copy: the dashboard's URL form (`auth0%7Ctestbed-user`), another separator
 * (`auth0:testbed-user`), an email address; undefined when none of them.
 */
function misspeltUserId(userId: string): string | undefined {
  if (/%7c/i.test(userId)) {
    const decoded = userId.replace(/%7c/gi, "|");
    return `${quotedValue(userId)} is URL-encoded, as the Auth0 dashboard's URLs show a user id: %7C stands for "|", so write it ${shownUser(decoded)}.`;
  }
  if (/^[^\s@|]+@[^\s@|]+\.[^\s@|]+$/.test(userId)) {
    return `${quotedValue(userId)} is an email address, not a user id: the agent names the person by their Auth0 user id, such as auth0|<id>, which the user's page in the Auth0 dashboard (User Management > Users) shows as user_id.`;
  }
  const [, connection, separator, id] = /^([\w-]+)([:/\\])([^:/\\].*)$/.exec(userId) ?? [];
  if (connection !== undefined && separator !== undefined && id !== undefined) {
    return `${quotedValue(userId)} joins the connection and the id with ${quotedValue(separator)}, but Auth0's separator is "|": write it ${shownUser(`${connection}|${id}`)}.`;
  }
  return undefined;
}

/**
 * The fix for a user id Auth0 knows no user by, or refuses as no user id at all: one without
 * "|" is named for what it is (`misspeltUserId`), else said to need its connection's prefix,
 * which Auth0 gives every user id (`auth0|` for a user imported with the user_id `testbed-user`,
 * as auth0/users.json has it). `known` says that Auth0 read it as a user id it does not have.
 */
export function userIdFix(userId: string, known: "unknown" | "malformed"): string {
  const check = "Check AGENT_USER_ID (or --user):";
  if (userId.includes("|")) {
    return known === "unknown"
      ? `${check} ${quotedValue(userId)} must be the user id of a user of this tenant.`
      : `${check} ${quotedValue(userId)} must be an Auth0 user id, the connection and the id joined by "|" (such as auth0|<id>).`;
  }
  const misspelt = misspeltUserId(userId);
  if (misspelt !== undefined) return `${check} ${misspelt}`;
  return known === "unknown"
    ? `${check} ${quotedValue(userId)} has no connection prefix, which every Auth0 user id has (a user imported with the user_id ${shownUser(userId)} is ${shownUser(`auth0|${userId}`)}).`
    : `${check} ${quotedValue(userId)} must be an Auth0 user id, the connection and the id joined by "|" (such as ${shownUser(`auth0|${userId}`)}).`;
}

/**
 * What to do after an approval request expired before the agent collected an answer: ask again and answer in time, with
 * how long the person had (`expiresIn`, the tenant's seconds, when known; a tenant may give
 * less than was asked) and the setting that decides it.
 */
export function expiredFix(config: AgentConfig, expiresIn?: number): string {
  const { requestedExpiry } = config;
  const userId = shownUser(config.userId);
  const allowed = expiresIn === undefined ? "" : `this one allowed ${expiresIn} s; `;
  const setting = `--expiry or AGENT_REQUESTED_EXPIRY, now ${requestedExpiry} s, sets how long`;
  return channelFor(requestedExpiry) === "push"
    ? `Ask again if the purchase is still wanted, and have ${userId} approve it on their device before it expires (${allowed}${setting}, up to ${MAX_PUSH_EXPIRY_SECONDS} s for a push).`
    : `Ask again if the purchase is still wanted, and have ${userId} approve it from Auth0's email before it expires (${allowed}${setting}).`;
}

/**
 * What to do after an `access_denied` that may be a denial or an expiry: ask again if the
 * purchase is still wanted; against the local tenant, which can answer an expiry with the CIBA
 * spec's `expired_token` instead, how to make the two tell apart.
 */
export function deniedOrExpiredFix(config: AgentConfig): string {
  const again = `Ask again if the purchase is still wanted, and have ${shownUser(config.userId)} approve it in time.`;
  return isLocalDomain(config.auth0.domain)
    ? `${again} To tell a denial from an expiry, set "ciba": { "expiredError": "expired_token" } in the local tenant's mock-auth0.json (or the file MOCK_AUTH0_SETTINGS names) and restart it: it then answers an expired request with expired_token.`
    : again;
}

/**
 * What to change after Auth0 refused `/bc-authorize` with `error` (its OAuth code) and
 * `description` (its words). `invalid_request` covers several causes, which only Auth0's
 * description tells apart.
 */
export function refusedRequestFix(
  error: string,
  description: string,
  config: AgentConfig,
  retryAt?: string,
): string {
  const { domain, clientId } = config.auth0;
  const { userId } = config;
  switch (error) {
    case "too_many_requests":
      return `Ask again ${retryAt === undefined ? "in a minute" : `after ${retryAt}`}, as Auth0 sends ${shownUser(userId)} at most ${AUTH0_REQUESTS_PER_USER_PER_MINUTE} approval requests a minute.`;
    case "unauthorized_client":
      return `Allow the CIBA grant (urn:openid:params:grant-type:ciba) for the application ${clientId} (AUTH0_CLIENT_ID) on ${domain}.`;
    case "access_denied":
      return `Let the application ${clientId} (AUTH0_CLIENT_ID) act for users on the API ${config.audience} (SHOP_API_AUDIENCE) on ${domain}: the API's user access policy, and a client grant for it with subject_type "user" and the scopes the agent asks for.`;
    case "invalid_authorization_details":
      return `Allow the authorization_details type that Auth0 names on the API ${config.audience} (SHOP_API_AUDIENCE) and in the application's client grant for it.`;
    case "invalid_request":
      return invalidRequestFix(description, config);
    default:
      return `Change what Auth0's answer (${error}) names in the tenant ${domain}'s settings for the application ${clientId} (AUTH0_CLIENT_ID), then ask again.`;
  }
}

function invalidRequestFix(description: string, config: AgentConfig): string {
  const { userId, requestedExpiry } = config;
  const { domain, clientId } = config.auth0;
  if (/requested_expiry/i.test(description)) {
    return `Set --expiry or AGENT_REQUESTED_EXPIRY (now ${requestedExpiry} s) to 1-${MAX_PUSH_EXPIRY_SECONDS} s for a push, or keep ${MAX_PUSH_EXPIRY_SECONDS + 1}-${MAX_REQUESTED_EXPIRY_SECONDS} s and enable the email channel for the application and a verified email address for ${shownUser(userId)}.`;
  }
  // What @auth0/ai takes every invalid_request for (UserDoesNotHavePushNotificationsInterrupt).
  if (/push|enrol|guardian|notification/i.test(description)) {
    return `Enroll ${shownUser(userId)} in Guardian push notifications on the tenant (or enable the email channel for the application and verify their email address), or act for another user with --user or AGENT_USER_ID.`;
  }
  // The login_hint names the issuer of the domain the agent was given (AUTH0_DOMAIN); a tenant
  // that issues under another host (its custom domain, or another name of this machine) refuses it.
  if (/login_hint.*\biss\b|\biss\b.*login_hint/i.test(description)) {
    return `Set AUTH0_DOMAIN to the host the tenant issues its tokens under (the issuer Auth0 names): the agent names https://${domain}/ as the person's issuer, and the shop checks tokens against that issuer too.`;
  }
  // Auth0's words for a login_hint whose sub is no user id ("testbed-user" for "auth0|testbed-user").
  if (/login_hint|"sub"/i.test(description)) {
    return userIdFix(userId, "malformed");
  }
  if (/binding_message/i.test(description)) {
    return `Make the tenant ${domain} accept the binding message the agent writes (at most ${BINDING_MESSAGE_MAX_LENGTH} characters: A-Z, a-z, 0-9, spaces and +-_.,:#), or change purchaseBindingMessage in packages/shared to the form Auth0 names.`;
  }
  return `Check the tenant ${domain}'s CIBA settings for the application ${clientId} (AUTH0_CLIENT_ID) against what Auth0 names, then ask again.`;
}
