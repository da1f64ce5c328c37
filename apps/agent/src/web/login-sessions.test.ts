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
    sessions.set("s1", session(clock, 60));
    clock.advance(59_999);
    expect(await read(sessions, "s1")).toMatchObject({
      data: { id_token: "token-of-auth0|buyer" },
    });
    clock.advance(1);
    expect(await read(sessions, "s1")).toBeNull();
    expect(sessions.size).toBe(0);
  });

  it("has nothing for a destroyed session, and each reader gets its own copy", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock);
    sessions.set("s1", session(clock, 60));
    const first = await read(sessions, "s1");
    (first!.data as Record<string, unknown>).id_token = "changed by one request";
    expect(await read(sessions, "s1")).toMatchObject({
      data: { id_token: "token-of-auth0|buyer" },
    });

    let called = false;
    sessions.destroy("s1", () => (called = true));
    expect(called).toBe(true);
    expect(await read(sessions, "s1")).toBeNull();
  });

  it("does not bring an ended session back when a request that read it before the logout writes it after", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock);
    sessions.set("s1", session(clock, 600));
    const read1 = await read(sessions, "s1");
    sessions.destroy("s1");
    // The chat that read it ends now, and the SDK writes the session it read back.
    sessions.set("s1", read1!);
    expect(await read(sessions, "s1")).toBeNull();
    // A new login gets another id, which is kept.
    sessions.set("s2", session(clock, 600));
    expect(await read(sessions, "s2")).not.toBeNull();
    // The mark goes when the session would have expired.
    clock.advance(600_000);
    sessions.set("s3", session(clock, 600));
    expect(sessions.size).toBe(1);
  });

  it("drops the least recently written session past its capacity, and the expired ones before it", async () => {
    const clock = new ManualClock();
    const sessions = new LoginSessions(clock, 3);
    sessions.set("a", session(clock, 60));
    sessions.set("b", session(clock, 600));
    sessions.set("c", session(clock, 600));
    // A request of `a` writes it again (a rolling session): `b` is now the oldest.
    sessions.set("a", session(clock, 60));
    sessions.set("d", session(clock, 600));
    expect(await Promise.all(["a", "b", "c", "d"].map((id) => read(sessions, id)))).toEqual([
      expect.anything(),
      null,
      expect.anything(),
      expect.anything(),
    ]);

    // A write also drops the expired sessions it finds first: here all the others.
    clock.advance(600_000);
    sessions.set("e", session(clock, 600));
    expect(sessions.size).toBe(1);
    expect(await read(sessions, "e")).not.toBeNull();
  });
});
