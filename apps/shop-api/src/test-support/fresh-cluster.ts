import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";

import { PGlite } from "@electric-sql/pglite";
import { packageVersionKey, pruneCacheFamily } from "@ciba-testbed/shared/node";

import { EMBEDDED_START_PARAMS } from "../store/open-database.js";

/**
 * The empty cluster as an uncompressed tarball, kept by this process: a test worker keeps its
 * modules from one file to the next, so only its first cluster reads and unpacks the saved file.
 * PGlite loads an uncompressed tarball as it is; a compressed one it first fails to read as
 * a tarball, then decompresses.
 */
let emptyCluster: Blob | undefined;

/**
 * A fresh PGlite cluster. `initdb` in WebAssembly costs seconds of CPU; loading a saved empty
 * cluster costs a fraction, so the first test file to need one saves it in the temporary
 * folder, named after the PGlite build, for the others (and later runs) to load.
 */
export async function freshCluster(): Promise<PGlite> {
  emptyCluster ??= savedCluster();
  if (emptyCluster) {
    try {
      return await PGlite.create({
        loadDataDir: emptyCluster,
        startParams: [...EMBEDDED_START_PARAMS],
      });
    } catch {
      // A damaged file: make the cluster afresh and save it again.
      emptyCluster = undefined;
    }
  }
  const lite = await PGlite.create({ startParams: [...EMBEDDED_START_PARAMS] });
  const dump = Buffer.from(await (await lite.dumpDataDir("gzip")).arrayBuffer());
  const file = savedClusterFile();
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, dump);
  renameSync(partial, file);
  pruneCacheFamily(CLUSTER_FAMILY, file);
  emptyCluster = new Blob([gunzipSync(dump)]);
  return lite;
}

const CLUSTER_FAMILY = "shop-api-test-pglite-";

/** Named after the PGlite version: every clone that installed it shares the file. */
function savedClusterFile(): string {
  const build = createHash("sha256")
    .update(packageVersionKey(import.meta.resolve("@electric-sql/pglite")))
    .digest("hex")
    .slice(0, 16);
  return path.join(tmpdir(), `${CLUSTER_FAMILY}${build}.tar.gz`);
}

function savedCluster(): Blob | undefined {
  const file = savedClusterFile();
  if (!existsSync(file)) return undefined;
  try {
    return new Blob([gunzipSync(readFileSync(file))]);
  } catch {
    return undefined;
  }
}
