/**
 * startTestbed's wrong options, as a team writes them: each refused at start, naming the
 * option and the fix, never a temporary file the caller did not write or a variable a testkit
 * user never sets.
 */
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { TestbedOptionsError, startTestbed } from "@ciba-testbed/testkit";
import type { ApproverOutcome } from "@ciba-testbed/testkit";
import { describe, expect, it, onTestFinished, vi } from "vitest";

describe("startTestbed with wrong options", () => {
  it("refuses an approver outcome and a person the tenant does not have, in one message", async () => {
    // As plain JavaScript can write it; TypeScript refuses the outcome already.
    const approver = "sometimes" as ApproverOutcome;
    // And the tenant's machine-to-machine application, which has no CIBA grant.
    const client = { id: "ciba-testbed-m2m", secret: "ciba-testbed-m2m-secret" };
    const started = startTestbed({ approver, user: "auth0|nobody", client });
    await expect(started).rejects.toThrow(
      'Invalid startTestbed options:\n  - approver: Invalid policy: default: "sometimes" is not an ' +
        "approver outcome: use one of manual, approve, deny, ignore, approve-after:<ms>, " +
        "deny-after:<ms>, expire-after:<ms> (<ms>: 0 to 999999999, whole milliseconds)\n" +
        '  - user: "auth0|nobody" is not one of the ' +
        "tenant's people, so each of its consent requests would be refused (unknown_user_id); " +
        "they are auth0|testbed-user, auth0|second-user, auth0|no-push-user (not enrolled in " +
        "push), or add the person to the users file (the users option)\n  - client: " +
        '"ciba-testbed-m2m" may not use CIBA (the tenant answered 403 unauthorized_client ' +
        `"Grant type 'urn:openid:params:grant-type:ciba' not allowed for the client."): add ` +
        "urn:openid:params:grant-type:ciba to that application's grant_types, or give another " +
        "application",
    );
  });

  it("refuses a client whose secret the tenant does not take, before any consent request", async () => {
    const client = { id: "ciba-testbed-agent", secret: "not-the-secret" };
    await expect(startTestbed({ client })).rejects.toThrow(
      'Invalid startTestbed options:\n  - client: the tenant does not take "ciba-testbed-agent" ' +
        'with that secret (its token endpoint answered 401 access_denied "Unauthorized"), so it ' +
        "would refuse every consent request the agent sends; give an application of the tenant " +
        "and its secret, or leave client out for the reference tenant's agent (ciba-testbed-agent)",
    );
  });

  it("names the certificate folder and the certDir option when the tenant cannot write there", async () => {
    const dir = await makeScratchFolder("ciba-testkit-certdir-");
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, "a-file"), "");
    const certDir = path.join(dir, "a-file", "certs");
    await expect(startTestbed({ certDir })).rejects.toThrow(
      `mock-auth0 cannot keep its local CA and signing keys in ${certDir} (ENOTDIR: ${path.join(dir, "a-file")} is a ` +
        `file, not a folder): set MOCK_AUTH0_CERT_DIR (the testkit's certDir option)`,
    );
  });

  it("names TMPDIR and the shop.database option, not SHOP_API_DATABASE, when the temporary folder cannot be written", async () => {
    const dir = await makeScratchFolder("ciba-testkit-tmpdir-");
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const temp = path.join(dir, "a-file");
    await writeFile(temp, "");
    vi.stubEnv("TMPDIR", temp);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const failed = startTestbed();
    await expect(failed).rejects.toThrow(
      new RegExp(
        `^startTestbed cannot make its files in the temporary folder ${temp} \\(ENOTDIR: .*\\): ` +
          "set TMPDIR to a folder this user may write, or give the shop a database of its own " +
          'with the shop.database option \\(a folder, or ":memory:"\\)$',
      ),
    );
    await expect(failed).rejects.not.toThrow("SHOP_API_DATABASE");
  });

  it("names the settings option, not the file it wrote, when the tenant refuses a setting, as an options error", async () => {
    const error = (await startTestbed({
      settings: { ciba: { intervalSeconds: -1, intervalSecond: 1 } },
    }).catch((failure: unknown) => failure)) as Error;
    expect(error).toBeInstanceOf(TestbedOptionsError);
    expect(error.message).toMatch(
      /^Invalid startTestbed options:\n {2}- startTestbed's settings and rateLimits options \(with \S+\): ciba\.intervalSeconds: Number must be greater than 0\n {2}- startTestbed's settings and rateLimits options \(with \S+\): ciba\.intervalSecond: unknown property$/,
    );
    expect(error.message).not.toContain("ciba-testbed-pid");
  });

  it("throws a TestbedOptionsError, exported, for an option's name or value", async () => {
    await expect(startTestbed({ modelserver: true } as never)).rejects.toBeInstanceOf(
      TestbedOptionsError,
    );
  });
});
