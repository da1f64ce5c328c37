import { spawnSync } from "node:child_process";
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import {
  BUILD_DIR,
  BuildFolderError,
  checkBuildWritable,
  inputsAsRead,
  installBuild,
  isBuildCurrent,
  newBuildFolder,
} from "../scripts/build.js";

// `build/state.json` records each source as the build saw it just before reading it: a source
// saved while the build runs must make the next check build again, never pass for built.
describe("the build's record of its sources", () => {
  const file = (name: string) => path.join(REPO_ROOT, "apps/agent/src", name);
  type Print = [number, number];

  it("records a source as the builds that read it saw it", () => {
    const seen: Print = [120, 1_764_800_000_123.456];
    const reads = [new Map([[file("a.ts"), seen]]), new Map([[file("a.ts"), seen]])];
    expect(inputsAsRead([file("a.ts")], reads)).toEqual({ "apps/agent/src/a.ts": seen });
  });

  it("records a source saved between two builds' reads, or read unseen, as never current", () => {
    const reads = [
      new Map<string, Print>([[file("a.ts"), [120, 1_000]]]),
      new Map<string, Print>([[file("a.ts"), [121, 2_000]]]),
    ];
    expect(inputsAsRead([file("a.ts"), file("b.ts")], reads)).toEqual({
      "apps/agent/src/a.ts": [-1, -1],
      "apps/agent/src/b.ts": [-1, -1],
    });
  });

  it("saw every source of today's build as it read it, JavaScript and TypeScript alike", async () => {
    const state = JSON.parse(await readFile(path.join(BUILD_DIR, "state.json"), "utf8")) as {
      inputs: Record<string, Print>;
    };
    const sources = Object.keys(state.inputs);
    expect(sources).toEqual(expect.arrayContaining(["scripts/build.js", "pnpm-lock.yaml"]));
    expect(sources.filter((source) => state.inputs[source]![0] < 0)).toEqual([]);
    expect(await isBuildCurrent()).toBe(true);
  });
});

// A checkout this user may not write (read-only, another user's) whose build/ is not current:
// one line saying so and what to do, instead of esbuild's "Failed to create output directory".
describe("a checkout the build cannot be written into", () => {
  it("is named, with what to do, before esbuild runs", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "build-folder-"));
    try {
      // A file where the checkout would be: not writable as a folder, whoever runs the test.
      const checkout = path.join(dir, "checkout");
      await writeFile(checkout, "");
      const failed = await checkBuildWritable(path.join(checkout, "build")).catch(
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(BuildFolderError);
      const { message } = failed as Error;
      expect(message).toMatch(new RegExp(`^cannot write the build into ${checkout} \\(ENOTDIR\\)`));
      expect(message).toContain(`cp -a ${checkout} <a folder of yours>`);
      expect(message).not.toContain("\n");
      await expect(checkBuildWritable(path.join(dir, "build"))).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// `build/` is a link to a whole build's folder, renamed over the one before: a process starting
// from it, or a file written under it, while a build is swapped in finds a whole build.
describe("swapping a build in", () => {
  let root: string;
  let link: string;
  let made = 0;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "build-swap-"));
    link = path.join(root, "build");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A finished build's folder: this module's, or one named as process `pid` names them. */
  async function finished(pid?: number) {
    made++;
    const folder =
      pid === undefined
        ? newBuildFolder(link)
        : `${link}.${Date.now().toString(36)}-${String(pid)}-${made.toString(16)}`;
    await mkdir(folder);
    await writeFile(path.join(folder, "state.json"), `{"build":${String(made)}}`);
    return folder;
  }
  const pointsTo = async () => path.resolve(root, await readlink(link));

  it("replaces a build/ folder of an older checkout with a link to the new build", async () => {
    await mkdir(path.join(link, "stop-points"), { recursive: true });
    const folder = await finished();
    await installBuild(folder, link);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await pointsTo()).toBe(folder);
    expect(await readdir(root)).toEqual(["build", path.basename(folder)]);
  });

  it("never leaves build/ missing or half there while builds are swapped in and files written under it", async () => {
    await installBuild(await finished(), link);
    // Each swap runs while the files below are written and read, and the next starts once a
    // round of them has begun after it: a build is removed two swaps after it was replaced, and
    // rebuilds in a real run are seconds apart, not microseconds.
    let rounds = 0;
    const swapping = { on: true };
    const swaps = (async () => {
      for (let i = 0; i < 40; i++) {
        const round = rounds;
        await installBuild(await finished(), link);
        while (rounds <= round + 1) await new Promise((resolve) => setImmediate(resolve));
      }
      swapping.on = false;
    })();
    const seen = new Set<string>();
    const failures: string[] = [];
    while (swapping.on) {
      rounds++;
      // A folder made under build/, and what a process starting reads. (Not a recursive mkdir:
      // Node's takes an EEXIST in one build and then stats the path in the next one.)
      await Promise.all([
        mkdir(path.join(link, "stop-points")).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") failures.push(String(error));
        }),
        readFile(path.join(link, "state.json"), "utf8").then(
          (text) => seen.add(text),
          (error: unknown) => failures.push(String(error)),
        ),
      ]);
    }
    await swaps;
    expect(failures).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
    expect(JSON.parse(await readFile(path.join(link, "state.json"), "utf8"))).toEqual({
      build: made,
    });
  });

  it("keeps the new build and the one it replaced, and another running process's or thread's, and removes the rest", async () => {
    const ended = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const endedPid = Number(ended.stdout.toString());
    const ofEnded = await finished(endedPid);
    const ofRunning = await finished(process.ppid);
    // Named after this process, and not made by this copy of the module: another thread's.
    const ofThread = await finished(process.pid);
    const first = await finished();
    await installBuild(first, link);
    const second = await finished();
    await installBuild(second, link);
    const third = await finished();
    await installBuild(third, link);
    const left = await readdir(root);
    expect(left.sort()).toEqual(
      ["build", ofRunning, ofThread, second, third].map((file) => path.basename(file)).sort(),
    );
    expect(left).not.toContain(path.basename(ofEnded));
    expect(left).not.toContain(path.basename(first));
    expect(await pointsTo()).toBe(third);
  });
});

// A fresh clone run before `pnpm install`: one line saying what to run, not Node's
// ERR_MODULE_NOT_FOUND and this file's stack.
describe("scripts/build.js in a checkout without its dependencies", () => {
  it.each([["dev"], ["demo"], ["mock-auth0"], [undefined]])(
    "says to run pnpm install first (%s)",
    async (entry) => {
      const checkout = await mkdtemp(path.join(tmpdir(), "ciba-no-install-"));
      try {
        for (const file of ["scripts/build.js", "apps/agent/src/web/chat-client-build.js"]) {
          await mkdir(path.dirname(path.join(checkout, file)), { recursive: true });
          await writeFile(path.join(checkout, file), await readFile(path.join(REPO_ROOT, file)));
        }
        const run = spawnSync(
          process.execPath,
          ["scripts/build.js", ...(entry === undefined ? [] : [entry])],
          { cwd: checkout, encoding: "utf8" },
        );
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
          `scripts/build.js: the workspace's dependencies are not installed (no esbuild or tsx in ${path.join(checkout, "node_modules")}): run pnpm install in ${checkout}${path.sep} first\n`,
        );
        expect(run.stdout).toBe("");
      } finally {
        await rm(checkout, { recursive: true, force: true });
      }
    },
  );
});
