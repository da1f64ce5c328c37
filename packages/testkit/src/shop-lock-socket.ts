import { createHash } from "node:crypto";
import { lstatSync, realpathSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { sweepScratch } from "@ciba-testbed/shared/node";

/** The testbed's copy of the empty shop database, in the testbed's folder. */
export const SHOP_DB_FOLDER = "shop-db";

/**
 * The lock socket a shop holds in the temporary folder for its database folder, beside the one
 * in the folder itself: shop-api's `legacyLockSocket` (kept for shops of older versions), the
 * same name from the folder's real path. A shop that ends by SIGKILL (the testkit's exit hook,
 * a killed test process) never removes it, so the testkit does.
 */
export function shopLockSocket(realDatabase: string, temp: string = tmpdir()): string {
  const digest = createHash("sha256").update(realDatabase).digest("hex").slice(0, 24);
  return path.join(temp, `shop-api-db-${digest}.lock`);
}

/** Removes the socket at `socket` when it is one of this user's; never throws. */
export function removeOwnSocket(socket: string): void {
  try {
    const found = lstatSync(socket);
    const me = process.getuid?.();
    if (found.isSocket() && (me === undefined || found.uid === me)) unlinkSync(socket);
  } catch {
    // Gone already, or not this user's to remove.
  }
}

/**
 * Removes the folders of testbeds whose process ended without removing them (`sweepScratch`),
 * and the lock sockets their shops left in the temporary folder; returns the folders' names.
 */
export async function sweepDeadTestbeds(root: string): Promise<string[]> {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return [];
  }
  const removed = await sweepScratch(root);
  for (const name of removed) {
    if (!name.startsWith("ciba-testbed-pid")) continue;
    removeOwnSocket(shopLockSocket(path.join(realRoot, name, SHOP_DB_FOLDER)));
  }
  return removed;
}
