/**
 * `pnpm dev`'s build (`watchBuild` in scripts/build.js) with Node's watch mode, as `pnpm dev`
 * runs its servers: two servers built from one folder of sources, each run by `node --watch`.
 * A change starts again exactly the servers whose built files changed, every time; a change that
 * does not compile is written nowhere, and the servers keep running the last code that did. The
 * last build is kept for the next `pnpm dev`, which starts from it while no source changed.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

import { makeScratchFolder, parseReadyRecord } from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { watchBuild } from "../../scripts/build.js";
import { untilWatched } from "../support/inotify.js";

const SHARED = (greeting: string) => `import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export function serve(name: string, body: string): void {
  const server = createServer((_req, res) => res.end(\`${greeting} \${body}\`));
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    const url = \`http://127.0.0.1:\${port}/\`;
    console.log(JSON.stringify({ ready: true, pid: process.pid, service: name, url, port }));
  });
}
`;

/** Two servers' sources in `folder`, a.ts and b.ts, both importing shared.ts: their entries. */
async function writeServers(folder: string): Promise<Record<string, string>> {
  await writeFile(path.join(folder, "shared.ts"), SHARED("hello"));
  await writeFile(path.join(folder, "body.ts"), 'export const body = "a1";\n');
  await writeFile(
    path.join(folder, "a.ts"),
    'import { body } from "./body";\nimport { serve } from "./shared";\n\nserve("a", body);\n',
  );
  await writeFile(
    path.join(folder, "b.ts"),
    'import { serve } from "./shared";\n\nserve("b", "b");\n',
  );
  return { a: path.join(folder, "a.ts"), b: path.join(folder, "b.ts") };
}

