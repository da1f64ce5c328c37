import { hostname } from "node:os";

import { isStale, type Claim, type Lease, type LeaseRequest } from "./lease.js";
import { parseEntry, type EntrySchema } from "./store-entry.js";

/**
 * Where the agent keeps what must outlive a process: approval requests and purchase records.
 * Keys are `/`-separated strings and values JSON, so a shared store (Redis, a database table)
 * can implement it for agents that resume on another machine.
 *
 * Leases, with Redis as the example: `claim` takes `token = INCR <key>:token` and then
 * `SET <key> <lease> NX`; a holder that `isStale` judges gone is replaced by a Lua
 * compare-and-set on its token, so of two claimers that saw it stale only one wins. `holds` is
 * a `GET` that compares tokens, `release` a compare-and-delete. Leases are not given a TTL:
 * expiry only allows another claim, and `holds` stays true until one happens.
 */
export interface AgentStore {
  /** The entry at `key` if it matches `schema`; throws StoreEntryError when it does not. */
  get<T>(key: string, schema: EntrySchema<T>): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Takes `key` unless a live lease holds it (`isStale` says when one no longer does). A
   * granted lease carries a fencing token larger than that of any earlier claim of `key`.
   */
  claim(key: string, request: LeaseRequest, now: number): Promise<Claim>;
  /** True while `lease` is the latest claim of `key` and has not been released. */
  holds(key: string, lease: Lease): Promise<boolean>;
  /** Gives `key` up if `lease` still holds it. */
  release(key: string, lease: Lease): Promise<void>;
}

export function createMemoryStore(): AgentStore & { keys(): string[] } {
  const values = new Map<string, string>();
  const leases = new Map<string, { token: number; current: Lease | undefined }>();
  const place = (key: string) => ({
    key,
    location: `the in-memory entry ${key}`,
    removal: "the agent again (this store lives in memory only)",
  });
  return {
    get: (key, schema) => {
      const text = values.get(key);
      return Promise.resolve(text === undefined ? undefined : parseEntry(schema, text, place(key)));
    },
    put: (key, value) => {
      values.set(key, JSON.stringify(value));
      return Promise.resolve();
    },
    delete: (key) => {
      values.delete(key);
      return Promise.resolve();
    },
    claim: (key, request, now) => {
      const entry = leases.get(key) ?? { token: 0, current: undefined };
      const holder = entry.current;
      if (holder !== undefined && !isStale(holder, now, hostname())) {
        return Promise.resolve({ granted: false, holder });
      }
      const lease = { ...request, token: entry.token + 1 };
      leases.set(key, { token: lease.token, current: lease });
      return Promise.resolve({ granted: true, lease });
    },
    holds: (key, lease) => Promise.resolve(sameLease(leases.get(key)?.current, lease)),
    release: (key, lease) => {
      const entry = leases.get(key);
      if (entry !== undefined && sameLease(entry.current, lease)) entry.current = undefined;
      return Promise.resolve();
    },
    keys: () => [...values.keys()],
  };
}

export function sameLease(a: Lease | undefined, b: Lease): boolean {
  return a?.token === b.token && a.owner === b.owner;
}
