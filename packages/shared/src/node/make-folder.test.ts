import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { makeFolder } from "./make-folder.js";

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "make-folder-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("makeFolder", () => {
  it("makes every missing level, owner-only, and accepts one that exists or is made meanwhile", async () => {
    const dir = path.join(await tempDir(), "a", "b", "c");

    await Promise.all([makeFolder(dir, 0o700), makeFolder(dir, 0o700)]);
    await makeFolder(dir, 0o700);

    for (const level of [dir, path.dirname(dir), path.dirname(path.dirname(dir))]) {
      const made = await stat(level);
      expect(made.isDirectory()).toBe(true);
      expect(made.mode & 0o777).toBe(0o700);
    }
  });

  it("names a file that stands where a folder should be", async () => {
    const file = path.join(await tempDir(), "not-a-folder");
    await writeFile(file, "");

    await expect(makeFolder(file, 0o700)).rejects.toMatchObject({
      code: "ENOTDIR",
      path: file,
      message: `ENOTDIR: ${file} is a file, not a folder`,
    });
    await expect(makeFolder(path.join(file, "store", "threads"), 0o700)).rejects.toMatchObject({
      code: "ENOTDIR",
      path: file,
      message: `ENOTDIR: ${file} is a file, not a folder`,
    });
  });

  // Node 20's recursive mkdir spins forever on these (ENOENT from /proc, EEXIST for /proc, again).
  it.runIf(process.platform === "linux")(
    "fails at once, naming the folder, under a parent that takes no new folders (/proc; Linux only)",
    { timeout: 5_000 },
    async () => {
      await expect(makeFolder("/proc/x", 0o700)).rejects.toMatchObject({
        code: "ENOENT",
        syscall: "mkdir",
        path: "/proc/x",
        message: "ENOENT: cannot make the folder /proc/x: /proc exists but takes no new folders",
      });
      await expect(makeFolder("/proc/x/y/z", 0o700)).rejects.toMatchObject({
        path: "/proc/x",
      });
    },
  );
});
