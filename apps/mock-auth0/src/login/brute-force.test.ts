import { ManualClock } from "@ciba-testbed/shared";
import { hashSync } from "bcryptjs";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { AGENT, combine, createHarness, withUser } from "../test-support/harness.js";
import { BruteForceProtection, MAX_TRACKED } from "./brute-force.js";
import type { TenantChanges } from "../tenant/load-tenant.js";
import { LoginBrowser } from "../test-support/login-browser.js";

const SECOND = "auth0|second-user";
const PASSWORD = "correct horse battery staple";
const LOGIN = {
  client_id: AGENT.id,
  redirect_uri: "http://localhost:3000/auth/callback",
  response_type: "code",
  scope: "openid",
  state: "s1",
};
const BLOCKED =
  "Your account has been blocked after multiple consecutive login attempts. We&#39;ve sent you an email with instructions on how to unblock it.";

const withPassword = withUser("second-user", (user) => ({
  ...user,
  password_hash: hashSync(PASSWORD, 4),
}));

const withBruteForce = (bruteForceProtection: Record<string, unknown>): TenantChanges => ({
  settings: (settings) => ({ ...settings, attackProtection: { bruteForceProtection } }),
});

/** `count` wrong passwords for the second user in one login transaction. */
async function guess(browser: LoginBrowser, state: string, count: number) {
  const statuses = [];
  for (let i = 0; i < count; i += 1) {
    const response = await browser.post("/u/login", { state, user: SECOND, password: `guess${i}` });
    statuses.push(response.status);
  }
  return statuses;
}

describe("brute-force protection on the login page", () => {
  it("blocks a user's logins from an address after 10 wrong passwords, the right one too", async () => {
    const { app } = await createHarness(withPassword);
    const browser = new LoginBrowser(app);
    const state = await browser.startLogin(LOGIN);

    expect(await guess(browser, state, 10)).toEqual(Array(10).fill(400));
    const eleventh = await browser.post("/u/login", { state, user: SECOND, password: "guess10" });
    expect(eleventh.status).toBe(429);
    expect(eleventh.text).toContain(BLOCKED);
    const right = await browser.post("/u/login", { state, user: SECOND, password: PASSWORD });
    expect(right.status).toBe(429);
    expect(right.headers.location).toBeUndefined();
    expect(right.text).toContain(BLOCKED);

    // A new login transaction changes nothing: the count is per user and address.
    const again = await browser.startLogin(LOGIN);
    const retry = await browser.post("/u/login", {
      state: again,
      user: SECOND,
      password: PASSWORD,
    });
    expect(retry.status).toBe(429);

    // Another user from the same address is not blocked.
    const other = await browser.post("/u/login", { state: again, user: "auth0|testbed-user" });
    expect(other.status).toBe(302);
  });

  it("lists the block in the control API and lets the user in once it is removed", async () => {
    const { app } = await createHarness(withPassword);
    const browser = new LoginBrowser(app);
    const state = await browser.startLogin(LOGIN);
    await guess(browser, state, 10);

    const listed = await request(app).get(`/admin/user-blocks/${SECOND}`).expect(200);
    expect(listed.body).toEqual({
      blocked_for: [{ identifier: "second@example.com", ip: expect.any(String) as string }],
    });
    await request(app).delete(`/admin/user-blocks/${SECOND}`).expect(204);
    expect((await request(app).get(`/admin/user-blocks/${SECOND}`)).body).toEqual({
      blocked_for: [],
    });
    await request(app).delete("/admin/user-blocks/auth0|nobody").expect(404);

    const right = await browser.post("/u/login", { state, user: SECOND, password: PASSWORD });
    expect(right.status).toBe(302);
    expect(new URL(String(right.headers.location)).searchParams.get("code")).toBeTruthy();
  });

  it("ends a block after 30 days, and a successful login resets the count", async () => {
    const { app, clock } = await createHarness(withPassword);
    const browser = new LoginBrowser(app);
    const state = await browser.startLogin(LOGIN);
    await guess(browser, state, 9);
    expect(
      (await browser.post("/u/login", { state, user: SECOND, password: PASSWORD })).status,
    ).toBe(302);
    const next = await browser.startLogin({ ...LOGIN, prompt: "login" });
    expect(await guess(browser, next, 10)).toEqual(Array(10).fill(400));
    expect(
      (await browser.post("/u/login", { state: next, user: SECOND, password: PASSWORD })).status,
    ).toBe(429);

    clock.advance(30 * 24 * 3_600_000);
    const later = await browser.startLogin({ ...LOGIN, prompt: "login" });
    expect(
      (await browser.post("/u/login", { state: later, user: SECOND, password: PASSWORD })).status,
    ).toBe(302);
  });

  it("checks at most max_attempts passwords for guesses sent together", async () => {
    const { app } = await createHarness(withPassword);
    const browser = new LoginBrowser(app);
    const state = await browser.startLogin(LOGIN);
    const forms = [
      ...Array.from({ length: 30 }, (_, i) => ({ state, user: SECOND, password: `guess${i}` })),
      { state, user: SECOND, password: PASSWORD },
    ];
    const statuses = (await Promise.all(forms.map((form) => browser.post("/u/login", form)))).map(
      (response) => response.status,
    );
    const counted: Record<number, number> = {};
    for (const status of statuses) counted[status] = (counted[status] ?? 0) + 1;
    // Ten passwords checked in all: ten wrong ones, or nine and the right one, which resets
    // the count.
    expect(counted[400]! + (counted[302] ?? 0)).toBe(10);
    expect(counted[429]).toBe(21);
    if (counted[302] === undefined) {
      const right = await browser.post("/u/login", { state, user: SECOND, password: PASSWORD });
      expect(right.status).toBe(429);
    }
  });

  it("follows the tenant's max_attempts, and none when it is turned off", async () => {
    const three = await createHarness(combine(withPassword, withBruteForce({ maxAttempts: 3 })));
    const browser = new LoginBrowser(three.app);
    const state = await browser.startLogin(LOGIN);
    expect(await guess(browser, state, 4)).toEqual([400, 400, 400, 429]);

    const off = await createHarness(combine(withPassword, withBruteForce({ enabled: false })));
    const free = new LoginBrowser(off.app);
    const open = await free.startLogin(LOGIN);
    expect(await guess(free, open, 25)).toEqual(Array(25).fill(400));
    expect(
      (await free.post("/u/login", { state: open, user: SECOND, password: PASSWORD })).status,
    ).toBe(302);
  });
});

