import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";

import type { AgentStore } from "./agent-store.js";
import { createFileStore } from "./file-store.js";
import { StoreEntryError } from "./halt.js";
import type { Lease, LeaseRequest } from "./lease.js";
import { isStoreFailure } from "./store-failure.js";

const anything = z.unknown();
/** A fresh directory, removed when the test finishes. */
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("file store", () => {
  it("keeps values across instances, in owner-only files, with no temporary file left", async () => {
    const dir = path.join(await tempDir("agent-store-"), "store");
    const key = "ciba/Credentials/thr 1/call|1/credential";

    await createFileStore(dir).put(key, { n: 1 });
    await createFileStore(dir).put(key, { n: 2 });

    const store = createFileStore(dir);
    expect(await store.get(key, anything)).toEqual({ n: 2 });
    expect(await store.keys()).toEqual([key]);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(path.join(dir, files[0]!))).mode & 0o777).toBe(0o600);

    await store.delete(key);
    expect(await store.get(key, anything)).toBeUndefined();
    await store.delete(key);
  });

  it.each([
    ["cut short", '{"n": 1', "it is not valid JSON"],
    ["empty", "", "it is empty"],
    ["of another shape", '{"n": "one"}', "n: Expected number, received string"],
  ])("names the file and how to remove it when an entry is %s", async (_, text, problem) => {
    const dir = await tempDir("agent-store-");
    const file = path.join(dir, "threads%2Ft.json");
    await writeFile(file, text);

    const read = createFileStore(dir).get("threads/t", z.object({ n: z.number() }));

    await expect(read).rejects.toBeInstanceOf(StoreEntryError);
    await expect(read).rejects.toMatchObject({
      code: "store_corrupt",
      key: "threads/t",
      location: file,
      problem: expect.stringContaining(problem),
      removal: `rm -- '${file}'`,
    });
    expect(await readFile(file, "utf8")).toBe(text);
  });

  // Node 20's recursive mkdir spins forever there; the store must fail, naming the folder.
  it.runIf(process.platform === "linux")(
    "fails at once in a folder it cannot make under /proc (Linux only), as a store failure",
    { timeout: 5_000 },
    async () => {
      const store = createFileStore("/proc/agent-store");

      for (const attempt of [
        store.claim("leases/t", request("a"), NOW),
        store.put("threads/t", { n: 1 }),
      ]) {
        await expect(attempt).rejects.toMatchObject({ code: "ENOENT", path: "/proc/agent-store" });
        expect(isStoreFailure(await attempt.catch((error: unknown) => error))).toBe(true);
      }
    },
  );
});

describe("isStoreFailure", () => {
  // A full disk's write names no path: the run ended with the bare "ENOSPC ..." line, its
  // outcome ERROR with no error code, even after the order had gone out.
  it.runIf(existsSync("/dev/full"))(
    "takes a write to a full disk for one, not a socket's error",
    async () => {
      const full = await open("/dev/full", "w");
      const error = await full.write("x").catch((failure: unknown) => failure);
      await full.close();
      expect(error).toMatchObject({ code: "ENOSPC", syscall: "write" });
      expect(error).not.toHaveProperty("path");
      expect(isStoreFailure(error)).toBe(true);
      const reset = Object.assign(new Error("read ECONNRESET"), {
        code: "ECONNRESET",
        syscall: "read",
      });
      expect(isStoreFailure(reset)).toBe(false);
    },
  );
});

const NOW = 1_000_000;
const request = (owner: string, extra: Partial<LeaseRequest> = {}): LeaseRequest => ({
  owner,
  host: hostname(),
  pid: process.pid,
  expiresAt: NOW + 60_000,
  ...extra,
});
async function granted(store: AgentStore, key: string, req: LeaseRequest, now = NOW) {
  const claim = await store.claim(key, req, now);
  if (!claim.granted) throw new Error(`${req.owner} was refused: ${claim.holder.owner} holds it`);
  return claim.lease;
}

describe("file store lease generations", () => {
  const leaseDir = (dir: string) => path.join(dir, `${encodeURIComponent("leases/t")}.lease`);

  it("keeps only the latest generation, and ignores a temporary file a crash left", async () => {
    const dir = await tempDir("agent-lease-");
    const store = createFileStore(dir);
    await mkdir(leaseDir(dir), { recursive: true });
    await writeFile(path.join(leaseDir(dir), ".1.abcdef.tmp"), '{"tok');
    let lease: Lease | undefined;
    for (let i = 0; i < 3; i++) {
      lease = await granted(store, "leases/t", request(`o${i}`));
      await store.release("leases/t", lease);
    }
    expect(lease?.token).toBe(5);
    expect(await readdir(leaseDir(dir))).toEqual(["6"]);
    expect(JSON.parse(await readFile(path.join(leaseDir(dir), "6"), "utf8"))).toEqual({
      token: 6,
      released: true,
    });
  });

  it.each([
    ["cut short", '{"owner": "a", "tok'],
    ["of the wrong types", '{"owner": 1, "host": "h", "pid": "1", "expiresAt": 0, "token": 1}'],
    ["foreign", '{"threadId": "t", "purchases": []}'],
    ["numbered wrongly", JSON.stringify({ ...request("a"), token: 7 })],
  ])("refuses a lease generation that is %s, changing nothing", async (_, text) => {
    const dir = await tempDir("agent-lease-");
    await mkdir(leaseDir(dir), { recursive: true });
    const file = path.join(leaseDir(dir), "1");
    await writeFile(file, text);

    const claim = createFileStore(dir).claim("leases/t", request("b"), NOW);

    await expect(claim).rejects.toMatchObject({
      code: "store_corrupt",
      location: file,
      removal: `rm -r -- '${leaseDir(dir)}'`,
    });
    expect(await readdir(leaseDir(dir))).toEqual(["1"]);
    expect(await readFile(file, "utf8")).toBe(text);
  });
});
