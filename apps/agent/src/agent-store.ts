import { hostname } from "node:os";

import type { AgentWarning } from "./agent-event.js";
import { isStale, type Claim, type Lease, type LeaseRequest } from "./lease.js";
import { parseEntry, type EntrySchema } from "./store-entry.js";

/**
 * Where the agent keeps what must outlive a process: approval requests and purchase records.
 * Keys are `/`-separated strings and values JSON, so a shared store can implement it for
 * agents that resume on another machine: the file store (one disk) and the Redis store.
 *
 * A lease ends when `isStale` says its holder is gone, or when it is released; a store may
 * also end it on its own (Redis gives a lease a short TTL that its holder keeps renewing, so
 * a holder that died on another machine frees it). `holds` is then false for it.
 */
export interface AgentStore {
  /** The entry at `key` if it matches `schema`; throws StoreEntryError when it does not. */
  get<T>(key: string, schema: EntrySchema<T>): Promise<T | undefined>;
  /**
   * Writes `value` at `key`. With `options.heldBy`, only while that lease still holds its key,
   * checked and written as one step: rejects with LeaseNotHeldError, writing nothing, once
   * another process has claimed it (or it was released, or expired in a store that ends it).
   */
  put(key: string, value: unknown, options?: PutOptions): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Takes `key` unless a live lease holds it (`isStale` says when one no longer does). A
   * granted lease carries a fencing token larger than that of any earlier claim of `key`
   * (since `forgetLease`, in a store that has it).
   */
  claim(key: string, request: LeaseRequest, now: number): Promise<Claim>;
  /** True while `lease` is the latest claim of `key` and has not been released. */
  holds(key: string, lease: Lease): Promise<boolean>;
  /** Gives `key` up if `lease` still holds it. */
  release(key: string, lease: Lease): Promise<void>;
  /**
   * Drops what the store keeps of `key`'s lease, its fencing counter too, unless a lease holds
   * the key: for a caller that forgets the data the lease guarded with it (the web app's chats,
   * see KeptChats), so that forgetting leaves nothing behind. The next claim of `key` starts
   * from the first token again, which lets no earlier holder in: they all released the key,
   * and a lease is told apart by its owner as well as its token.
   */
  forgetLease?(key: string): Promise<void>;
  /**
   * Why a thread the agent was asked about is not in the store, when the store can tell:
   * `lost` when it holds no data at all (a Redis restarted without persistence).
   */
  explainMissing?(): Promise<{ lost: boolean; message: string }>;
  /**
   * What the person should know about the store before a run relies on it (a Redis that evicts
   * keys when full); it refuses nothing.
   */
  warnings?(): Promise<AgentWarning[]>;
  /** Ends the store's connections; nothing is written after it. */
  close?(): Promise<void>;
}

export interface PutOptions {
  /**
   * Epoch milliseconds until which the entry must stay readable; a store may drop it after.
   * Without it the store keeps the entry as long as it keeps anything.
   */
  keepUntil?: number;
  /**
   * The writer's lease and the key it holds: a holder that stalled past its lease (a frozen
   * process, a slow network) cannot write over what the process that took over recorded.
   */
  heldBy?: { key: string; lease: Lease };
}

/** A write under a lease that no longer holds its key; nothing was written. */
export class LeaseNotHeldError extends Error {
  constructor(readonly key: string) {
    super(`The lease ${key} is no longer held by this writer`);
    this.name = "LeaseNotHeldError";
  }
}

export function createMemoryStore(): AgentStore & {
  keys(): string[];
  /** The keys whose lease the store keeps a record of, held or released. */
  leaseKeys(): string[];
} {
  const values = new Map<string, string>();
  const leases = new Map<string, { token: number; current: Lease | undefined }>();
  const place = (key: string) => ({
    key,
    location: `the in-memory entry ${key}`,
    removal: "the agent again (this store lives in memory only)",
  });
  return {
    // A bad entry rejects, as a store's read does, rather than throwing at the call.
    get: (key, schema) =>
      Promise.resolve().then(() => {
        const text = values.get(key);
        return text === undefined ? undefined : parseEntry(schema, text, place(key));
      }),
    put: (key, value, options = {}) => {
      const { heldBy } = options;
      if (heldBy !== undefined && !sameLease(leases.get(heldBy.key)?.current, heldBy.lease)) {
        return Promise.reject(new LeaseNotHeldError(heldBy.key));
      }
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
    forgetLease: (key) => {
      if (leases.get(key)?.current === undefined) leases.delete(key);
      return Promise.resolve();
    },
    keys: () => [...values.keys()],
    leaseKeys: () => [...leases.keys()],
  };
}

export function sameLease(a: Lease | undefined, b: Lease): boolean {
  return a?.token === b.token && a.owner === b.owner;
}
