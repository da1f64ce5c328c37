import { MAX_PUSH_EXPIRY_SECONDS } from "@ciba-testbed/shared";

import { errors } from "../errors.js";
import type { NotificationChannel, TenantClient, TenantUser } from "../tenant/tenant-model.js";

export interface ChannelQuestion {
  client: TenantClient;
  user: TenantUser;
  /** `guardianFactors` push-notification. */
  guardianPushEnabled: boolean;
  /** `requested_expiry`; none means Auth0's default, 300 s, in the push range. */
  requestedExpiry: number | undefined;
}

/**
 * How Auth0 notifies the person ("Configure Client-Initiated Backchannel Authentication"):
 * `requested_expiry` up to 300 s uses Guardian push when the client has it, the tenant's push
 * factor is on and the person is enrolled, and otherwise falls back to e-mail; 301 s and more
 * uses e-mail. E-mail needs the client's `email` channel and a verified address. Anything else
 * is refused with 400 `invalid_request`, saying what is missing.
 */
export function chooseChannel(question: ChannelQuestion): NotificationChannel {
  const { client, user, guardianPushEnabled, requestedExpiry } = question;
  const channels = client.notificationChannels.join(", ") || "none";
  const noEmail = !client.notificationChannels.includes("email")
    ? {
        short: `client ${client.clientId} has no email channel (async_approval_notification_channels: ${channels})`,
        fix: 'add "email" to the client\'s async_approval_notification_channels',
      }
    : !user.emailVerified
      ? {
          short: `user ${user.sub} has no verified email address (email_verified is not true), and Auth0 emails verified addresses only`,
          fix: "verify the user's email",
        }
      : undefined;

  if (requestedExpiry !== undefined && requestedExpiry > MAX_PUSH_EXPIRY_SECONDS) {
    if (noEmail === undefined) return "email";
    throw errors.invalidRequest(
      `requested_expiry ${requestedExpiry} is over ${MAX_PUSH_EXPIRY_SECONDS} s, which Auth0 sends by email, but ${noEmail.short}. Ask for ${MAX_PUSH_EXPIRY_SECONDS} s or less to notify by Guardian push, or ${noEmail.fix}.`,
    );
  }

  const noPush = !client.notificationChannels.includes("guardian-push")
    ? {
        short: `client ${client.clientId} has no guardian-push channel (async_approval_notification_channels: ${channels})`,
        fix: 'add "guardian-push" to the client\'s async_approval_notification_channels',
      }
    : !guardianPushEnabled
      ? {
          short:
            "Guardian push notifications are not enabled on the tenant (guardianFactors push-notification)",
          fix: "enable the push-notification factor",
        }
      : !user.pushEnrolled
        ? {
            short: `User ${user.sub} is not enrolled in push notifications (Guardian)`,
            fix: "enroll them in Guardian push",
          }
        : undefined;
  if (noPush === undefined) return "guardian-push";
  // "If the user is not enrolled to use MFA push notifications, Auth0 falls back to using email
  // notifications, if configured, instead of rejecting the CIBA request."
  if (noEmail === undefined) return "email";
  throw errors.invalidRequest(
    `${noPush.short}, and there is no email to fall back to: ${noEmail.short}. To notify this user, ${noPush.fix}, or ${noEmail.fix}.`,
  );
}
