import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";

import { captureOutput, makeScratchFolder, parseReadyRecord } from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";
import {
  SUPERVISED_ENTRIES,
  ServiceStartError,
  SupervisedChild,
  stopLine,
} from "@ciba-testbed/stack/supervisor";
import type { LineParser, SuperviseOptions } from "@ciba-testbed/stack/supervisor";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { ENTRIES, builtFileOf, watchBuild } from "../../scripts/build.js";
import { untilWatched, watches } from "../support/inotify.js";
import { liveMembers, liveMembersAfter } from "../support/process-group.js";

const started: SupervisedChild[] = [];

/** A line of test/fixtures/supervisor-launcher.ts: its server is ready (again). */
const launched: LineParser<{ watcher: number; ready: ReadyRecord }> = (line) =>
  line.startsWith('{"watcher":')
    ? (JSON.parse(line) as { watcher: number; ready: ReadyRecord })
    : undefined;

/** The fixture server's last line: how many SIGTERMs reached it (and its worker) as it closed. */
const closedLine: LineParser<{ sigterms: number; workerSigterms?: number }> = (line) =>
  line.startsWith('{"closed":')
    ? (JSON.parse(line) as { closed: { sigterms: number; workerSigterms?: number } }).closed
    : undefined;

/** The fixture server's line on its first SIGTERM. */
const closingLine: LineParser<true> = (line) => (line === '{"closing":true}' ? true : undefined);

function fixture(env: Record<string, string>, more: Partial<SuperviseOptions> = {}) {
  return {
    name: "fixture",
    script: "test/fixtures/supervised-server.ts",
    env,
    ...more,
  } satisfies SuperviseOptions;
}

/** Where a supervised child's output is shown, and what was shown there so far. */
function shownOutput() {
  const stream = new PassThrough();
  let shown = "";
  stream.on("data", (chunk: Buffer) => (shown += chunk.toString()));
  return { output: { stream, color: "cyan" as const }, shown: () => shown };
}

async function start(options: SuperviseOptions) {
  const result = await SupervisedChild.start(options);
  started.push(result.child);
  return result;
}

