import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { schemaValidations, validateOnce } from "./accepted-data.js";
import { DEFAULT_TENANT_FILE } from "./load-tenant.js";
import { readTenantSources } from "./tenant-sources.js";
import { userFileProblems } from "./users-file.js";

/** A validator no earlier run used, refusing what `refuses` says, counting its runs. */
function freshValidator(refuses: (data: unknown) => boolean) {
  const identity = `test ${randomUUID()}`;
  let runs = 0;
  return {
    runs: () => runs,
    check: (data: unknown, remember = true) =>
      validateOnce(data, {
        validator: () => identity,
        validate: () => {
          runs += 1;
          return refuses(data) ? [{ path: [], message: "refused" }] : [];
        },
        remember,
      }),
  };
}

describe("data a schema accepted, remembered", () => {
  it("is accepted again without running the validator, under the same validator only", () => {
    const first = freshValidator(() => false);
    const data = { clients: [{ name: "A" }], n: 1.5 };
    expect(first.check(data)).toEqual([]);
    expect(first.check(structuredClone(data))).toEqual([]);
    expect(first.runs()).toBe(1);
    // Other data, or the same data under another validator, is validated.
    expect(first.check({ ...data, n: 2 })).toEqual([]);
    const second = freshValidator(() => false);
    expect(second.check(data)).toEqual([]);
    expect([first.runs(), second.runs()]).toEqual([2, 1]);
  });

  it("validates refused data, data JSON cannot stand for, and anything not to remember, each time", () => {
    const refusing = freshValidator(() => true);
    const accepting = freshValidator(() => false);
    const dated = { made: new Date(0) };
    const plain = { made: "1970-01-01T00:00:00.000Z" };
    for (let i = 0; i < 2; i++) {
      expect(refusing.check(plain)).toEqual([{ path: [], message: "refused" }]);
      expect(accepting.check(dated)).toEqual([]);
      expect(accepting.check({ zero: -0 })).toEqual([]);
      expect(accepting.check(plain, false)).toEqual([]);
    }
    expect([refusing.runs(), accepting.runs()]).toEqual([2, 6]);
    // Remembering `plain` now does not make the date version count as seen.
    expect(accepting.check(plain)).toEqual([]);
    expect(accepting.check(plain)).toEqual([]);
    expect(accepting.check(dated)).toEqual([]);
    expect(accepting.runs()).toBe(8);
  });

  it("spares a users file Auth0's import schema once accepted, not Auth0's other rules", () => {
    const { users } = readTenantSources({ tenant: DEFAULT_TENANT_FILE });
    const unseen = [...(users as object[]), { email: `${randomUUID()}@example.com` }];
    const before = schemaValidations();
    expect(userFileProblems(unseen, true)).toEqual([]);
    expect(userFileProblems(structuredClone(unseen), true)).toEqual([]);
    expect(schemaValidations()).toBe(before + 1);
    // A reserved app_metadata key is Auth0's rule, checked after the schema: still found.
    const reserved = [{ email: `${randomUUID()}@example.com`, app_metadata: { blocked: true } }];
    for (let i = 0; i < 2; i++) {
      expect(userFileProblems(reserved, true)).toEqual([
        {
          path: [0, "app_metadata", "blocked"],
          message: "Auth0 does not allow this property in app_metadata",
        },
      ]);
    }
    expect(schemaValidations()).toBe(before + 2);
  });
});