describe("BruteForceProtection", () => {
  const settings = { enabled: true, maxAttempts: 10 };

  it("counts an attempt from when it is made, and a success resets the count", () => {
    const guard = new BruteForceProtection(new ManualClock(), settings);
    const allowed = Array.from({ length: 30 }, () => guard.tryAttempt("auth0|a", "1.2.3.4"));
    expect(allowed.filter(Boolean)).toHaveLength(10);
    expect(guard.isBlocked("auth0|a", "1.2.3.4")).toBe(false);
    for (let i = 0; i < 9; i += 1) guard.settle("auth0|a", "1.2.3.4", false);
    // The tenth is the right password: the count starts again.
    guard.settle("auth0|a", "1.2.3.4", true);
    expect(guard.isBlocked("auth0|a", "1.2.3.4")).toBe(false);
    expect(guard.tryAttempt("auth0|a", "1.2.3.4")).toBe(true);
    // Another address is counted apart.
    expect(guard.tryAttempt("auth0|a", "5.6.7.8")).toBe(true);
  });

  it("keeps a block while other pairs fill the table, and drops lifted blocks first", () => {
    const clock = new ManualClock();
    const guard = new BruteForceProtection(clock, settings);
    const fail = (user: string, ip: string) => {
      expect(guard.tryAttempt(user, ip)).toBe(true);
      guard.settle(user, ip, false);
    };
    for (let i = 0; i < 10; i += 1) fail("auth0|blocked", "1.2.3.4");
    expect(guard.isBlocked("auth0|blocked", "1.2.3.4")).toBe(true);
    for (let i = 0; i < MAX_TRACKED + 100; i += 1) fail("auth0|other", `10.0.${i >> 8}.${i & 255}`);
    expect(guard.isBlocked("auth0|blocked", "1.2.3.4")).toBe(true);
    expect(guard.blocks("auth0|blocked")).toEqual([{ identifier: "auth0|blocked", ip: "1.2.3.4" }]);

    // A table of blocks only: an expired one makes room before a live one.
    const full = new BruteForceProtection(clock, { enabled: true, maxAttempts: 1 });
    const block = (ip: string) => {
      expect(full.tryAttempt("auth0|u", ip)).toBe(true);
      full.settle("auth0|u", ip, false);
    };
    block("old");
    clock.advance(30 * 24 * 3_600_000);
    for (let i = 0; i < MAX_TRACKED; i += 1) block(`ip${i}`);
    expect(full.blocks("auth0|u")).toHaveLength(MAX_TRACKED);
    expect(full.isBlocked("auth0|u", "ip0")).toBe(true);
  });
});
