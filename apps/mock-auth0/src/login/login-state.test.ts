import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import type { AuthorizeRequest } from "./authorize-request.js";
import { ExpiringMap, LoginState, MAX_ENTRIES } from "./login-state.js";

const MINUTE = 60_000;
const THREE_DAYS = 3 * 24 * 60 * MINUTE;

describe("LoginState", () => {
  it("keeps a login session in use however many others begin", () => {
    const clock = new ManualClock();
    const state = new LoginState(clock, THREE_DAYS);
    const mine = state.startSession("auth0|me");
    for (let i = 0; i < MAX_ENTRIES + 100; i += 1) {
      state.startSession(`auth0|other-${i}`);
      // The person's browser comes back now and then (prompt=none, a new tab).
      if (i % 1_000 === 0) expect(state.session(mine.id)?.sub).toBe("auth0|me");
    }
    expect(state.session(mine.id)?.sub).toBe("auth0|me");
    clock.advance(THREE_DAYS);
    expect(state.session(mine.id)).toBeUndefined();
  });

  it("keeps a login whose page was opened however many /authorize calls leave theirs unopened", () => {
    const clock = new ManualClock();
    const state = new LoginState(clock, THREE_DAYS);
    // What a transaction reads of its request: the application it is for.
    const request = {
      client: { clientId: "app" },
      redirectUri: "http://localhost:3000/callback",
    } as unknown as AuthorizeRequest;
    const mine = state.startTransaction(request, "my-browser");
    expect(state.openTransaction(mine.id)).toBe(mine);
    const first = state.startTransaction(request, "a crawler");
    for (let i = 0; i < MAX_ENTRIES + 100; i += 1) state.startTransaction(request, "a crawler");
    // The person types their password meanwhile, and posts the form.
    expect(state.transaction(mine.id)).toBe(mine);
    // Unopened logins push out only each other, the oldest first.
    expect(state.transaction(first.id)).toBeUndefined();
    state.endTransaction(mine.id);
    expect(state.transaction(mine.id)).toBeUndefined();
  });
});

describe("ExpiringMap", () => {
  it("drops an expired entry before a live one, then the least recently used", () => {
    const clock = new ManualClock();
    const map = new ExpiringMap<{ expiresAt: number }>(clock);
    map.set("live", { expiresAt: clock.now() + 60 * MINUTE });
    for (let i = 1; i < MAX_ENTRIES; i += 1)
      map.set(`short-${i}`, { expiresAt: clock.now() + MINUTE });
    clock.advance(2 * MINUTE);
    // Full, its least recently used entry live and every other one expired.
    for (let i = 0; i < 10; i += 1) map.set(`new-${i}`, { expiresAt: clock.now() + MINUTE });
    expect(map.get("live")).toBeDefined();
    expect(map.size).toBe(MAX_ENTRIES);

    // None expired: the one least recently set or read goes.
    const fresh = new ExpiringMap<{ expiresAt: number }>(clock);
    for (let i = 0; i < MAX_ENTRIES; i += 1)
      fresh.set(`k${i}`, { expiresAt: clock.now() + MINUTE });
    expect(fresh.get("k0")).toBeDefined();
    fresh.set("one-more", { expiresAt: clock.now() + MINUTE });
    expect(fresh.get("k0")).toBeDefined();
    expect(fresh.get("k1")).toBeUndefined();
    expect(fresh.size).toBe(MAX_ENTRIES);
  });

  it("forgets an entry once it expires, and a taken one", () => {
    const clock = new ManualClock();
    const map = new ExpiringMap<{ expiresAt: number }>(clock);
    map.set("a", { expiresAt: clock.now() + MINUTE });
    map.set("b", { expiresAt: clock.now() + MINUTE });
    expect(map.take("a")).toBeDefined();
    expect(map.get("a")).toBeUndefined();
    clock.advance(MINUTE);
    expect(map.get("b")).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
