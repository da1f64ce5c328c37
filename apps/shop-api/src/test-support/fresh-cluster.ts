import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";

import { PGlite } from "@electric-sql/pglite";
import { cachedFolder, packageVersionKey, userTempPrefix } from "@ciba-testbed/shared/node";

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
 * folder, named after the PGlite build, for the others (and later runs) to load. The saved
 * cluster is this user's alone, as the testkit's caches are (`cachedFolder`: a folder of this
 * user's, 0700, named with the user id): another user's file is never loaded, and a folder in
 * its place that is not this user's is left alone, the cluster then made afresh each time.
 */
export async function freshCluster(): Promise<PGlite> {
  if (emptyCluster === undefined) {
    const made = await loadSavedCluster();
    if (made !== undefined) return made;
  }
  if (emptyCluster !== undefined) {
    try {
      return await PGlite.create({
        loadDataDir: emptyCluster,
        startParams: [...EMBEDDED_START_PARAMS],
      });
    } catch {
      // A damaged file: this cluster is made afresh.
      emptyCluster = undefined;
    }
  }
  return PGlite.create({ startParams: [...EMBEDDED_START_PARAMS] });
}

/**
 * Reads the saved empty cluster into `emptyCluster`, saving it first when there is none; returns
 * the cluster made to save it, if this call made one (it is as fresh as any).
 */
async function loadSavedCluster(): Promise<PGlite | undefined> {
  let made: PGlite | undefined;
  try {
    const folder = await cachedFolder(
      CLUSTER_FAMILY,
      packageVersionKey(import.meta.resolve("@electric-sql/pglite")),
      async (building) => {
        made = await PGlite.create({ startParams: [...EMBEDDED_START_PARAMS] });
        const dump = Buffer.from(await (await made.dumpDataDir("gzip")).arrayBuffer());
        writeFileSync(path.join(building, CLUSTER_FILE), dump);
      },
    );
    emptyCluster = new Blob([gunzipSync(readFileSync(path.join(folder, CLUSTER_FILE)))]);
  } catch {
    // Not this user's, unwritable or unreadable: the clusters are made afresh.
  }
  return made;
}

/** The saved clusters' folders: `<tmpdir>/ciba-testbed-<uid>-shop-api-test-pglite-<key>`. */
const CLUSTER_FAMILY = `${userTempPrefix()}shop-api-test-pglite-`;
const CLUSTER_FILE = "cluster.tar.gz";
