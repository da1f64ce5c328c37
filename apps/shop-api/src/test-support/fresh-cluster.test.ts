import { createHash } from "node:crypto";
import {
  chownSync,
  existsSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { packageVersionKey, userTempPrefix } from "@ciba-testbed/shared/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/** Where earlier versions saved the cluster: one name for every user of the machine. */
const SHARED_NAME = path.join(
  tmpdir(),
  `shop-api-test-pglite-${createHash("sha256")
    .update(packageVersionKey(import.meta.resolve("@electric-sql/pglite")))
    .digest("hex")
    .slice(0, 16)}.tar.gz`,
);

describe.runIf(process.getuid?.() === 0)("freshCluster and other users' files", () => {
  const aside = `${SHARED_NAME}.aside-${String(process.pid)}`;
  beforeAll(async () => {
    if (existsSync(SHARED_NAME)) renameSync(SHARED_NAME, aside);
    // Another user's cluster under the shared name, with a table of theirs in it.
    const planted = await PGlite.create();
    await planted.exec("create table planted (id int)");
    writeFileSync(
      SHARED_NAME,
      Buffer.from(await (await planted.dumpDataDir("gzip")).arrayBuffer()),
    );
    await planted.close();
    chownSync(SHARED_NAME, 65534, 65534);
  }, 120_000);
  afterAll(() => {
    rmSync(SHARED_NAME, { force: true });
    if (existsSync(aside)) renameSync(aside, SHARED_NAME);
  });

  it("loads none and saves its own in a folder of this user's alone", async () => {
    vi.resetModules();
    const { freshCluster } = await import("./fresh-cluster.js");
    const lite = await freshCluster();
    try {
      const { rows } = await lite.query("select to_regclass('planted') as found");
      expect(rows).toEqual([{ found: null }]);
    } finally {
      await lite.close();
    }
    expect(statSync(SHARED_NAME).uid).toBe(65534);
    const own = readdirSync(tmpdir()).filter((name) =>
      new RegExp(`^${userTempPrefix()}shop-api-test-pglite-[0-9a-f]{16}$`).test(name),
    );
    expect(own).toHaveLength(1);
    const folder = statSync(path.join(tmpdir(), own[0] ?? ""));
    expect([folder.uid, folder.mode & 0o777]).toEqual([0, 0o700]);
  }, 120_000);
});
