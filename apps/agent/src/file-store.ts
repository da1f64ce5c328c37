import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

import type { AgentStore } from "./agent-store.js";
import { isStale, type Lease } from "./lease.js";

/**
 * One JSON file per key. A write goes to a temporary file that is flushed and renamed over the
 * old one, so a process killed at any moment leaves either the old or the new value, never a
 * torn file. Files are readable by their owner only: one may briefly hold credentials.
 */
export function createFileStore(dir: string): AgentStore & { keys(): Promise<string[]> } {
  const fileOf = (key: string) => path.join(dir, `${encodeURIComponent(key)}.json`);
  // Operations on one key run in order: the Auth0 SDK does not await some of its writes.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, operation: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  };

  return {
    get: (key) =>
      serial(key, async () => {
        try {
          return JSON.parse(await readFile(fileOf(key), "utf8")) as unknown;
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    put: (key, value) =>
      serial(key, async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const file = fileOf(key);
        const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
        const handle = await open(temporary, "wx", 0o600);
        try {
          await handle.writeFile(JSON.stringify(value));
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, file);
      }),
    delete: (key) => serial(key, () => rm(fileOf(key), { force: true })),
    claim: async (key, lease, now) => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = `${fileOf(key)}.lease`;
      // Creating with O_EXCL is atomic: of two claimers, exactly one succeeds.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const handle = await open(file, "wx", 0o600);
          try {
            await handle.writeFile(JSON.stringify(lease));
          } finally {
            await handle.close();
          }
          return undefined;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = await readLease(file);
        if (holder !== undefined && !isStale(holder, now, hostname())) return holder;
        await rm(file, { force: true });
      }
      return readLease(file);
    },
    release: async (key, owner) => {
      const file = `${fileOf(key)}.lease`;
      if ((await readLease(file))?.owner === owner) await rm(file, { force: true });
    },
    keys: async () => {
      try {
        return (await readdir(dir))
          .filter((name) => name.endsWith(".json"))
          .map((name) => decodeURIComponent(name.slice(0, -".json".length)));
      } catch (error) {
        if (isNotFound(error)) return [];
        throw error;
      }
    },
  };
}

async function readLease(file: string): Promise<Lease | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Lease;
  } catch {
    // Missing, or torn by a crash between create and write: either way nobody holds it.
    return undefined;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
