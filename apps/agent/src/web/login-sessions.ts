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
 * connect-redis has the same three methods) and the same AUTH0_SECRET.
 *
 * Entries are kept as JSON text, as a shared store keeps them: two requests of one session never
 * share an object. An ended session leaves a mark until its `exp` that no write of its id passes
 * (see `set`; a shared store needs the same). An entry is dropped at its `exp` (seconds), and the
 * least recently used one when MAX_LOGIN_SESSIONS are kept; a Map iterates in insertion order,
 * and every write moves its entry to the end, so both are found at the front.
 */
export class LoginSessions {
  /** Sessions by id, as JSON text; `text` undefined once it ended (see `destroy`). */
  private readonly entries = new Map<string, { text: string | undefined; expiresAt: number }>();

  constructor(
    private readonly clock: Pick<Clock, "now">,
    private readonly capacity = MAX_LOGIN_SESSIONS,
  ) {}

  /** Entries kept, the ended sessions' marks among them. */
  get size(): number {
    return this.entries.size;
  }

  get(id: string, done: (error: unknown, session?: StoredSession | null) => void): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.expiresAt <= this.clock.now()) {
      this.entries.delete(id);
      done(null, null);
      return;
    }
    done(null, entry.text === undefined ? null : (JSON.parse(entry.text) as StoredSession));
  }

  /**
   * Keeps the session, unless it ended: a request that read it before the logout and ends after
   * it (a chat waiting in block mode for the person's answer) writes it back as it read it, and
   * must not bring it back to life. A login gets a new id instead, so no living session needs an
   * ended one's.
   */
  set(id: string, session: StoredSession, done?: Done): void {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.text === undefined && entry.expiresAt > this.clock.now()) {
      done?.();
      return;
    }
    this.entries.delete(id);
    this.entries.set(id, { text: JSON.stringify(session), expiresAt: session.header.exp * 1000 });
    this.prune();
    done?.();
  }

  /** Ends the session: its mark stays until the session would have expired (see `set`). */
  destroy(id: string, done?: Done): void {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry?.text !== undefined && entry.expiresAt > this.clock.now()) {
      this.entries.set(id, { text: undefined, expiresAt: entry.expiresAt });
      this.prune();
    }
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
