import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished, vi } from "vitest";

import { emptyShopDatabase } from "../scripts/stack/shop-database.js";

// pnpm demo and the stack's other users print the first line of the error they get.
describe("the stack's empty shop database", () => {
  it("names the temporary folder and TMPDIR, in one line, when it cannot be made there", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stack-shop-database-"));
    const file = path.join(dir, "a-file");
    writeFileSync(file, "");
    vi.stubEnv("TMPDIR", file);
    onTestFinished(() => {
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    });

    const failed = await emptyShopDatabase().then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(failed?.message).toMatch(
      new RegExp(
        `^the stack cannot make the empty shop database it starts each shop from in the ` +
          String.raw`temporary folder ${file} \(ENOTDIR: [^\n]*\): set TMPDIR to a folder this ` +
          "user may write$",
      ),
    );
  });
});
