import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

import {
  cachedFolder,
  copyFolder,
  packageVersionKey,
  makeScratchFolder,
} from "@ciba-testbed/shared/node";

import { REPO_ROOT } from "./repo-root.js";

interface PGliteModule {
  PGlite: { create(options: { dataDir: string }): Promise<{ close(): Promise<void> }> };
}

const copies = new Set<string>();
let exitHookInstalled = false;

/**
 * An empty embedded database folder for one stack's shop-api, removed by `remove()` (or when
 * this process exits). A new PGlite database costs seconds of CPU (initdb in WebAssembly, every
 * start with `:memory:`); a copy of one made once opens in a tenth of that. The template is a
 * bare cluster made by the shop's own PGlite, so it holds nothing of the shop: shop-api
 * migrates the copy at start as it would a new folder. It is kept in the temporary folder,
 * named after that PGlite version, for later stacks, later runs and other clones
 * (`cachedFolder`, which removes the older versions' when it makes one). The copy goes to
 * `makeScratchFolder`: RAM-backed where the machine has room.
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
  const dir = await makeScratchFolder("ciba-testbed-shop-");
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
