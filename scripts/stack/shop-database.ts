import { rmSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  cachedFolder,
  copyFolder,
  packageVersionKey,
  makeScratchFolder,
  userTempPrefix,
} from "@ciba-testbed/shared/node";

import { REPO_ROOT } from "./repo-root.js";

const copies = new Set<string>();
let exitHookInstalled = false;

/** The shop's schema: what the template's key names besides the PGlite that made it. */
const MIGRATIONS_SOURCE = path.join(REPO_ROOT, "apps/shop-api/src/store/migrations.ts");

/**
 * A file system error making the template in the temporary folder (`TMPDIR` names one this user
 * may not write, or a file), told in one line with the fix; any other error as it is.
 */
function namingTempFolder(error: unknown): unknown {
  const { code, syscall, message } = error as Partial<NodeJS.ErrnoException>;
  if (typeof code !== "string" || typeof syscall !== "string") return error;
  return new Error(
    `the stack cannot make the empty shop database it starts each shop from in the temporary ` +
      `folder ${tmpdir()} (${String(message)}): set TMPDIR to a folder this user may write`,
    { cause: error },
  );
}

/**
 * An empty embedded database folder for one stack's shop-api, removed by `remove()` (or when
 * this process exits). A new PGlite database costs seconds of CPU (initdb in WebAssembly, every
 * start with `:memory:`); a copy of one made once opens in a tenth of that. The template is
 * made by the shop's own code (`createEmptyDatabase`): the shop's schema and no data, as the
 * published package's empty cluster, so the shop finds nothing to migrate at start (0.2 s less
 * CPU a stack). It is kept in the temporary folder, named after that PGlite version and the
 * text of the shop's migrations, for later stacks, later runs and other clones (`cachedFolder`,
 * which removes the older ones when it makes one). The copy goes to `makeScratchFolder`:
 * RAM-backed where the machine has room.
 */
export async function emptyShopDatabase(): Promise<{ folder: string; remove(): Promise<void> }> {
  const pglite = createRequire(path.join(REPO_ROOT, "apps/shop-api/package.json")).resolve(
    "@electric-sql/pglite",
  );
  // Every clone with the same PGlite version and the same migrations shares one template.
  const template = await cachedFolder(
    `${userTempPrefix()}pglite-`,
    `${packageVersionKey(pglite)}\n${await readFile(MIGRATIONS_SOURCE, "utf8")}`,
    async (folder) => {
      const { createEmptyDatabase } = await import("@ciba-testbed/shop-api");
      await createEmptyDatabase(folder);
    },
  ).catch((error: unknown) => {
    throw namingTempFolder(error);
  });
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
