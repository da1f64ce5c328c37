import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { afterEach, describe, expect, it, onTestFinished } from "vitest";

import { userTempPrefix } from "./local-ca.js";
import {
  cachedFolder,
  installedPackageOf,
  packageVersionKey,
  privateTempFolder,
  pruneCacheFamily,
  sweepAbandonedBuilds,
  userTempFolder,
} from "./temp-cache.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "temp-cache-"));
  dirs.push(dir);
  return dir;
}

/** A temporary folder of the test's own (TMPDIR), every user's to write as /tmp is. */
function ownTemp(): string {
  const temp = scratch();
  chmodSync(temp, 0o1777);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = temp;
  onTestFinished(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  });
  return temp;
}

const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3_600_000;
const key = (n: number) => n.toString(16).padStart(16, "0");

/** A cache entry made `ageMs` before NOW: a folder, or a file when `file` is set. */
function entry(dir: string, name: string, ageMs: number, file = false): void {
  const at = path.join(dir, name);
  if (file) writeFileSync(at, "x");
  else mkdirSync(path.join(at, "base"), { recursive: true });
  const when = new Date(NOW - ageMs);
  utimesSync(at, when, when);
}

describe("pruneCacheFamily", () => {
  it("removes the family's older entries but the two newest, and nothing younger than ten minutes", () => {
    const dir = scratch();
    entry(dir, `shop-db-${key(1)}`, 5 * HOUR);
    entry(dir, `shop-db-${key(2)}`, 4 * HOUR);
    entry(dir, `shop-db-${key(3)}`, 3 * HOUR);
    entry(dir, `shop-db-${key(4)}`, 2 * HOUR);
    entry(dir, `shop-db-${key(5)}`, 60_000); // being copied by a run of another build, maybe
    entry(dir, `shop-db-${key(6)}`, 0); // the one just made
    entry(dir, `shop-db-${key(7)}.123.abcd1234`, 6 * HOUR); // another process building it
    entry(dir, `pglite-${key(8)}`, 9 * HOUR); // another family

    const removed = pruneCacheFamily("shop-db-", path.join(dir, `shop-db-${key(6)}`), {
      dir,
      now: NOW,
      alive: (pid) => pid === 123,
    });

    expect(removed.map((file) => path.basename(file)).sort()).toEqual([
      `shop-db-${key(1)}`,
      `shop-db-${key(2)}`,
      `shop-db-${key(3)}`,
    ]);
    expect(readdirSync(dir).sort()).toEqual([
      `pglite-${key(8)}`,
      `shop-db-${key(4)}`,
      `shop-db-${key(5)}`,
      `shop-db-${key(6)}`,
      `shop-db-${key(7)}.123.abcd1234`,
    ]);
  });

  it("prunes files of the family as well, the saved .tar.gz clusters", () => {
    const dir = scratch();
    for (const n of [1, 2, 3, 4]) entry(dir, `cluster-${key(n)}.tar.gz`, (10 - n) * HOUR, true);
    const current = path.join(dir, `cluster-${key(4)}.tar.gz`);

    pruneCacheFamily("cluster-", current, { dir, now: NOW, keep: 1 });

    expect(readdirSync(dir).sort()).toEqual([
      `cluster-${key(3)}.tar.gz`,
      `cluster-${key(4)}.tar.gz`,
    ]);
  });
});

