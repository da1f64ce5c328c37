import { hostname } from "node:os";

import { isStale, type Lease } from "./lease.js";

/**
 * Where the agent keeps what must outlive a process: approval requests, purchase records and,
 * briefly, the credentials of an approved purchase. Keys are `/`-separated strings and values
 * JSON, so a shared store (Redis `GET`/`SET`/`DEL`, a database table) can implement it for
 * agents that resume on another machine.
 */
export interface AgentStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Takes `key` for `lease.owner` unless a live lease holds it (Redis: `SET key NX PX`).
   * Resolves to undefined when claimed, else to the holder.
   */
  claim(key: string, lease: Lease, now: number): Promise<Lease | undefined>;
  /** Gives `key` up if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

export function createMemoryStore(): AgentStore & { keys(): string[] } {
  const values = new Map<string, string>();
  const leases = new Map<string, Lease>();
  return {
    get: (key) => {
      const value = values.get(key);
      return Promise.resolve(value === undefined ? undefined : (JSON.parse(value) as unknown));
    },
    put: (key, value) => {
      values.set(key, JSON.stringify(value));
      return Promise.resolve();
    },
    delete: (key) => {
      values.delete(key);
      return Promise.resolve();
    },
    claim: (key, lease, now) => {
      const holder = leases.get(key);
      if (holder !== undefined && !isStale(holder, now, hostname())) return Promise.resolve(holder);
      leases.set(key, lease);
      return Promise.resolve(undefined);
    },
    release: (key, owner) => {
      if (leases.get(key)?.owner === owner) leases.delete(key);
      return Promise.resolve();
    },
    keys: () => [...values.keys()],
  };
}
