import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { cp, mkdtemp, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { packageVersionKey, pruneCacheFamily } from "@ciba-testbed/shared/node";

import { REPO_ROOT } from "./repo-root.js";

interface PGliteModule {
  PGlite: { create(options: { dataDir: string }): Promise<{ close(): Promise<void> }> };
}

const copies = new Set<string>();
let exitHookInstalled = false;

/**
 * Copies a folder of ~1,000 files (39 MB). `fs.promises.cp` spends 0.2-0.6 s of this process's
 * CPU on it (a promise and a few system calls per file); the system's `cp` does it in one
 * child process for about 0.1 s, and leaves this process's event loop free meanwhile.
 */
async function copyFolder(from: string, to: string): Promise<void> {
  if (process.platform === "win32") {
    await cp(from, to, { recursive: true });
    return;
  }
  await promisify(execFile)("cp", ["-R", from, to]);
}

/**
 * An empty embedded database folder for one stack's shop-api, removed by `remove()` (or when
 * this process exits). A new PGlite database costs seconds of CPU (initdb in WebAssembly, every
 * start with `:memory:`); a copy of one made once opens in a tenth of that. The template is a
 * bare cluster made by the shop's own PGlite, so it holds nothing of the shop: shop-api
 * migrates the copy at start as it would a new folder. It is kept in the temporary folder,
 * named after that PGlite version, for later stacks, later runs and other clones; making one
 * for another version removes the older ones (`pruneCacheFamily`).
 */
export async function emptyShopDatabase(): Promise<{ folder: string; remove(): Promise<void> }> {
  const pglite = createRequire(path.join(REPO_ROOT, "apps/shop-api/package.json")).resolve(
    "@electric-sql/pglite",
  );
  // Every clone with the same PGlite version shares one template.
  const key = createHash("sha256").update(packageVersionKey(pglite)).digest("hex").slice(0, 16);
  const user = String(process.getuid?.() ?? "user");
  const family = `ciba-testbed-${user}-pglite-`;
  const template = path.join(tmpdir(), `${family}${key}`);
  if (!existsSync(template)) {
    const building = `${template}.${String(process.pid)}.${randomBytes(4).toString("hex")}`;
    try {
      const { PGlite } = (await import(pathToFileURL(pglite).href)) as PGliteModule;
      await (await PGlite.create({ dataDir: building })).close();
      // Whoever renames first wins; a later rename onto it fails and the loser's copy goes.
      await rename(building, template).catch(() => undefined);
    } finally {
      await rm(building, { recursive: true, force: true });
    }
    pruneCacheFamily(family, template);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "ciba-testbed-shop-"));
  copies.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const copy of copies) rmSync(copy, { recursive: true, force: true });
    });
  }
  const folder = path.join(dir, "db");
  await copyFolder(template, folder);
  return {
    folder,
    remove: async () => {
      copies.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
