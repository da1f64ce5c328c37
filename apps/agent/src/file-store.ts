import { randomBytes } from "node:crypto";
import { link, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";

import { makeFolder } from "@ciba-testbed/shared/node";
import { z } from "zod";

import { LeaseNotHeldError, sameLease, type AgentStore } from "./agent-store.js";
import { isStale, leaseSchema, type Lease } from "./lease.js";
import { entryError, parseEntry, shellQuote, type EntryPlace } from "./store-entry.js";

const releasedSchema = z.object({ token: z.number().int().positive(), released: z.literal(true) });
const generationSchema = z.union([leaseSchema, releasedSchema.strict()]);
type Generation = Lease | { token: number; released: true };

const GENERATION_NAME = /^[1-9]\d{0,15}$/;
const TEMPORARY_NAME = /^\.([1-9]\d{0,15})\.[0-9a-f]+\.tmp$/;
/** Each failed attempt means another process changed the lease meanwhile; this many in a row is a fault. */
const MAX_CLAIM_ATTEMPTS = 100;

/**
 * One JSON file per key. A write goes to a temporary file that is flushed and renamed over the
 * old one, so a process killed at any moment leaves either the old or the new value, never a
 * torn file. Files are readable by their owner only.
 *
 * A lease is a directory of numbered generations (`<key>.lease/1`, `2`, ...). The highest one
 * is the lease's state: a holder, or a release. Every change (claim, takeover, release) writes
 * the next generation in full to a temporary file and `link`s it into place; `link` never
 * replaces a file, so of two processes that saw the same state exactly one makes the next, and
 * a reader never sees a generation before its content. The generation number is the fencing
 * token. Older generations are deleted; the highest never is, so it only ever grows.
 *
 * A write under a lease checks the lease once the new value is on disk, then renames it into
 * place: between the two there is no wait on anything but the local disk. A holder on this
 * host is taken over only once its process is gone or its lease has expired (minutes), so a
 * write can only follow a takeover from a process frozen that long between those two steps.
 */
export function createFileStore(dir: string): AgentStore & { keys(): Promise<string[]> } {
  const fileOf = (key: string) => path.join(dir, `${encodeURIComponent(key)}.json`);
  const leaseDirOf = (key: string) => path.join(dir, `${encodeURIComponent(key)}.lease`);
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

  /** The highest generation and its state; "moved" when it was deleted while being read. */
  async function latest(key: string): Promise<{ number: number; state: Generation } | "moved"> {
    const leaseDir = leaseDirOf(key);
    const [number] = await generations(leaseDir);
    if (number === undefined) return { number: 0, state: { token: 0, released: true } };
    const file = path.join(leaseDir, String(number));
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if (isNotFound(error)) return "moved";
      throw error;
    }
    const place: EntryPlace = { key, location: file, removal: `rm -r -- ${shellQuote(leaseDir)}` };
    // JSON has no `undefined`, so zod's `?: T | undefined` members are the `?: T` of Lease.
    const state = parseEntry(generationSchema, text, place) as Generation;
    if (state.token !== number) {
      throw entryError(place, `it holds token ${state.token}, not ${number}`);
    }
    return { number, state };
  }

  async function holds(key: string, lease: Lease): Promise<boolean> {
    const top = await latest(key);
    return top !== "moved" && !("released" in top.state) && sameLease(top.state, lease);
  }

  return {
    get: (key, schema) =>
      serial(key, async () => {
        const file = fileOf(key);
        let text: string;
        try {
          text = await readFile(file, "utf8");
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
        return parseEntry(schema, text, {
          key,
          location: file,
          removal: `rm -- ${shellQuote(file)}`,
        });
      }),
    put: (key, value, options = {}) =>
      serial(key, async () => {
        await makeFolder(dir, 0o700);
        const file = fileOf(key);
        const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
        await writeSynced(temporary, value);
        // The lease is checked once the value is on disk, right before it replaces the old one.
        const { heldBy } = options;
        if (heldBy !== undefined && !(await holds(heldBy.key, heldBy.lease))) {
          await rm(temporary, { force: true });
          throw new LeaseNotHeldError(heldBy.key);
        }
        await rename(temporary, file);
      }),
    delete: (key) => serial(key, () => rm(fileOf(key), { force: true })),
    claim: async (key, request, now) => {
      const leaseDir = leaseDirOf(key);
      await makeFolder(leaseDir, 0o700);
      for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
        const top = await latest(key);
        if (top === "moved") continue;
        if (!("released" in top.state) && !isStale(top.state, now, hostname())) {
          return { granted: false, holder: top.state };
        }
        const lease: Lease = { ...request, token: top.number + 1 };
        if (!(await publish(leaseDir, lease.token, lease))) continue;
        // A generation deleted as old can be made again by a claimer that read an old state;
        // it is then not the highest, and the claim is lost.
        if ((await generations(leaseDir))[0] !== lease.token) continue;
        await collect(leaseDir, lease.token);
        return { granted: true, lease };
      }
      throw new Error(`The lease ${leaseDir} changed hands ${MAX_CLAIM_ATTEMPTS} times in a row`);
    },
    holds,
    release: async (key, lease) => {
      const top = await latest(key);
      if (top === "moved" || "released" in top.state || !sameLease(top.state, lease)) return;
      const leaseDir = leaseDirOf(key);
      const token = lease.token + 1;
      // Lost only to a takeover, which ends this lease as well.
      if (await publish(leaseDir, token, { token, released: true })) await collect(leaseDir, token);
    },
    // A relative AGENT_STORE used from another directory names another folder: the path shows it.
    explainMissing: async () => {
      const where = `The agent's store is the folder ${dir} (AGENT_STORE)`;
      try {
        await stat(dir);
        return { lost: false, message: `${where}.` };
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return {
          lost: false,
          message: `${where}, which does not exist: no thread was kept there.`,
        };
      }
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

async function writeSynced(file: string, value: unknown): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(JSON.stringify(value));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes generation `number` with `state`, unless it exists: false when another process won. */
async function publish(leaseDir: string, number: number, state: Generation): Promise<boolean> {
  const temporary = path.join(leaseDir, `.${number}.${randomBytes(6).toString("hex")}.tmp`);
  await writeSynced(temporary, state);
  try {
    await link(temporary, path.join(leaseDir, String(number)));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT: the temporary file was collected as belonging to an old generation.
    if (code === "EEXIST" || code === "ENOENT") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Generation numbers, highest first. */
async function generations(leaseDir: string): Promise<number[]> {
  try {
    return (await readdir(leaseDir))
      .filter((name) => GENERATION_NAME.test(name))
      .map(Number)
      .sort((a, b) => b - a);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** Deletes generations below `current`, and temporary files of claims that lost to it. */
async function collect(leaseDir: string, current: number): Promise<void> {
  const names = await readdir(leaseDir);
  const old = names.filter((name) => {
    const number = GENERATION_NAME.test(name) ? Number(name) : TEMPORARY_NAME.exec(name)?.[1];
    return number !== undefined && Number(number) < current;
  });
  await Promise.all(old.map((name) => rm(path.join(leaseDir, name), { force: true })));
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
