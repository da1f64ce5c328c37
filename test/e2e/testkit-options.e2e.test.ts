/**
 * startTestbed's wrong options, as a team writes them: each refused at start, naming the
 * option and the fix, never a temporary file the caller did not write or a variable a testkit
 * user never sets.
 */
import { startTestbed } from "@ciba-testbed/testkit";
import type { ApproverOutcome } from "@ciba-testbed/testkit";
import { describe, expect, it } from "vitest";

describe("startTestbed with wrong options", () => {
  it("refuses an approver outcome and a person the tenant does not have, in one message", async () => {
    // As plain JavaScript can write it; TypeScript refuses the outcome already.
    const approver = "sometimes" as ApproverOutcome;
    const started = startTestbed({ approver, user: "auth0|nobody" });
    await expect(started).rejects.toThrow(
      'Invalid startTestbed options:\n  - approver: Invalid policy: default: "sometimes" is not an ' +
        "approver outcome: use one of manual, approve, deny, ignore, approve-after:<ms>, " +
        'deny-after:<ms>, expire-after:<ms>\n  - user: "auth0|nobody" is not one of the ' +
        "tenant's people, so each of its consent requests would be refused (unknown_user_id); " +
        "they are auth0|testbed-user, auth0|second-user, auth0|no-push-user (not enrolled in " +
        "push), or add the person to the users file (the users option)",
    );
  });

  it("names the settings option, not the file it wrote, when the tenant refuses a setting", async () => {
    const error = (await startTestbed({ settings: { ciba: { intervalSeconds: -1 } } }).catch(
      (failure: unknown) => failure,
    )) as Error;
    expect(error.message).toMatch(
      /startTestbed's settings and rateLimits options \(with \S+\): ciba\.intervalSeconds: Number must be greater than 0/,
    );
    expect(error.message).not.toContain("ciba-testbed-pid");
  });
});
