import { describe, expect, it } from "vitest";

import type { NotificationChannel, TenantClient, TenantUser } from "../tenant/tenant-model.js";
import { chooseChannel } from "./notification-channel.js";

const client = (channels: NotificationChannel[]) =>
  ({ clientId: "agent", notificationChannels: channels }) as unknown as TenantClient;
const user = (pushEnrolled: boolean, emailVerified: boolean) =>
  ({ sub: "auth0|ann", pushEnrolled, emailVerified }) as unknown as TenantUser;

const choose = (
  channels: NotificationChannel[],
  person: TenantUser,
  requestedExpiry: number | undefined,
  guardianPushEnabled = true,
) => {
  try {
    return chooseChannel({
      client: client(channels),
      user: person,
      guardianPushEnabled,
      requestedExpiry,
    });
  } catch (error) {
    return `refused: ${(error as { code: string }).code}`;
  }
};

describe("chooseChannel: Auth0's choice of notification channel", () => {
  const both: NotificationChannel[] = ["guardian-push", "email"];

  it.each([
    // requested_expiry, channels, enrolled, verified, push factor on -> answer
    [undefined, both, true, true, true, "guardian-push"],
    [300, both, true, true, true, "guardian-push"],
    [301, both, true, true, true, "email"],
    [259_200, ["email"], false, true, true, "email"],
    [301, ["guardian-push"], true, true, true, "refused: invalid_request"],
    [301, both, true, false, true, "refused: invalid_request"],
    [60, both, false, true, true, "email"],
    [60, both, false, false, true, "refused: invalid_request"],
    [60, ["guardian-push"], false, true, true, "refused: invalid_request"],
    [60, ["email"], true, true, true, "email"],
    [60, both, true, true, false, "email"],
    [60, ["guardian-push"], true, true, false, "refused: invalid_request"],
  ] as const)(
    "requested_expiry %s, channels %j, enrolled %s, verified %s, push factor %s: %s",
    (expiry, channels, enrolled, verified, factor, answer) => {
      expect(choose([...channels], user(enrolled, verified), expiry, factor)).toBe(answer);
    },
  );
});