// Issue 11: readiness is the ready record a server prints, never the wording or level of its logs.
describe("the process supervisor", () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((child) => child.stop()));
  });

  it("starts a server whose listening message is reworded", async () => {
    const { child, ready } = await start(fixture({ FIXTURE_LOG: "accepting orders now" }));
    expect(ready).toMatchObject({ ready: true, service: "fixture" });
    expect(await (await fetch(ready.url)).text()).toBe("ok");
    expect(child.recentOutput.join("\n")).toContain("accepting orders now");
  });

  it("starts a server that logs nothing at all", async () => {
    const { child, ready } = await start(fixture({}));
    expect(await (await fetch(ready.url)).text()).toBe("ok");
    expect(child.recentOutput.map(parseReadyRecord)).toEqual([ready]);
  });

  it("shows the logs, made readable and prefixed, but not the ready record", async () => {
    const { output, shown } = shownOutput();
    await start(fixture({ FIXTURE_LOG: "accepting orders now" }, { output }));
    expect(shown()).toMatch(/fixture\s+\|.*INFO.*accepting orders now/);
    expect(shown()).not.toContain('"ready":true');
  });

  it("gives up on a server that never prints the ready record, with its own words, and kills it", async () => {
    // The words that once meant "ready" no longer do.
    const child = SupervisedChild.spawn(
      fixture({ FIXTURE_LOG: "mock-auth0 listening", FIXTURE_READY: "no" }),
    );
    started.push(child);
    // Its log line first, however slow the machine: the wait for the ready record starts then.
    await child.waitForLine(
      (line) => (line.includes("mock-auth0 listening") ? true : undefined),
      30_000,
    );
    const error = await child.waitForReady(1_500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceStartError);
    expect((error as Error).message).toMatch(
      /^fixture did not print its ready record within 1500 ms:\n.*mock-auth0 listening/,
    );
    await child.exited;
    expect(child.running).toBe(false);
    // What pnpm dev and pnpm demo print: a server that was slow, not one that crashed.
    expect(stopLine((error as ServiceStartError).stop)).toBe(
      "fixture did not print its ready record within 1500 ms and was stopped while it still ran, with no error: a busy machine or a first start (the shop making its database runs PostgreSQL's initdb) can take longer",
    );
  });

  it("reports a server that exits before it is ready, with its last words", async () => {
    await expect(start(fixture({ FIXTURE_EXIT: "3" }))).rejects.toThrow(
      /^fixture exited \(code 3\) before printing its ready record:\nfixture cannot start: FIXTURE_EXIT is set/,
    );
  });

  it("runs a server as one node process, whose pid is the app's, and stops it with one SIGTERM", async () => {
    const { child, ready } = await start(fixture({}, { runner: {} }));
    expect(ready.pid).toBe(child.pid);
    const closed = child.waitForLine(closedLine, 10_000, "its close");
    await child.stop();
    expect(await closed).toEqual({ sigterms: 1 });
    expect(child.exitStatus).toEqual({ code: 0, signal: null });
  });

  // What `pnpm dev` runs for each server: a change to any file the server loaded starts it
  // again, under the same supervisor, with the new code.
  describe("in watch mode (pnpm dev)", () => {
    let builtDir: string;
    let devBuild: { stop(): Promise<void> };
    const watched = (env: Record<string, string>, more: Partial<SuperviseOptions> = {}) =>
      fixture(env, { runner: { watch: { builtDir } }, ...more });

    beforeAll(async () => {
      builtDir = await makeScratchFolder("ciba-dev-build-");
      devBuild = await watchBuild(
        { "test-supervised-server": ENTRIES["test-supervised-server"], ...SUPERVISED_ENTRIES },
        builtDir,
      );
    });
    afterAll(async () => {
      await devBuild.stop();
    });

    it("restarts a watched server when a file it imports changes, and the new code answers", async () => {
      const folder = await makeScratchFolder("ciba-watched-");
      try {
        const bodyModule = path.join(folder, "body.mjs");
        await writeFile(bodyModule, 'export default "first version";\n');
        const { output, shown } = shownOutput();
        const { child, ready } = await start(
          watched({ FIXTURE_BODY_MODULE: bodyModule }, { output }),
        );
        expect(await (await fetch(ready.url)).text()).toBe("first version");
        await untilWatched(child.pid, bodyModule);

        const restarted = child.waitForLine(parseReadyRecord, 20_000, "a second ready record");
        await writeFile(bodyModule, 'export default "second version";\n');
        const again = await restarted;

        expect(again.pid).not.toBe(ready.pid);
        expect(await (await fetch(again.url)).text()).toBe("second version");
        expect(child.running).toBe(true);
        expect(shown()).toMatch(/fixture\s+\|.*Restarting '.*test-supervised-server\.js'/);
        // The server it replaced is gone, not left listening beside the new one.
        expect(() => process.kill(ready.pid, 0)).toThrow();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    // pnpm links an installed package's files from a store every checkout on the machine shares:
    // another clone's `pnpm install` changes their link count, which Node's watcher took for a
    // change, and `pnpm dev` started all its services again (pending requests and logins lost).
    it("does not watch the files of installed packages a watched server loads, only its own", async () => {
      const folder = await makeScratchFolder("ciba-watched-");
      try {
        const installed = path.join(folder, "node_modules", "dep", "index.mjs");
        await mkdir(path.dirname(installed), { recursive: true });
        await writeFile(installed, 'export default "from an installed package";\n');
        const loadedLast = path.join(folder, "last.mjs");
        await writeFile(loadedLast, "export default 0;\n");
        const bodyModule = path.join(folder, "body.mjs");
        // The installed file is loaded, and reported to the watcher, before `last.mjs` is.
        await writeFile(
          bodyModule,
          'const { default: body } = await import("./node_modules/dep/index.mjs");\n' +
            'await import("./last.mjs");\nexport default body;\n',
        );
        const { child, ready } = await start(watched({ FIXTURE_BODY_MODULE: bodyModule }));
        expect(await (await fetch(ready.url)).text()).toBe("from an installed package");
        await untilWatched(child.pid, loadedLast);

        expect(await watches(child.pid!, bodyModule)).toBe(true);
        expect(await watches(child.pid!, installed)).toBe(false);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    // `pnpm dev` killed by kill -9, an IDE's hard stop or the OOM killer: none of its hooks runs.
    it("stops Node's watcher and the server it started again after a change once the supervisor is killed with SIGKILL", async () => {
      const folder = await makeScratchFolder("ciba-watched-");
      try {
        const bodyModule = path.join(folder, "body.mjs");
        await writeFile(bodyModule, 'export default "first version";\n');
        const launcher = SupervisedChild.spawn({
          name: "launcher",
          script: "test/fixtures/supervisor-launcher.ts",
          env: { LAUNCHER_BUILT_DIR: builtDir, FIXTURE_BODY_MODULE: bodyModule },
        });
        started.push(launcher);
        const first = await launcher.waitForLine(launched, 20_000, "the server's start");
        await untilWatched(first.watcher, bodyModule);
        const restarted = launcher.waitForLine(launched, 20_000, "the server's restart");
        await writeFile(bodyModule, 'export default "second version";\n');
        const second = await restarted;
        expect(second.ready.pid).not.toBe(first.ready.pid);
        expect(await (await fetch(second.ready.url)).text()).toBe("second version");
        // The watcher leads a process group of its own: the server it runs is in it.
        expect(await liveMembers(first.watcher)).toEqual(
          expect.arrayContaining([first.watcher, second.ready.pid]),
        );

        launcher.signal("SIGKILL");
        expect(await liveMembersAfter(first.watcher, 10_000)).toEqual([]);
        await expect(fetch(second.ready.url)).rejects.toThrow();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    // A closed terminal sends `pnpm dev` SIGHUP (Ctrl-C and SIGTERM take the same way out); its
    // services lead process groups of their own, so it must pass the end on to them itself.
    it("stops Node's watcher and the server it runs before the supervisor exits on SIGHUP (a closed terminal), as SIGHUP would have ended it", async () => {
      const launcher = SupervisedChild.spawn({
        name: "launcher",
        script: "test/fixtures/supervisor-launcher.ts",
        env: { LAUNCHER_BUILT_DIR: builtDir },
      });
      started.push(launcher);
      const { watcher, ready } = await launcher.waitForLine(launched, 20_000, "the server's start");
      expect(await liveMembers(watcher)).toEqual(expect.arrayContaining([watcher, ready.pid]));

      launcher.signal("SIGHUP");
      await launcher.exited;
      // 128 + 1, what a shell reports of a process that SIGHUP ended.
      expect(launcher.exitStatus).toEqual({ code: 129, signal: null });
      // Gone by then, not later: the next `pnpm dev` finds its ports free.
      expect(await liveMembers(watcher)).toEqual([]);
      await expect(fetch(ready.url)).rejects.toThrow();
    });

    // `pnpm dev` runs as pnpm -> sh -> node: a kill -9 of pnpm (an IDE's hard stop) leaves the
    // shell and the launcher running, and their services. A real pnpm here runs the launcher as
    // a scratch folder's package script.
    it("stops Node's watcher and the server it runs, and ends, once the pnpm that ran it as a package script is killed with SIGKILL", async () => {
      const folder = await makeScratchFolder("ciba-pnpm-run-");
      const launcherFile = builtFileOf("test/fixtures/supervisor-launcher.ts");
      await writeFile(
        path.join(folder, "package.json"),
        JSON.stringify({
          name: "launch",
          private: true,
          scripts: { launch: `node ${launcherFile}` },
        }),
      );
      const pnpm = spawn("pnpm", ["--silent", "run", "launch"], {
        cwd: folder,
        env: { ...process.env, LAUNCHER_BUILT_DIR: builtDir },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, as a terminal's job: pnpm, its shell and the launcher.
        detached: true,
      });
      const output = captureOutput(pnpm);
      try {
        const first = await new Promise<{ watcher: number; ready: ReadyRecord }>(
          (resolve, reject) => {
            createInterface({ input: pnpm.stdout }).on("line", (line) => {
              const value = launched(line);
              if (value !== undefined) resolve(value);
            });
            pnpm.once("exit", () => {
              reject(new Error(`pnpm exited before the server's start:\n${output.stderr()}`));
            });
          },
        );

        // Its output ends once the shell and the launcher are gone too.
        const closed = once(pnpm, "close");
        process.kill(pnpm.pid!, "SIGKILL");
        expect(await liveMembersAfter(pnpm.pid!, 5_000)).toEqual([]);
        expect(await liveMembersAfter(first.watcher, 5_000)).toEqual([]);
        await expect(fetch(first.ready.url)).rejects.toThrow();
        await closed;
        expect(output.stderr()).toContain(`launcher: pnpm (pid ${pnpm.pid}) is gone`);
      } finally {
        try {
          process.kill(-pnpm.pid!, "SIGTERM");
        } catch {
          // Gone, as it should be.
        }
        await rm(folder, { recursive: true, force: true });
      }
    });

    // Node's watcher passes a SIGTERM on to the server: one more, sent to the whole process
    // group, would end a server that is still closing (the shop flushing its database). The
    // server's own count cannot always show that one: two SIGTERMs that reach a process before
    // it runs again are one to it. Its worker's can: the server ends it after closing, so a
    // SIGTERM to the group is its only one.
    it("stops the whole process group, Node's watcher and the server it started, with one SIGTERM, which the server gets once, from the watcher, even when asked twice, and closes undisturbed", async () => {
      const { child, ready } = await start(
        watched({ FIXTURE_CLOSE_MS: "500", FIXTURE_WORKER: "yes" }),
      );
      expect(ready.pid).not.toBe(child.pid);
      const closing = child.waitForLine(closingLine, 10_000, "its first SIGTERM");
      const closed = child.waitForLine(closedLine, 10_000, "its close");
      const stopped = child.stop();
      await closing;
      // Asked again while the server closes, as a second signal to `pnpm dev` asks (Ctrl-C,
      // then the terminal closed): it sends nothing more.
      await child.stop();
      await stopped;
      expect(await closed).toEqual({ sigterms: 1, workerSigterms: 0 });
      expect(child.exitStatus).toEqual({ code: 0, signal: null });
      expect(await liveMembers(child.pid!)).toEqual([]);
      await expect(fetch(ready.url)).rejects.toThrow();
    });
  });
});
