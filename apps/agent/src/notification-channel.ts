import type { AgentWarning } from "./agent-event.js";
import { MAX_REQUESTED_EXPIRY } from "./config.js";

/**
 * Auth0 picks the channel by `requested_expiry`: a push for 1..300 s, an email for
 * 301..259200 s, each when the application has it enabled
 * (https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication).
 */
export const MAX_PUSH_EXPIRY = 300;

export type NotificationChannel = "push" | "email";

export function channelFor(requestedExpiry: number): NotificationChannel {
  return requestedExpiry > MAX_PUSH_EXPIRY ? "email" : "push";
}

/**
 * What to tell the person about the expiry they asked for. The agent sends it as asked: the
 * tenant decides whether it can notify by email, and refuses the request if it cannot.
 */
export function expiryWarnings(requestedExpiry: number): AgentWarning[] {
  if (channelFor(requestedExpiry) === "push") return [];
  return [
    {
      code: "email_channel",
      message:
        `The expiry of ${requestedExpiry} s (--expiry, AGENT_REQUESTED_EXPIRY) is over ${MAX_PUSH_EXPIRY} s, ` +
        `so Auth0 sends the person an email instead of a push (it does for ${MAX_PUSH_EXPIRY + 1} to ${MAX_REQUESTED_EXPIRY} s). ` +
        "That needs the email channel enabled on the application and a verified email address for the user; without them the tenant refuses the request.",
    },
  ];
}
