import { describe, expect, it } from "vitest";

import { MAX_FAMILIES_PER_USER_AND_CLIENT, RefreshTokenStore } from "./refresh-tokens.js";
import type { RefreshGrant } from "./refresh-tokens.js";
import type { RefreshTokenPolicy } from "./tenant/tenant-model.js";

const GRANT: RefreshGrant = {
  clientId: "agent",
  sub: "auth0|user",
  audience: undefined,
  scope: ["openid", "offline_access"],
  authorizationDetails: undefined,
  authTime: 1_700_000_000,
};

const ROTATING: RefreshTokenPolicy = {
  rotating: true,
  absoluteLifetimeSeconds: 3_600,
  idleLifetimeSeconds: 600,
  leewaySeconds: 0,
};
const NON_ROTATING: RefreshTokenPolicy = {
  rotating: false,
  absoluteLifetimeSeconds: undefined,
  idleLifetimeSeconds: undefined,
  leewaySeconds: 0,
};

const T0 = Date.parse("2026-01-01T00:00:00Z");

function exchangeOk(store: RefreshTokenStore, token: string, now = T0): string {
  const result = store.exchange(token, GRANT.clientId, now);
  if (!result.ok || result.refreshToken === undefined) throw new Error(JSON.stringify(result));
  return result.refreshToken;
}

describe("RefreshTokenStore", () => {
  it("rotates: each exchange gives a new token, and a used one coming back revokes the family", () => {
    const store = new RefreshTokenStore();
    const first = store.issue(GRANT, ROTATING, T0);
    const second = exchangeOk(store, first);
    const third = exchangeOk(store, second);
    expect(new Set([first, second, third]).size).toBe(3);

    expect(store.exchange(first, "agent", T0)).toEqual({
      ok: false,
      reason: "reuse_revoked_family",
    });
    // Every token of the family is gone, the newest included.
    expect(store.exchange(third, "agent", T0)).toEqual({ ok: false, reason: "unknown" });
    expect(store.size).toBe(0);
  });

  it("lets the token just replaced be exchanged again within the client's leeway only", () => {
    const store = new RefreshTokenStore();
    const first = store.issue(GRANT, { ...ROTATING, leewaySeconds: 3 }, T0);
    exchangeOk(store, first, T0);
    const retry = exchangeOk(store, first, T0 + 2_999);
    exchangeOk(store, retry, T0 + 2_999);
    expect(store.exchange(first, "agent", T0 + 3_000)).toMatchObject({
      reason: "reuse_revoked_family",
    });
  });

  it("lets a non-rotating token be exchanged again and again, without a new one", () => {
    const store = new RefreshTokenStore();
    const token = store.issue(GRANT, NON_ROTATING, T0);
    for (let i = 0; i < 3; i++) {
      expect(store.exchange(token, "agent", T0 + i)).toEqual({
        ok: true,
        grant: GRANT,
        refreshToken: undefined,
      });
    }
  });

  it("ends a family at its idle lifetime, renewed by each exchange, and at its maximum", () => {
    const store = new RefreshTokenStore();
    let token = store.issue(GRANT, ROTATING, T0);
    // Exchanged every 599 s, the family outlives the idle lifetime but not the maximum.
    let now = T0;
    while (now + 599_000 < T0 + 3_600_000) {
      now += 599_000;
      token = exchangeOk(store, token, now);
    }
    expect(store.exchange(token, "agent", T0 + 3_600_000)).toEqual({
      ok: false,
      reason: "unknown",
    });

    const idle = store.issue(GRANT, ROTATING, T0);
    expect(store.exchange(idle, "agent", T0 + 600_000)).toMatchObject({ ok: false });
    expect(store.size).toBe(0);
  });

  it("refuses another client's token without revoking it", () => {
    const store = new RefreshTokenStore();
    const token = store.issue(GRANT, ROTATING, T0);
    expect(store.exchange(token, "other", T0)).toEqual({ ok: false, reason: "another_client" });
    exchangeOk(store, token);
  });

  it.each(["", "short", "!".repeat(65), `${"A".repeat(22)}${"B".repeat(43)}`])(
    "knows nothing of %j",
    (token) => {
      const store = new RefreshTokenStore();
      store.issue(GRANT, ROTATING, T0);
      expect(store.exchange(token, "agent", T0)).toEqual({ ok: false, reason: "unknown" });
      expect(store.size).toBe(1);
    },
  );

  it("keeps at most Auth0's 200 families per person and client, dropping the oldest", () => {
    const store = new RefreshTokenStore();
    const tokens = Array.from({ length: MAX_FAMILIES_PER_USER_AND_CLIENT + 5 }, () =>
      store.issue(GRANT, NON_ROTATING, T0),
    );
    expect(store.size).toBe(MAX_FAMILIES_PER_USER_AND_CLIENT);
    expect(store.exchange(tokens[4] ?? "", "agent", T0)).toMatchObject({ ok: false });
    expect(store.exchange(tokens[5] ?? "", "agent", T0)).toMatchObject({ ok: true });
    store.issue({ ...GRANT, sub: "auth0|other" }, NON_ROTATING, T0);
    expect(store.size).toBe(MAX_FAMILIES_PER_USER_AND_CLIENT + 1);
  });

  it("drops expired families as time passes, whatever is asked", () => {
    const store = new RefreshTokenStore();
    for (let i = 0; i < 10; i++) store.issue(GRANT, ROTATING, T0 + i * 1_000);
    store.exchange("unknown", "agent", T0 + 605_000);
    expect(store.size).toBe(4);
  });
});
