import { describe, expect, it } from "vitest";

import { namingTheCache } from "./damaged-copy.js";

const COPY = "/dev/shm/ciba-testbed-pid1.2-AbC123/shop-db";
const CACHE = "/tmp/ciba-testbed-0-shop-db-0123456789abcdef";

/** The shop's words for a database folder it cannot open (apps/shop-api open-database.ts). */
const SHOP_SAID = {
  damaged: `cannot open the embedded database in ${COPY}: PostgreSQL did not start on it (PGlite failed to initialize properly): the folder is damaged, or a database of another PostgreSQL version than this PGlite's. Restore the folder from a backup (a backup forgets the approvals spent after it was made, which can then buy again until their tokens expire), or set SHOP_API_DATABASE to a new folder`,
  noVersion: `cannot open the embedded database in ${COPY}: it holds files (base, global, pg_wal, ...) but no PG_VERSION, so it is not an embedded database, or a damaged one: the shop makes a new database only in a folder with no files but hidden ones, since making one here would write over them (and a damaged database's orders, and the approvals they spent, would be forgotten). Set SHOP_API_DATABASE to a new folder, or restore this one from a backup (a backup forgets the approvals spent after it was made, which can then buy again until their tokens expire); remove it only if it was never a database that took orders`,
};

describe("namingTheCache", () => {
  it.each(Object.entries(SHOP_SAID))(
    "names the cached folder to delete, not SHOP_API_DATABASE (%s)",
    (_, said) => {
      const shopError = new Error(`shop-api exited (code 1) before it was ready:\n${said}`);

      const error = namingTheCache(shopError, COPY, CACHE) as Error;

      expect(error.message).toMatch(
        new RegExp(
          `^The testbed's shop cannot open its copy of the cached empty shop database ${CACHE}: that folder is damaged\\. Delete it \\(rm -rf ${CACHE}\\); the next testbed makes it anew\\. The shop said: shop-api exited \\(code 1\\) before it was ready:\\ncannot open the embedded database in ${COPY} \\(a copy of ${CACHE}\\): `,
        ),
      );
      expect(error.message).not.toMatch(/SHOP_API_DATABASE|backup/);
      expect(error.cause).toBe(shopError);
    },
  );

  it("leaves any other failure of the shop as it is", () => {
    const other = new Error("shop-api exited (code 1) before it was ready:\nlisten EADDRINUSE");
    expect(namingTheCache(other, COPY, CACHE)).toBe(other);
  });
});
