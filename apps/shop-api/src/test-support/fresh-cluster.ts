import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";

/**
 * A fresh PGlite cluster. `initdb` in WebAssembly costs seconds of CPU; loading a saved empty
 * cluster costs a fraction, so the first test file to need one saves it in the temporary
 * folder, named after the PGlite build, for the others (and later runs) to load.
 */
export async function freshCluster(): Promise<PGlite> {
  const build = createHash("sha256")
    .update(import.meta.resolve("@electric-sql/pglite"))
    .digest("hex")
    .slice(0, 16);
  const file = path.join(tmpdir(), `shop-api-test-pglite-${build}.tar.gz`);
  if (existsSync(file)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(file)]) });
    } catch {
      // A damaged file: make the cluster afresh and save it again.
    }
  }
  const lite = await PGlite.create();
  const dump = await lite.dumpDataDir("gzip");
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
  return lite;
}
