import { MAX_PUSH_EXPIRY_SECONDS, MAX_REQUESTED_EXPIRY_SECONDS } from "@ciba-testbed/shared";

import type { AgentWarning } from "./agent-event.js";

/** How Auth0 notifies the person, by `requested_expiry`, when the application has it enabled. */
export type NotificationChannel = "push" | "email";

export function channelFor(requestedExpiry: number): NotificationChannel {
  return requestedExpiry > MAX_PUSH_EXPIRY_SECONDS ? "email" : "push";
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
        `The expiry of ${requestedExpiry} s (--expiry, AGENT_REQUESTED_EXPIRY) is over ${MAX_PUSH_EXPIRY_SECONDS} s, ` +
        `so Auth0 sends the person an email instead of a push (it does for ${MAX_PUSH_EXPIRY_SECONDS + 1} to ${MAX_REQUESTED_EXPIRY_SECONDS} s). ` +
        "That needs the email channel enabled on the application and a verified email address for the user; without them the tenant refuses the request.",
    },
  ];
}
