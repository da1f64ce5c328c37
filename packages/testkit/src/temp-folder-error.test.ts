import { describe, expect, it } from "vitest";

import { namingTempFolder } from "./temp-folder-error.js";

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
