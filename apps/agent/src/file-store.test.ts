import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { createMemoryStore } from "./agent-store.js";
import { createFileStore } from "./file-store.js";
import type { Lease } from "./lease.js";

describe("file store", () => {
  it("keeps values across instances, in owner-only files, with no temporary file left", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "agent-store-")), "store");
    const key = "ciba/Credentials/thr 1/call|1/credential";

    await createFileStore(dir).put(key, { n: 1 });
    await createFileStore(dir).put(key, { n: 2 });

    const store = createFileStore(dir);
    expect(await store.get(key)).toEqual({ n: 2 });
    expect(await store.keys()).toEqual([key]);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(path.join(dir, files[0]!))).mode & 0o777).toBe(0o600);

    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
    await store.delete(key);
  });

  it("applies writes to one key in the order they were made, even unawaited", async () => {
    const store = createFileStore(await mkdtemp(path.join(tmpdir(), "agent-store-")));
    const writes = Array.from({ length: 20 }, (_, n) => store.put("k", { n }));
    const removal = store.delete("k");
    await Promise.all([...writes, removal]);
    expect(await store.get("k")).toBeUndefined();

    void store.put("k", { n: "last" });
    expect(await store.get("k")).toEqual({ n: "last" });
  });
});

const NOW = 1_000_000;
const lease = (owner: string, extra: Partial<Lease> = {}): Lease => ({
  owner,
  host: hostname(),
  pid: process.pid,
  expiresAt: NOW + 60_000,
  ...extra,
});
/** The pid of a process that has just exited. */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe.each([
  ["file", async () => createFileStore(await mkdtemp(path.join(tmpdir(), "agent-lease-")))],
  ["memory", () => Promise.resolve(createMemoryStore())],
])("%s store leases", (_, makeStore) => {
  it("lets one owner in at a time, and the next after release", async () => {
    const store = await makeStore();
    expect(await store.claim("leases/t", lease("a"), NOW)).toBeUndefined();
    expect(await store.claim("leases/t", lease("b"), NOW)).toMatchObject({ owner: "a" });
    await store.release("leases/t", "b");
    expect(await store.claim("leases/t", lease("b"), NOW)).toMatchObject({ owner: "a" });
    await store.release("leases/t", "a");
    expect(await store.claim("leases/t", lease("b"), NOW)).toBeUndefined();
  });

  it("takes over an expired lease, and one whose process died on this host", async () => {
    const store = await makeStore();
    await store.claim("leases/t", lease("a", { expiresAt: NOW - 1 }), NOW);
    expect(await store.claim("leases/t", lease("b"), NOW)).toBeUndefined();
    await store.claim("leases/u", lease("c", { pid: deadPid() }), NOW);
    expect(await store.claim("leases/u", lease("d"), NOW)).toBeUndefined();
  });

  it("keeps a live lease of another host until it expires", async () => {
    const store = await makeStore();
    await store.claim("leases/t", lease("a", { host: "elsewhere", pid: deadPid() }), NOW);
    expect(await store.claim("leases/t", lease("b"), NOW)).toMatchObject({ owner: "a" });
    expect(await store.claim("leases/t", lease("b"), NOW + 60_000)).toBeUndefined();
  });
});

describe("file store lease files", () => {
  it("treats a lease torn by a crash as free", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "agent-lease-"));
    await writeFile(path.join(dir, `${encodeURIComponent("leases/t")}.json.lease`), "");
    expect(await createFileStore(dir).claim("leases/t", lease("a"), NOW)).toBeUndefined();
  });
});
