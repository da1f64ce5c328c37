import { describe, expect, it } from "vitest";

import { namingDatabaseOption, namingTempFolder } from "./temp-folder-error.js";

const TEMP = "/read-only/tmp";
const FIX =
  'set TMPDIR to a folder this user may write, or give the shop a database of its own with the shop.database option (a folder, or ":memory:")';

describe("namingTempFolder", () => {
  it("names TMPDIR and shop.database for a file system error there", () => {
    const refused = Object.assign(new Error(`EACCES: permission denied, mkdir '${TEMP}/x'`), {
      code: "EACCES",
      syscall: "mkdir",
    });
    const error = namingTempFolder(refused, TEMP) as Error;
    expect(error.message).toBe(
      `startTestbed cannot make its files in the temporary folder ${TEMP} (EACCES: permission denied, mkdir '${TEMP}/x'): ${FIX}`,
    );
    expect(error.cause).toBe(refused);
  });

  it("drops the shop's SHOP_API_DATABASE advice, which the testbed sets itself", () => {
    // As apps/shop-api's open-database.ts says it, from a shop the testbed started there.
    const shop = new Error(
      `shop-api exited (code 1) before it was ready:\nshop-api cannot start: cannot write the embedded database's folder ${TEMP}/x (EACCES): set SHOP_API_DATABASE to a folder this user may write, or give this user the folder (one made by another user, such as a run with sudo, is theirs)`,
    );
    const error = namingTempFolder(shop, TEMP) as Error;
    expect(error.message).toBe(
      `startTestbed cannot make its files in the temporary folder ${TEMP} (shop-api exited (code 1) before it was ready:\nshop-api cannot start: cannot write the embedded database's folder ${TEMP}/x (EACCES)): ${FIX}`,
    );
  });

  it("leaves any other error as it is", () => {
    const other = new Error("mock-auth0 exited (code 2) before it was ready");
    expect(namingTempFolder(other, TEMP)).toBe(other);
  });
});

describe("namingDatabaseOption", () => {
  it("names the shop.database option, not SHOP_API_DATABASE, in one line", () => {
    // As startTestbed got it from a shop started on { shop: { database: "/proc/x" } }.
    const why =
      "cannot make the embedded database's folder /proc/x (ENOENT: cannot make the folder " +
      "/proc/x: /proc exists but takes no new folders)";
    const shop = new Error(
      `shop-api exited (code 1) before it was ready:\n{"level":60,"msg":"${why}: set SHOP_API_DATABASE to a folder this user may write"}\nshop-api cannot start: ${why}: set SHOP_API_DATABASE to a folder this user may write, or give this user the folder (one made by another user, such as a run with sudo, is theirs)`,
    );
    const error = namingDatabaseOption(shop) as Error;
    expect(error.message).toBe(
      `the testbed's shop cannot use its shop.database folder: ${why}: give the shop.database option a folder this user may write, or give this user the folder (one made by another user, such as a run with sudo, is theirs)`,
    );
    expect(error.cause).toBe(shop);
  });

  it("leaves any other error as it is", () => {
    const other = new Error("shop-api exited (code 1) before it was ready:\nport 1 in use");
    expect(namingDatabaseOption(other)).toBe(other);
  });
});
