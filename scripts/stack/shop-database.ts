import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { cachedFolder, packageVersionKey } from "@ciba-testbed/shared/node";

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
 * named after that PGlite version, for later stacks, later runs and other clones
 * (`cachedFolder`, which removes the older versions' when it makes one).
 */
export async function emptyShopDatabase(): Promise<{ folder: string; remove(): Promise<void> }> {
  const pglite = createRequire(path.join(REPO_ROOT, "apps/shop-api/package.json")).resolve(
    "@electric-sql/pglite",
  );
  // Every clone with the same PGlite version shares one template.
  const user = String(process.getuid?.() ?? "user");
  const template = await cachedFolder(
    `ciba-testbed-${user}-pglite-`,
    packageVersionKey(pglite),
    async (folder) => {
      const { PGlite } = (await import(pathToFileURL(pglite).href)) as PGliteModule;
      await (await PGlite.create({ dataDir: folder })).close();
    },
  );
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
