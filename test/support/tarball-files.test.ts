import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { tarballFiles } from "./tarball-files.js";

describe("tarballFiles", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tarball-files-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The system's tar, in `format`, of a package folder whose paths need each way of naming. */
  function archive(format: "ustar" | "pax" | "gnu"): string {
    const long = path.join("package", "dist", "d".repeat(90), "f".repeat(40));
    mkdirSync(path.join(dir, path.dirname(long)), { recursive: true });
    writeFileSync(path.join(dir, long), "long\n");
    writeFileSync(path.join(dir, "package", "package.json"), '{"name":"p"}\n');
    writeFileSync(path.join(dir, "package", "empty"), "");
    const file = path.join(dir, `${format}.tgz`);
    execFileSync("tar", [`--format=${format}`, "-czf", file, "-C", dir, "package"]);
    return file;
  }

  it.each(["ustar", "pax", "gnu"] as const)(
    "reads every file of a %s archive, by its whole path, without the folders",
    (format) => {
      const files = tarballFiles(archive(format));
      expect(Object.fromEntries([...files].map(([name, data]) => [name, String(data)]))).toEqual({
        [`package/dist/${"d".repeat(90)}/${"f".repeat(40)}`]: "long\n",
        "package/package.json": '{"name":"p"}\n',
        "package/empty": "",
      });
    },
  );

  it("refuses an entry no package holds", () => {
    mkdirSync(path.join(dir, "package"));
    symlinkSync("/etc/passwd", path.join(dir, "package", "link"));
    const file = path.join(dir, "link.tgz");
    execFileSync("tar", ["-czf", file, "-C", dir, "package"]);
    expect(() => tarballFiles(file)).toThrow(/entry of type "2"/);
  });
});
