import { existsSync } from "node:fs";
import { readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";

import { makeScratchFolder, parseReadyRecord } from "@ciba-testbed/shared/node";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import type { SuperviseOptions } from "@ciba-testbed/stack/supervisor";
import { afterEach, describe, expect, it, vi } from "vitest";

const started: SupervisedChild[] = [];

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

/**
 * Whether process `pid` has an inotify watch on `file` (Linux: each watch is a line of the
 * inotify descriptor's fdinfo, naming the watched inode in hex).
 */
async function watches(pid: number, file: string): Promise<boolean> {
  const inode = `ino:${(await stat(file)).ino.toString(16)} `;
  for (const fd of await readdir(`/proc/${String(pid)}/fd`)) {
    const target = await readlink(`/proc/${String(pid)}/fd/${fd}`).catch(() => "");
    if (target !== "anon_inode:inotify") continue;
    const info = await readFile(`/proc/${String(pid)}/fdinfo/${fd}`, "utf8").catch(() => "");
    if (info.split("\n").some((line) => line.startsWith("inotify") && line.includes(inode))) {
      return true;
    }
  }
  return false;
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
    const error = await child.waitForReady(1_500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^fixture did not print its ready record within 1500 ms:\n.*mock-auth0 listening/,
    );
    await child.exited;
    expect(child.running).toBe(false);
  });

  it("reports a server that exits before it is ready, with its last words", async () => {
    await expect(start(fixture({ FIXTURE_EXIT: "3" }))).rejects.toThrow(
      /^fixture exited \(code 3\) before printing its ready record:\nfixture cannot start: FIXTURE_EXIT is set/,
    );
  });

  it("runs a server as one node process, whose pid is the app's", async () => {
    const { child, ready } = await start(fixture({}, { runner: { kind: "node" } }));
    expect(ready.pid).toBe(child.pid);
  });

  // What `pnpm dev` runs for each server: a change to any file the server imported starts it
  // again, under the same supervisor, with the new code.
  it("restarts a watched server when a file it imports changes, and the new code answers", async () => {
    const folder = await makeScratchFolder("ciba-watched-");
    try {
      const bodyModule = path.join(folder, "body.mjs");
      await writeFile(bodyModule, 'export default "first version";\n');
      const { output, shown } = shownOutput();
      const { child, ready } = await start(
        fixture(
          { FIXTURE_BODY_MODULE: bodyModule },
          { runner: { kind: "tsx", watch: true }, output },
        ),
      );
      expect(await (await fetch(ready.url)).text()).toBe("first version");
      // tsx hears of an import from the server after the import, and starts watching the file
      // a moment later (sooner than a person saves it again). A change before then is not seen,
      // so the test edits the file once tsx watches it.
      if (existsSync("/proc/self/fdinfo")) {
        const tsx = child.pid ?? 0;
        await vi.waitFor(
          async () => {
            expect(await watches(tsx, bodyModule)).toBe(true);
          },
          {
            timeout: 15_000,
            interval: 20,
          },
        );
      }

      const restarted = child.waitForLine(parseReadyRecord, 20_000, "a second ready record");
      await writeFile(bodyModule, 'export default "second version";\n');
      const again = await restarted;

      expect(again.pid).not.toBe(ready.pid);
      expect(await (await fetch(again.url)).text()).toBe("second version");
      expect(child.running).toBe(true);
      expect(shown()).toMatch(/fixture\s+\|.*\[tsx\] change in .*body\.mjs Restarting/);
      // The server it replaced is gone, not left listening beside the new one.
      expect(() => process.kill(ready.pid, 0)).toThrow();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("stops the whole process group: tsx and the server it started", async () => {
    const { child, ready } = await start(fixture({}, { runner: { kind: "tsx" } }));
    expect(ready.pid).not.toBe(child.pid);
    await child.stop();
    await expect(fetch(ready.url)).rejects.toThrow();
  });
});
