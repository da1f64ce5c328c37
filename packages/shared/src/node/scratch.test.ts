import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import {
  copyFolder,
  makeScratchFolder,
  processExists,
  scratchRoot,
  sweepScratch,
} from "./scratch.js";

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

describe("makeScratchFolder and sweepScratch", () => {
  const roots: string[] = [];
  const newRoot = () => {
    const root = mkdtempSync(path.join(tmpdir(), "scratch-root-"));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  /** The PID of a process that has ended. */
  const endedPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;
  const namespace = (() => {
    try {
      return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "0";
    } catch {
      return "0";
    }
  })();

  it("makes a new folder named after this process and its PID namespace", async () => {
    const root = newRoot();
    const folder = await makeScratchFolder("ciba-unit-", { root });
    expect(path.dirname(folder)).toBe(root);
    expect(path.basename(folder)).toMatch(
      new RegExp(`^ciba-unit-pid${String(process.pid)}\\.${namespace}-[A-Za-z0-9]{6}$`),
    );
    expect(readdirSync(folder)).toEqual([]);
    await expect(makeScratchFolder("testbed-", { root })).rejects.toThrow(
      'A scratch folder\'s prefix is ciba-<lowercase words>-, not "testbed-"',
    );
  });

  it("removes only the folders of processes of this namespace that have ended", async () => {
    const root = newRoot();
    const dead = endedPid();
    const names = {
      ended: `ciba-testbed-pid${String(dead)}.${namespace}-AbC123`,
      endedShop: `ciba-testbed-shop-pid${String(dead)}.${namespace}-x9Y8z7`,
      running: `ciba-testbed-pid${String(process.pid)}.${namespace}-AbC123`,
      otherNamespace: `ciba-testbed-pid${String(dead)}.1${namespace}-AbC123`,
      unowned: "ciba-testbed-AbC123",
      notOurs: `other-pid${String(dead)}.${namespace}-AbC123`,
    };
    for (const name of Object.values(names)) {
      mkdirSync(path.join(root, name, "shop-db", "base"), { recursive: true });
      writeFileSync(path.join(root, name, "shop-db", "PG_VERSION"), "17\n");
    }

    const removed = await sweepScratch(root);

    expect(removed.sort()).toEqual([names.ended, names.endedShop].sort());
    expect(readdirSync(root).sort()).toEqual(
      [names.running, names.otherNamespace, names.unowned, names.notOurs].sort(),
    );
    // A folder that is gone already, or a root that does not exist, is no error.
    expect(await sweepScratch(path.join(root, "missing"))).toEqual([]);
  });

  it("asks `alive` about each owner, and keeps what it cannot remove", async () => {
    const root = newRoot();
    mkdirSync(path.join(root, "ciba-x-pid1.7-AbC123"));
    mkdirSync(path.join(root, "ciba-x-pid2.7-AbC123"));
    const asked: number[] = [];
    const removed = await sweepScratch(root, {
      namespace: "7",
      alive: (pid) => {
        asked.push(pid);
        return pid === 1;
      },
    });
    expect(asked.sort()).toEqual([1, 2]);
    expect(removed).toEqual(["ciba-x-pid2.7-AbC123"]);
    expect(readdirSync(root)).toEqual(["ciba-x-pid1.7-AbC123"]);
  });

  // A killed process's servers end a moment after it, and may write into its folder meanwhile:
  // a removal that gives up at the first ENOTEMPTY leaves the folder there.
  it("removes a folder that a process still writes into, once the writing stops", async () => {
    const root = newRoot();
    const name = `ciba-testbed-pid${String(endedPid())}.${namespace}-AbC123`;
    const folder = path.join(root, name);
    mkdirSync(folder);
    // Files, one after another, from before the removal starts until 200 after it began (its
    // first file gone), or until the folder is gone.
    const writer = spawn(
      process.execPath,
      [
        "-e",
        `const { existsSync, writeFileSync } = require("node:fs");
const file = (i) => ${JSON.stringify(folder)} + "/f" + i;
writeFileSync(file(0), "x");
process.stdout.write("writing\\n");
let last = 100_000;
for (let i = 1; i < last; i++) {
  try { writeFileSync(file(i), "x".repeat(100)); } catch { break; }
  if (last === 100_000 && !existsSync(file(0))) last = i + 200;
}`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = once(writer, "exit");
    await once(createInterface({ input: writer.stdout }), "line");

    const removed = await sweepScratch(root);

    await exited;
    expect(removed).toEqual([name]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("removes, at the first folder a process makes, the folder a process killed with SIGKILL left", async () => {
    const root = newRoot();
    const scratchModule = fileURLToPath(new URL("./scratch.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { makeScratchFolder } = await import(${JSON.stringify(scratchModule)});
const folder = await makeScratchFolder("ciba-killed-", { root: ${JSON.stringify(root)} });
process.stdout.write(folder + "\\n");
setInterval(() => {}, 60_000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const [left] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    expect(existsSync(left)).toBe(true);
    child.kill("SIGKILL");
    await exited;

    const mine = await makeScratchFolder("ciba-next-", { root });

    expect(existsSync(left)).toBe(false);
    expect(readdirSync(root)).toEqual([path.basename(mine)]);
  });
});

describe("processExists", () => {
  it("is true for a running process and false for one that ended", () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(spawnSync(process.execPath, ["-e", "0"]).pid)).toBe(false);
  });

  // A child whose parent never waits for it stays a zombie, as a killed worker does where PID 1
  // reaps no orphans: `sleep 0` is such a child of the shell, which has become `sleep 30`.
  it.runIf(process.platform === "linux")(
    "is false for a zombie, which kill(pid, 0) finds",
    async () => {
      const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        const [line] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
        const zombie = Number(line);
        await expect
          .poll(() => readFileSync(`/proc/${String(zombie)}/stat`, "utf8").split(") ")[1]?.[0])
          .toBe("Z");
        expect(() => process.kill(zombie, 0)).not.toThrow();
        expect(processExists(zombie)).toBe(false);
      } finally {
        parent.kill("SIGKILL");
      }
    },
  );
});
