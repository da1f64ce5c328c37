import { readFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

/**
 * The root README's real-tenant steps ("Use it with a real Auth0 tenant") say what Auth0's
 * docs say, and mark what they do not say as such: these machines have no tenant to check a
 * step against, so a step may not state as Auth0's what is a guess.
 */
const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** Numbered step `n` of the real-tenant section, on one line. */
function step(n: number): string {
  const section = README.slice(README.indexOf("## Use it with a real Auth0 tenant"));
  const start = section.indexOf(`\n${String(n)}. **`);
  const end = section.indexOf(`\n${String(n + 1)}. **`, start);
  expect(start, `no step ${String(n)}`).toBeGreaterThan(0);
  return section.slice(start, end === -1 ? undefined : end).replace(/\s+/g, " ");
}

describe("README: the real-tenant steps", () => {
  it("step 5 gives the Guardian app's RAR rule as Auth0 documents it, and no more as Auth0's", () => {
    const guardian = step(5);
    // What Auth0's "Configure Rich Authorization Requests" says of the Guardian app.
    expect(guardian).toContain(
      "https://auth0.com/docs/get-started/apis/configure-rich-authorization-requests#auth0-guardian-app",
    );
    expect(guardian).toMatch(/must hold one object, of Auth0's own schema/);
    // What it does not say: what the app does with another type.
    expect(guardian).toMatch(/`product_purchase` [^.]*is not documented by Auth0/);
    expect(guardian).not.toMatch(/approves on the binding message alone/);
  });

  it("step 8 says that an e-mail approval needs the person's password, which imported people lack", () => {
    const users = JSON.parse(
      readFileSync(path.join(REPO_ROOT, "auth0/users.json"), "utf8"),
    ) as Record<string, unknown>[];
    expect(users.filter((u) => "password" in u || "custom_password_hash" in u)).toEqual([]);
    const email = step(8);
    expect(email).toContain(
      "https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-initiated-backchannel-authentication-flow/email-notifications-with-ciba",
    );
    expect(email).toMatch(/signs in with that verified address and their password/);
    expect(email).toMatch(/`users\.json` have no password until they reset it/);
  });
});
