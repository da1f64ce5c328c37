import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { copyFolder, scratchRoot } from "./scratch.js";

const TMPFS = 0x01021994;
const EXT4 = 0xef53;
const GIB = 1024 ** 3;
const fs = (type: number, freeBytes: number) => () => ({
  type,
  bsize: 4096,
  bavail: freeBytes / 4096,
});

describe("scratchRoot", () => {
  it("is /dev/shm when it is a tmpfs with 1 GiB free", () => {
    expect(scratchRoot(fs(TMPFS, GIB))).toBe("/dev/shm");
  });

  it("is the temporary folder when /dev/shm is small, on a disk, or missing", () => {
    expect(scratchRoot(fs(TMPFS, 64 * 1024 ** 2))).toBe(tmpdir());
    expect(scratchRoot(fs(EXT4, 100 * GIB))).toBe(tmpdir());
    expect(
      scratchRoot(() => {
        throw Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
      }),
    ).toBe(tmpdir());
  });
});

describe("copyFolder", () => {
  it("copies a folder with its subfolders and files, leaving the original as it was", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "copy-folder-"));
    try {
      const from = path.join(root, "from");
      mkdirSync(path.join(from, "base", "1"), { recursive: true });
      writeFileSync(path.join(from, "PG_VERSION"), "17\n");
      writeFileSync(path.join(from, "base", "1", "1259"), Buffer.alloc(8192, 7));

      await copyFolder(from, path.join(root, "to"));
      writeFileSync(path.join(root, "to", "PG_VERSION"), "changed\n");

      expect(readFileSync(path.join(root, "to", "base", "1", "1259"))).toEqual(
        Buffer.alloc(8192, 7),
      );
      expect(readFileSync(path.join(from, "PG_VERSION"), "utf8")).toBe("17\n");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
