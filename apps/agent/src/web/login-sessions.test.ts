import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";

import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { LoginSessions, type StoredSession } from "./login-sessions.js";

/** A session as the SDK stores it, ending `seconds` after the clock's now. */
function session(clock: ManualClock, seconds: number, sub = "auth0|buyer"): StoredSession {
  const now = Math.floor(clock.now() / 1000);
  return {
    header: { iat: now, uat: now, exp: now + seconds },
    data: { id_token: `token-of-${sub}` } as StoredSession["data"],
    cookie: { expires: (now + seconds) * 1000, maxAge: seconds * 1000 },
  };
}

/** `read` as the SDK writes it back when its request ends: used now, for `seconds` more. */
function writtenBack(read: StoredSession, clock: ManualClock, seconds = 600): StoredSession {
  const now = Math.floor(clock.now() / 1000);
  return { ...read, header: { ...read.header, uat: now, exp: now + seconds } };
}

const read = (sessions: LoginSessions, id: string) =>
  new Promise<StoredSession | null | undefined>((resolve) => {
    sessions.get(id, (error, found) => {
      expect(error).toBeNull();
      resolve(found);
    });
  });

describe("the web app's login sessions", () => {
  it("keeps a session until its exp, then has none", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock);
    const s1 = sessions.genid();
    sessions.set(s1, session(clock, 60));
    clock.advance(59_999);
    expect(await read(sessions, s1)).toMatchObject({
      data: { id_token: "token-of-auth0|buyer" },
    });
    clock.advance(1);
    expect(await read(sessions, s1)).toBeNull();
    expect(sessions.size).toBe(0);
  });

  it("has nothing for a destroyed session, and each reader gets its own copy", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock);
    const s1 = sessions.genid();
    sessions.set(s1, session(clock, 60));
    const first = await read(sessions, s1);
    (first!.data as Record<string, unknown>).id_token = "changed by one request";
    expect(await read(sessions, s1)).toMatchObject({
      data: { id_token: "token-of-auth0|buyer" },
    });

    let called = false;
    sessions.destroy(s1, () => (called = true));
    expect(called).toBe(true);
    expect(await read(sessions, s1)).toBeNull();
  });

  it.each([
    // A request with the logged-out cookie ends first (the SDK destroys its id again), then the
    // one that read the session before the logout: a chat held open, its body still coming.
    ["the request with the ended cookie ends first", ["destroy", "set"]],
    ["the request that read it ends first", ["set", "destroy"]],
    ["several of each", ["destroy", "set", "destroy", "destroy", "set"]],
  ] as const)(
    "does not bring a logged-out session back when a request that read it before writes it after (%s)",
    async (_what, after) => {
      const clock = new ManualClock();
      const sessions = new LoginSessions(clock, 3);
      const s1 = sessions.genid();
      sessions.set(s1, session(clock, 600));
      const readBefore = await read(sessions, s1);
      sessions.destroy(s1); // the logout
      for (const call of after) {
        // A request with a copy of the cookie reads nothing, and the SDK destroys the id.
        expect(await read(sessions, s1)).toBeNull();
        if (call === "destroy") sessions.destroy(s1);
        // The request that read it ends, and the SDK writes the session it read back.
        else sessions.set(s1, writtenBack(readBefore!, clock));
      }
      expect(await read(sessions, s1)).toBeNull();
      expect(sessions.size).toBe(0);

      // Nor later, whatever was dropped meanwhile: past the session's exp, and past the capacity.
      clock.advance(3_600_000);
      for (let i = 0; i < 5; i += 1) sessions.set(sessions.genid(), session(clock, 600));
      sessions.set(s1, writtenBack(readBefore!, clock));
      expect(await read(sessions, s1)).toBeNull();

      // A new login gets another id, which is kept.
      const s2 = sessions.genid();
      expect(s2).not.toBe(s1);
      sessions.set(s2, session(clock, 600));
      expect(await read(sessions, s2)).not.toBeNull();
    },
  );

  it("makes a session only under an id it gave out, and only while its request lasts", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock);
    // An id it never gave out (a cookie's, known from a log or another store) stays empty.
    sessions.set("0123456789abcdef0123456789abcdef", session(clock, 600));
    expect(await read(sessions, "0123456789abcdef0123456789abcdef")).toBeNull();

    const res = new PassThrough();
    const given = sessions.genid({ res });
    expect(given).toMatch(/^[0-9a-f]{32}$/);
    res.end();
    res.resume();
    await finished(res);
    sessions.set(given, session(clock, 600));
    expect(await read(sessions, given)).toBeNull();
    expect(sessions.size).toBe(0);

    // Ids given out and not written are bounded too: the oldest go past the capacity.
    const bounded = new LoginSessions(clock, 2);
    const [first, second, third] = [bounded.genid(), bounded.genid(), bounded.genid()];
    for (const id of [first, second, third]) bounded.set(id, session(clock, 600));
    expect(await read(bounded, first)).toBeNull();
    expect(await read(bounded, second)).not.toBeNull();
    expect(await read(bounded, third)).not.toBeNull();
  });

  it("drops the least recently written session past its capacity, and the expired ones before it", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock, 3);
    const logIn = (seconds: number) => {
      const id = sessions.genid();
      sessions.set(id, session(clock, seconds));
      return id;
    };
    const a = logIn(60);
    const b = logIn(600);
    const c = logIn(600);
    // A request of `a` writes it again (a rolling session): `b` is now the oldest.
    sessions.set(a, session(clock, 60));
    const d = logIn(600);
    expect(await Promise.all([a, b, c, d].map((id) => read(sessions, id)))).toEqual([
      expect.anything(),
      null,
      expect.anything(),
      expect.anything(),
    ]);

    // A write also drops the expired sessions it finds first: here all the others.
    clock.advance(600_000);
    const e = logIn(600);
    expect(sessions.size).toBe(1);
    expect(await read(sessions, e)).not.toBeNull();
  });
});
