import { randomBytes } from "node:crypto";
import { finished } from "node:stream";

import type { Clock } from "@ciba-testbed/shared";
import type { auth } from "express-openid-connect";

type SessionStore = NonNullable<NonNullable<Parameters<typeof auth>[0]>["session"]>["store"];

/** What express-openid-connect hands its `session.store`: the session and when it ends. */
export type StoredSession = Parameters<NonNullable<SessionStore>["set"]>[1];

type Done = (error?: unknown) => void;

/** Sessions kept at most, least recently used dropped first: a bound on memory, not a policy. */
export const MAX_LOGIN_SESSIONS = 10_000;

/**
 * The web app's login sessions, for express-openid-connect's `session.store`: in this process's
 * memory, beside the chats (a restart ends both, and the person logs in again). With a store,
 * the `appSession` cookie carries only the session's id, signed with AUTH0_SECRET; the session
 * is here. So logging out ends it for every copy of the cookie: the SDK destroys the entry, and
 * a cookie copied before the logout finds nothing. The SDK's default keeps the whole session
 * encrypted in the cookie instead, and such a cookie stays valid wherever it was copied until it
 * expires, logout or not (a day after its last use, up to seven, with the SDK's durations). A
 * login without a session, or as another person, gets a new id: an id known before it is worth
 * nothing after it.
 *
 * Several instances of the app need a store they share (an express-session store such as
 * connect-redis has the same three methods), which writes as this one does (below), and the same
 * AUTH0_SECRET.
 *
 * Entries are kept as JSON text, as a shared store keeps them: two requests of one session never
 * share an object. An entry is dropped at its `exp` (seconds), and the least recently used one
 * when MAX_LOGIN_SESSIONS are kept; a Map iterates in insertion order, and every write moves its
 * entry to the end, so both are found at the front.
 *
 * A write makes a session only under an id this store gave out for it (`genid`, the SDK's
 * `session.genid`, which the SDK calls for a request without a session and at a login); any
 * other write replaces a session still kept, or does nothing. The SDK writes a request's session
 * back as the request read it when the request ends, and a request that read it before the
 * logout can end after it: a chat waiting in block mode for the person's answer, or one whose
 * body is still coming. So a session that ended (a logout, its `exp`, or dropped past the
 * capacity) stays ended for good, whatever order the SDK's reads, writes and destroys come in,
 * with nothing kept for it. A shared store needs the same rule: Redis's `SET ... XX` writes only
 * a key it keeps, and an id just given out is known to the instance that gave it.
 */
export class LoginSessions {
  /** Sessions by id, as JSON text. */
  private readonly entries = new Map<string, { text: string; expiresAt: number }>();
  /** Ids `genid` gave out that no session was written under yet, until their request ends. */
  private readonly unwritten = new Set<string>();

  constructor(
    private readonly clock: Pick<Clock, "now">,
    private readonly capacity = MAX_LOGIN_SESSIONS,
  ) {}

  /** Sessions kept. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * A new session id, as the SDK's own (16 random bytes, hex), that a session may be written
   * under while `req` lasts: the SDK asks for one for every request without a session cookie,
   * and writes under it only at a login's callback. Without a request (a test's login), until it is written
   * or MAX_LOGIN_SESSIONS more are given out. Passed to the SDK as it is (`session.genid`).
   */
  readonly genid = (req?: { res?: NodeJS.WritableStream | undefined }): string => {
    const id = randomBytes(16).toString("hex");
    this.unwritten.add(id);
    if (req?.res !== undefined) finished(req.res, () => this.unwritten.delete(id));
    for (const oldest of this.unwritten) {
      if (this.unwritten.size <= this.capacity) break;
      this.unwritten.delete(oldest);
    }
    return id;
  };

  get(id: string, done: (error: unknown, session?: StoredSession | null) => void): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.expiresAt <= this.clock.now()) {
      this.entries.delete(id);
      done(null, null);
      return;
    }
    done(null, JSON.parse(entry.text) as StoredSession);
  }

  /**
   * Keeps the session under an id `genid` gave out (a login), or in place of the one kept under
   * `id`; else does nothing: the session ended, and a request that read it before writes it back
   * as it read it, which must not bring it back to life. A login gets a new id instead.
   */
  set(id: string, session: StoredSession, done?: Done): void {
    const kept = this.entries.get(id);
    if (this.unwritten.delete(id) || (kept !== undefined && kept.expiresAt > this.clock.now())) {
      this.entries.delete(id);
      this.entries.set(id, { text: JSON.stringify(session), expiresAt: session.header.exp * 1000 });
      this.prune();
    }
    done?.();
  }

  /** Ends the session: no write brings it back (see `set`). */
  destroy(id: string, done?: Done): void {
    this.entries.delete(id);
    this.unwritten.delete(id);
    done?.();
  }

  /** Drops the expired entries at the front and, past the capacity, the least recently used. */
  private prune(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.capacity) break;
      this.entries.delete(id);
    }
  }
}