/** This process's PID namespace, as a building folder's name carries it. */
const namespace = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "0";
  } catch {
    return "0";
  }
})();
/** The PID of a process that has ended. */
const endedPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe("sweepAbandonedBuilds", () => {
  it("removes the folders a process that ended mid-build left, and none a build still fills", () => {
    const dir = scratch();
    const building = (pid: number, suffix: string) => `shop-db-${key(1)}.${String(pid)}.${suffix}`;
    const names = {
      ended: building(200, `${namespace}.0000aaaa`),
      endedLongAgo: building(200, `${namespace}.0000bbbb`),
      running: building(201, `${namespace}.0000cccc`),
      otherNamespace: building(200, "4026531999.0000dddd"),
      // Named by an earlier version, without its namespace: gone once no build could last so long.
      unnamespacedOld: building(200, "0000eeee"),
      unnamespacedRecent: building(200, "0000ffff"),
      otherFamily: `pglite-${key(1)}.200.${namespace}.0000aaaa`,
      cache: `shop-db-${key(1)}`,
    };
    entry(dir, names.ended, 0);
    entry(dir, names.endedLongAgo, 30 * HOUR);
    entry(dir, names.running, 5 * HOUR);
    entry(dir, names.otherNamespace, 5 * HOUR);
    entry(dir, names.unnamespacedOld, 11 * 60_000);
    entry(dir, names.unnamespacedRecent, 9 * 60_000);
    entry(dir, names.otherFamily, 5 * HOUR);
    entry(dir, names.cache, 5 * HOUR);

    const removed = sweepAbandonedBuilds("shop-db-", {
      dir,
      now: NOW,
      namespace,
      alive: (pid) => pid === 201,
    });

    expect(removed.map((file) => path.basename(file)).sort()).toEqual(
      [names.ended, names.endedLongAgo, names.unnamespacedOld].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(
      [
        names.running,
        names.otherNamespace,
        names.unnamespacedRecent,
        names.otherFamily,
        names.cache,
      ].sort(),
    );
  });

  // Only root may give a folder to another user; CI runs the suite as root.
  it.runIf(process.getuid?.() === 0)("leaves another user's building folder alone", () => {
    const dir = scratch();
    const name = `shop-db-${key(1)}.200.${namespace}.0000aaaa`;
    entry(dir, name, HOUR);
    chownSync(path.join(dir, name), 65534, 65534);

    expect(
      sweepAbandonedBuilds("shop-db-", { dir, now: NOW, namespace, alive: () => false }),
    ).toEqual([]);
    expect(readdirSync(dir)).toEqual([name]);
  });

  it("is what making a cache and finding it both do: a killed run's partial copies go", async () => {
    const family = `temp-cache-killed-${String(process.pid)}-`;
    const make = async (folder: string) => {
      writeFileSync(path.join(folder, "PG_VERSION"), "17");
      await Promise.resolve();
    };
    const cache = await cachedFolder(family, "key", make);
    dirs.push(cache);
    // Two workers of a run killed while they built it, as a SIGKILL leaves them.
    const leftovers = [
      `${cache}.${String(endedPid())}.${namespace}.0000aaaa`,
      `${cache}.${String(endedPid())}.${namespace}.0000bbbb`,
    ];
    const fill = () => {
      for (const leftover of leftovers) {
        mkdirSync(path.join(leftover, "base"), { recursive: true });
        dirs.push(leftover);
      }
    };
    fill();

    expect(await cachedFolder(family, "key", make)).toBe(cache);
    expect(leftovers.filter((leftover) => existsSync(leftover))).toEqual([]);

    // With no cache yet, the run that makes it removes them as well.
    rmSync(cache, { recursive: true });
    fill();
    expect(await cachedFolder(family, "key", make)).toBe(cache);
    expect(leftovers.filter((leftover) => existsSync(leftover))).toEqual([]);
  });
});

/** A `make` that writes a PG_VERSION, and how many times it ran. */
function countedMake(): { make: (folder: string) => Promise<void>; made: () => number } {
  let runs = 0;
  return {
    make: async (folder) => {
      runs++;
      writeFileSync(path.join(folder, "PG_VERSION"), "17");
      await Promise.resolve();
    },
    made: () => runs,
  };
}

describe("cachedFolder", () => {
  it("makes the folder once, for later calls and processes, under a key of what made it", async () => {
    const family = `temp-cache-test-${String(process.pid)}-`;
    const { make, made } = countedMake();
    const first = await cachedFolder(family, "@electric-sql/pglite@0.3.4", make);
    dirs.push(first);
    const again = await cachedFolder(family, "@electric-sql/pglite@0.3.4", make);
    const other = await cachedFolder(family, "@electric-sql/pglite@0.3.5", make);
    dirs.push(other);

    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(made()).toBe(2);
    expect(path.basename(first)).toMatch(new RegExp(`^${family}[0-9a-f]{16}$`));
    expect(readdirSync(first)).toEqual(["PG_VERSION"]);
    // Nothing of the building is left beside them.
    expect(
      readdirSync(tmpdir())
        .filter((name) => name.startsWith(family))
        .sort(),
    ).toEqual([path.basename(first), path.basename(other)].sort());
  });

  it("keeps what it makes from other users: its folder 0700, no file others may write", async () => {
    const family = `temp-cache-private-${String(process.pid)}-`;
    const folders: string[] = [];
    // As PGlite writes them, whatever the umask.
    const make = async (folder: string) => {
      folders.push(folder);
      mkdirSync(path.join(folder, "base", "5"), { recursive: true, mode: 0o777 });
      for (const file of ["PG_VERSION", "base/5/16384"]) {
        writeFileSync(path.join(folder, file), "17");
        chmodSync(path.join(folder, file), 0o666);
      }
      chmodSync(path.join(folder, "base"), 0o777);
      await Promise.resolve();
    };
    const cache = await cachedFolder(family, "key", make);
    dirs.push(cache);

    // Given to `make` closed already, before anything is in it.
    expect(folders).toHaveLength(1);
    const mode = (file: string) => statSync(path.join(cache, file)).mode & 0o777;
    expect(mode(".")).toBe(0o700);
    expect(mode("base")).toBe(0o755);
    expect(mode("base/5") & 0o022).toBe(0);
    expect(mode("PG_VERSION")).toBe(0o644);
    expect(mode("base/5/16384")).toBe(0o644);
  });

  it("makes anew a cache it finds open to other users, as an earlier version left it", async () => {
    const family = `temp-cache-open-${String(process.pid)}-`;
    const { make, made } = countedMake();
    const cache = await cachedFolder(family, "key", make);
    dirs.push(cache);
    // As earlier versions left it, and another user then changed it.
    chmodSync(cache, 0o755);
    writeFileSync(path.join(cache, "PG_VERSION"), "");
    chmodSync(path.join(cache, "PG_VERSION"), 0o666);

    expect(await cachedFolder(family, "key", make)).toBe(cache);

    expect(made()).toBe(2);
    expect(readFileSync(path.join(cache, "PG_VERSION"), "utf8")).toBe("17");
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    // Nothing of the old one is left beside it.
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith(family))).toEqual([
      path.basename(cache),
    ]);
  });

  it("refuses, naming the folder to delete, a cache an earlier version keeps putting back open", async () => {
    const family = `temp-cache-reopened-${String(process.pid)}-`;
    let cache = "";
    // Each build loses the race to a process that puts an open copy in place.
    const make = async (folder: string) => {
      cache = folder.replace(/\.\d+\.\d+\.[0-9a-f]{8}$/, "");
      mkdirSync(cache, { mode: 0o755 });
      chmodSync(cache, 0o755);
      writeFileSync(path.join(cache, "PG_VERSION"), "17");
      dirs.push(cache);
      await Promise.resolve();
    };
    await expect(cachedFolder(family, "key", make)).rejects.toThrow(
      new RegExp(
        String.raw`^(\S+) is open to other users \(mode 0755\), who could change what every ` +
          String.raw`testbed starts from: the testbed will not use it. Delete it \(rm -rf \1\); ` +
          "the next testbed makes it anew, for this user only$",
      ),
    );
    expect(cache).not.toBe("");
  });

  it("leaves alone a link another user put where its folder goes, and keeps the cache in a folder of this user's", async () => {
    const temp = ownTemp();
    const family = "temp-cache-link-";
    const theirs = scratch();
    writeFileSync(path.join(theirs, "PG_VERSION"), "planted");
    const key = "@electric-sql/pglite@0.3.4";
    let made = 0;
    const make = async (folder: string) => {
      made++;
      await writeFile(path.join(folder, "PG_VERSION"), "17");
    };
    // The name the cache would take: made once, then replaced by the link.
    const name = await cachedFolder(family, key, make);
    expect(path.dirname(name)).toBe(temp);
    rmSync(name, { recursive: true });
    symlinkSync(theirs, name);

    const own = await cachedFolder(family, key, make);

    expect(made).toBe(2);
    expect(path.basename(own)).toBe(path.basename(name));
    expect(path.dirname(own)).toMatch(new RegExp(`^${temp}/${userTempPrefix()}private\\.\\w{6}$`));
    expect(statSync(path.dirname(own)).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(own, "PG_VERSION"), "utf8")).toBe("17");
    expect(readFileSync(path.join(theirs, "PG_VERSION"), "utf8")).toBe("planted");
    // Found again by the next run, not made again.
    expect(await cachedFolder(family, key, make)).toBe(own);
    expect(made).toBe(2);
  });

  // Only root may give a folder to another user; CI runs the suite as root.
  it.runIf(process.getuid?.() === 0)(
    "keeps its cache in a folder of this user's when another user made its folder first",
    async () => {
      const temp = ownTemp();
      const family = "temp-cache-owner-";
      const make = () => Promise.resolve();
      const name = await cachedFolder(family, "key", make);
      chownSync(name, 65534, 65534);
      // Another user's folder named as this user's private one is passed over too.
      const planted = path.join(temp, `${userTempPrefix()}private.aaaaaa`);
      mkdirSync(planted, { mode: 0o700 });
      chownSync(planted, 65534, 65534);

      const own = await cachedFolder(family, "key", make);

      expect(path.dirname(own)).not.toBe(temp);
      expect(path.dirname(own)).not.toBe(planted);
      expect(statSync(path.dirname(own)).uid).toBe(0);
      expect(statSync(name).uid).toBe(65534);
    },
  );
});

