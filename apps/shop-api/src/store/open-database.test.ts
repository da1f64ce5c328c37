import { readFileSync } from "node:fs";
import path from "node:path";

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { emptyShopDatabase } from "../../../../scripts/stack/shop-database.js";

import { openDatabase, type ShopDatabase } from "./open-database.js";

describe("the embedded database", () => {
  let copy: Awaited<ReturnType<typeof emptyShopDatabase>>;
  let database: ShopDatabase;
  let confBefore: string;

  // A copy of an empty cluster, as the stack's shops open: initdb wrote 128 MB of shared
  // buffers into its postgresql.conf.
  beforeAll(async () => {
    copy = await emptyShopDatabase();
    confBefore = readFileSync(path.join(copy.folder, "postgresql.conf"), "utf8");
    database = await openDatabase({ kind: "embedded", location: copy.folder });
  });
  afterAll(async () => {
    await database.close();
    await copy.remove();
  });

  it("runs with 16 MB of shared buffers, set on the command line: the folder's postgresql.conf stays as it was", async () => {
    expect(confBefore).toMatch(/^shared_buffers = 128MB/m);
    const { rows } = await sql<{
      shared_buffers: string;
    }>`show shared_buffers`.execute(database.db);
    expect(rows).toEqual([{ shared_buffers: "16MB" }]);
    expect(readFileSync(path.join(copy.folder, "postgresql.conf"), "utf8")).toBe(confBefore);
  });
});