/** One `node --watch` process and the ready records it printed, one per start of its server. */
class Watched {
  readonly starts: ReadyRecord[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly child;

  constructor(file: string) {
    this.child = spawn(process.execPath, ["--watch", "--watch-preserve-output", file], {
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const ready = parseReadyRecord(line);
      if (ready === undefined) return;
      this.starts.push(ready);
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The `count`-th start's ready record, once printed. */
  async start(count: number): Promise<ReadyRecord> {
    await vi.waitFor(
      () => {
        if (this.starts.length < count) throw new Error(`${count} starts awaited`);
      },
      { timeout: 20_000, interval: 20 },
    );
    return this.starts[count - 1]!;
  }

  async answer(): Promise<string> {
    const last = this.starts.at(-1);
    if (last === undefined) throw new Error("not started");
    return (await fetch(last.url)).text();
  }

  stop(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch (error) {
      // The group is gone already: its processes all ended (a test stopped it, or it exited).
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}

describe("pnpm dev's build, watched, with Node's watch mode", () => {
  let sources: string;
  let out: string;
  let build: { stop(): Promise<void> };
  const builds: { errors: number; written: string[] }[] = [];
  const servers: Watched[] = [];

  /** Resolves with the first build after `since` builds that `matches`. */
  const buildAfter = (
    since: number,
    matches: (b: { errors: number; written: string[] }) => boolean,
  ) =>
    vi.waitFor(
      () => {
        const found = builds.slice(since).find(matches);
        if (found === undefined) throw new Error("no such build yet");
        return found;
      },
      { timeout: 20_000, interval: 20 },
    );
  const edit = async (file: string, text: string) => {
    const since = builds.length;
    await writeFile(path.join(sources, file), text);
    return since;
  };
  const fingerprint = async (file: string) => {
    const info = await stat(path.join(out, file));
    return [info.ino, info.mtimeMs];
  };

  beforeAll(async () => {
    sources = await makeScratchFolder("ciba-dev-sources-");
    out = await makeScratchFolder("ciba-dev-out-");
    build = await watchBuild(await writeServers(sources), out, (built) => builds.push(built));
  });

  afterAll(async () => {
    for (const server of servers) server.stop();
    await build.stop();
    await rm(sources, { recursive: true, force: true });
  });

  it("starts again only the server whose code changed, at every change, and never from code that does not compile", async () => {
    const a = new Watched(path.join(out, "a.js"));
    const b = new Watched(path.join(out, "b.js"));
    servers.push(a, b);
    await Promise.all([a.start(1), b.start(1)]);
    expect([await a.answer(), await b.answer()]).toEqual(["hello a1", "hello b"]);
    await untilWatched(a.pid, path.join(out, "a.js"));
    await untilWatched(b.pid, path.join(out, "b.js"));
    const bBefore = await fingerprint("b.js");

    // The same file changed again and again: each change is seen (Node watches the file it
    // loaded by its inode, which the build keeps).
    for (const [n, body] of [
      [2, "a2"],
      [3, "a3"],
    ] as const) {
      const since = await edit("body.ts", `export const body = "${body}";\n`);
      const built = await buildAfter(since, (x) => x.written.length > 0);
      expect(built.written).toContain(path.join(out, "a.js"));
      expect(built.written).not.toContain(path.join(out, "b.js"));
      await a.start(n);
      expect(await a.answer()).toBe(`hello ${body}`);
    }
    expect(await fingerprint("b.js")).toEqual(bBefore);
    expect(b.starts).toHaveLength(1);

    // A change that does not compile: nothing is written, and the server keeps answering.
    const aBefore = await fingerprint("a.js");
    const since = await edit("body.ts", 'export const body = "a4;\n');
    expect(await buildAfter(since, (x) => x.errors > 0)).toEqual({ errors: 1, written: [] });
    expect(await fingerprint("a.js")).toEqual(aBefore);
    expect(await a.answer()).toBe("hello a3");
    expect(a.starts).toHaveLength(3);

    // Fixed: it starts again, with the fixed code.
    await edit("body.ts", 'export const body = "a4";\n');
    await a.start(4);
    expect(await a.answer()).toBe("hello a4");

    // Code both servers share: both start again.
    await edit("shared.ts", SHARED("hi"));
    await Promise.all([a.start(5), b.start(2)]);
    expect([await a.answer(), await b.answer()]).toEqual(["hi a4", "hi b"]);
  });
});

describe("pnpm dev's build, kept for the next pnpm dev (cacheDir)", () => {
  let sources: string;
  let entries: Record<string, string>;
  let cacheDir: string;
  const scratch: string[] = [];
  const running: { stop(): Promise<void> }[] = [];
  const servers: Watched[] = [];

  /** A `pnpm dev` build of a.ts and b.ts, into a new folder beside the others. */
  const devBuild = async (
    onBuilt?: (built: { errors: number; written: string[] }) => void,
    out?: string,
  ) => {
    const outdir = out ?? (await makeScratchFolder("ciba-dev-out-"));
    const build = await watchBuild(entries, outdir, onBuilt, { cacheDir });
    running.push(build);
    return { out: outdir, build };
  };
  const built = (out: string, file: string) => readFile(path.join(out, file), "utf8");

  beforeAll(async () => {
    sources = await makeScratchFolder("ciba-dev-sources-");
    cacheDir = await makeScratchFolder("ciba-dev-cache-");
    scratch.push(sources, cacheDir);
    entries = await writeServers(sources);
  });

  afterAll(async () => {
    for (const server of servers) server.stop();
    for (const build of running) await build.stop();
    for (const folder of scratch) await rm(folder, { recursive: true, force: true });
  });

  it("starts from the last build when no source changed, and a change then starts again only the server whose code changed", async () => {
    const first = await devBuild();
    expect(first.build.cached).toBe(false);
    await first.build.stop();

    const builds: { errors: number; written: string[] }[] = [];
    const second = await devBuild((b) => builds.push(b));
    expect(second.build.cached).toBe(true);
    const a = new Watched(path.join(second.out, "a.js"));
    const b = new Watched(path.join(second.out, "b.js"));
    servers.push(a, b);
    await Promise.all([a.start(1), b.start(1)]);
    expect([await a.answer(), await b.answer()]).toEqual(["hello a1", "hello b"]);
    await untilWatched(a.pid, path.join(second.out, "a.js"));
    await untilWatched(b.pid, path.join(second.out, "b.js"));

    // The first change builds everything; only what differs from the copy is written.
    const since = builds.length;
    await writeFile(path.join(sources, "body.ts"), 'export const body = "a2";\n');
    await a.start(2);
    expect(await a.answer()).toBe("hello a2");
    const rebuilt = builds.slice(since).find((x) => x.written.length > 0);
    expect(rebuilt?.written).toContain(path.join(second.out, "a.js"));
    expect(rebuilt?.written).not.toContain(path.join(second.out, "b.js"));
    expect(b.starts).toHaveLength(1);
    a.stop();
    b.stop();
    await second.build.stop();

    // The build of the changed source is the one kept.
    const third = await devBuild();
    expect(third.build.cached).toBe(true);
    expect(await built(third.out, "a.js")).toContain('"a2"');
    await third.build.stop();

    // A source changed while no `pnpm dev` ran: built again.
    await writeFile(path.join(sources, "body.ts"), 'export const body = "a3";\n');
    const fourth = await devBuild();
    expect(fourth.build.cached).toBe(false);
    expect(await built(fourth.out, "a.js")).toContain('"a3"');
    await fourth.build.stop();
    // Only the newest build is kept.
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it("builds a source saved while it starts, before its folder was watched, with or without a kept build", async () => {
    const body = path.join(sources, "body.ts");
    // Unlike every kept build: the first start builds.
    await writeFile(body, 'export const body = "before the start";\n');
    for (const cached of [false, true]) {
      const text = `export const body = "saved as the ${cached ? "copy" : "build"} was written";\n`;
      let saved = false;
      const started = await devBuild(() => {
        // Told of its first build at once, before it watches the sources.
        if (saved) return;
        saved = true;
        writeFileSync(body, text);
      });
      expect(started.build.cached).toBe(cached);
      await vi.waitFor(
        async () => {
          expect(await built(started.out, "a.js")).toContain(text.split('"')[1]);
        },
        { timeout: 20_000, interval: 20 },
      );
      await started.build.stop();
    }
  });

  it("lets two start at once, each from a folder of its own, and keeps one whole build", async () => {
    await writeFile(path.join(sources, "body.ts"), 'export const body = "two at once";\n');
    const both = await Promise.all([devBuild(), devBuild()]);
    for (const { build } of both) await build.stop();
    expect(await readdir(cacheDir)).toHaveLength(1);
    const next = await devBuild();
    expect(next.build.cached).toBe(true);
    expect(await built(next.out, "a.js")).toContain('"two at once"');
    await next.build.stop();
  });

  it("builds again for an output folder elsewhere: the output names files relative to its folder", async () => {
    await (await devBuild()).build.stop();
    const elsewhere = await makeScratchFolder("ciba-dev-elsewhere-");
    scratch.push(elsewhere);
    const moved = await devBuild(undefined, path.join(elsewhere, "out"));
    expect(moved.build.cached).toBe(false);
    await moved.build.stop();
  });
});