describe("userTempFolder", () => {
  it("is the named folder, made for this user alone, while no other user holds the name", async () => {
    const temp = ownTemp();
    const folder = await userTempFolder("ciba-testbed-x-certs");
    expect(folder).toBe(path.join(temp, "ciba-testbed-x-certs"));
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(await userTempFolder("ciba-testbed-x-certs")).toBe(folder);
  });

  it("is a folder of this user's private one when another user put a link or a file there", async () => {
    const temp = ownTemp();
    symlinkSync(scratch(), path.join(temp, "ciba-testbed-x-certs"));
    const folder = await userTempFolder("ciba-testbed-x-certs");
    expect(folder).toBe(path.join(await privateTempFolder(temp), "ciba-testbed-x-certs"));
    expect(await userTempFolder("ciba-testbed-x-certs")).toBe(folder);
  });
});

describe("packageVersionKey", () => {
  it("names the package and version above a resolved file, by path or file URL, wherever it is installed", () => {
    const keys = [scratch(), scratch()].map((root) => {
      const pkg = path.join(root, "node_modules", "@electric-sql", "pglite");
      mkdirSync(path.join(pkg, "dist"), { recursive: true });
      writeFileSync(
        path.join(pkg, "package.json"),
        JSON.stringify({ name: "@electric-sql/pglite", version: "0.3.4" }),
      );
      writeFileSync(path.join(pkg, "dist", "package.json"), JSON.stringify({ type: "module" }));
      return packageVersionKey(path.join(pkg, "dist", "index.js"));
    });
    expect(keys).toEqual(["@electric-sql/pglite@0.3.4", "@electric-sql/pglite@0.3.4"]);
    expect(
      packageVersionKey(
        pathToFileURL(path.join(dirs[0]!, "node_modules/@electric-sql/pglite/dist/index.js")).href,
      ),
    ).toBe("@electric-sql/pglite@0.3.4");
  });
});

describe("installedPackageOf", () => {
  it("reads the name and version above a resolved file, or none where no manifest names them", () => {
    const root = scratch();
    const pkg = path.join(root, "node_modules", "kysely");
    mkdirSync(path.join(pkg, "dist", "esm"), { recursive: true });
    writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "kysely", version: "0.28.2" }),
    );
    writeFileSync(
      path.join(pkg, "dist", "esm", "package.json"),
      JSON.stringify({ type: "module" }),
    );
    expect(installedPackageOf(path.join(pkg, "dist", "esm", "index.js"))).toEqual({
      name: "kysely",
      version: "0.28.2",
    });
    const bare = path.join(scratch(), "loose.js");
    expect(installedPackageOf(bare)).toBeUndefined();
    expect(packageVersionKey(bare)).toBe(bare);
  });
});
