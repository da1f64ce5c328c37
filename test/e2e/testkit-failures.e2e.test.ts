/**
 * A testbed whose processes fail in the ways a team's CI meets: a server killed after start,
 * a test process that crashes or is interrupted. A server's death is reported by the testkit
 * call that meets it; a crash leaves no folder of the testbed behind.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";

import { processExists, scratchRoot } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { startTestbed, type Testbed } from "@ciba-testbed/testkit";
import { legacyLockSocket } from "@ciba-testbed/shop-api/data-dir-lock";
import { describe, expect, it, vi } from "vitest";

/** The pids of the children of process `parent`. */
const childrenOf = (parent: number) =>
  execFileSync("ps", ["-o", "pid=", "--ppid", String(parent)], { encoding: "utf8" })
    .split("\n")
    .filter((row) => row.trim() !== "")
    .map(Number);

/** The pid of this process's child whose command line names `server`. */
function childPid(server: string): number {
  const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], {
    encoding: "utf8",
  });
  const line = children.split("\n").find((row) => row.includes(`${server}-bin`));
  if (line === undefined)
    throw new Error(`No ${server} among this process's children:\n${children}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe("a testbed whose server dies after start", () => {
  it("names the server and how it ended, where a call to it fails, not just ECONNREFUSED", async () => {
    const testbed = await startTestbed();
    try {
      process.kill(childPid("shop-api"), "SIGKILL");
      await expect(testbed.shop.orders()).rejects.toThrow(
        /^shop-api exited \(SIGKILL\) after start/,
      );

      process.kill(childPid("mock-auth0"), "SIGKILL");
      await expect(testbed.approver.waitForRequest({ user: testbed.user })).rejects.toThrow(
        /^mock-auth0 exited \(SIGKILL\) after start/,
      );
    } finally {
      await testbed.stop();
    }
    await expect(testbed.approver.requests()).rejects.toThrow(/^mock-auth0 exited/);
  });

  // A CI runner's shell names its system bundle: env() then writes a bundle with the tenant's CA
  // into the testbed's folder, which stop() removed. It threw ENOENT on a temporary file's name.
  it("says, for env() after stop() with the shell's NODE_EXTRA_CA_CERTS, that the testbed was stopped", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "testkit-env-after-stop-"));
    try {
      const systemBundle = path.join(folder, "system-bundle.pem");
      writeFileSync(systemBundle, "");
      vi.stubEnv("NODE_EXTRA_CA_CERTS", systemBundle);
      const testbed = await startTestbed();
      expect(testbed.env().NODE_EXTRA_CA_CERTS).not.toBe(systemBundle);
      await testbed.stop();
      expect(() => testbed.env()).toThrow(
        expect.objectContaining({
          code: "TESTBED_SERVER_GONE",
          message:
            "testbed.env() was called after the testbed's stop(): its tenant and shop are " +
            "stopped, and its folder, where env() writes the agent's bundle of CAs, is gone. " +
            "Start the agent before stop() (stop the testbed in afterAll), or start another testbed",
        }),
      );
    } finally {
      vi.unstubAllEnvs();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("gives such a failure a stable code, whether the server was killed or stopped", async () => {
    const testbed = await startTestbed();
    try {
      process.kill(childPid("shop-api"), "SIGKILL");
      await expect(testbed.shop.orders()).rejects.toMatchObject({
        name: "TestbedError",
        code: "TESTBED_SERVER_GONE",
      });
    } finally {
      await testbed.stop();
    }
    await expect(testbed.approver.requests()).rejects.toMatchObject({
      code: "TESTBED_SERVER_GONE",
      message: "mock-auth0 was stopped: the testbed's stop() was called",
    });
  });
});

/** A test process: starts a testbed from the workspace's testkit, prints its pid, then ends as told. */
const CRASHING = (how: string) => `
  import { startTestbed } from ${JSON.stringify(path.join(REPO_ROOT, "packages/testkit/src/index.ts"))};
  await startTestbed();
  console.log(process.pid);
  setInterval(() => {}, 60_000);
  if (${JSON.stringify(how)} === "throw") setTimeout(() => { throw new Error("a test's bug"); }, 0);
  if (${JSON.stringify(how)} === "SIGINT") process.kill(process.pid, "SIGINT");
`;

/** The testbed folders in the scratch root that belong to process `pid`. */
const foldersOf = (pid: number) =>
  readdirSync(scratchRoot()).filter((name) => name.startsWith(`ciba-testbed-pid${String(pid)}.`));

describe("a test process that crashes or is interrupted", () => {
  it.each(["throw", "SIGINT"])(
    "(%s) removes its testbed's folder as it ends, not at the next testbed's start",
    async (how) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", CRASHING(how)],
        { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] },
      );
      const ended = once(child, "exit") as Promise<[number | null, string | null]>;
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const pid = Number(line);
      const [folder] = foldersOf(pid);
      expect(folder, "the testbed's folder while it runs").toBeDefined();
      const socket = shopSocketOf(folder ?? "");
      expect(existsSync(socket), "the shop's lock socket while it runs").toBe(true);

      const [code, signal] = await ended;

      expect(signal ?? code).toBe(how === "SIGINT" ? "SIGINT" : 1);
      expect(existsSync(path.join(scratchRoot(), folder ?? ""))).toBe(false);
      expect(existsSync(socket), "the shop's lock socket in the temporary folder").toBe(false);
    },
  );

  it("(SIGKILL) leaves its folder and the shop's lock socket to the next testbed, which removes both", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", CRASHING("wait")],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] },
    );
    const ended = once(child, "exit");
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    const [folder] = foldersOf(Number(line));
    const socket = shopSocketOf(folder ?? "");
    expect(existsSync(socket), "the shop's lock socket while it runs").toBe(true);
    const servers = childrenOf(child.pid!);
    expect(servers, "the killed process's servers").not.toEqual([]);
    child.kill("SIGKILL");
    await ended;
    // Its servers end on their own once their parent is gone (the testkit's exit hook cannot
    // run); a testbed started while they still write into the folder could not remove it all.
    await vi.waitUntil(() => !servers.some(processExists), {
      timeout: 30_000,
      interval: 100,
    });

    const testbed = await startTestbed();
    await testbed.stop();

    expect(existsSync(path.join(scratchRoot(), folder ?? ""))).toBe(false);
    expect(existsSync(socket), "the shop's lock socket in the temporary folder").toBe(false);
  }, 60_000);
});

/**
 * The lock socket a testbed's shop holds in the temporary folder, for the testbed `folder`, as
 * the shop names it.
 */
const shopSocketOf = (folder: string) =>
  legacyLockSocket(path.join(realpathSync(scratchRoot()), folder, "shop-db"));

/** This process's children that are a server of a testbed. */
const serverChildren = () =>
  execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
    .split("\n")
    .filter((row) => /(mock-auth0|shop-api|model-server)-bin/.test(row));

/**
 * The error for a start that settled, with `outcome`, before its `server` was seen running;
 * a testbed it started is stopped first.
 */
async function startEndedFirst(outcome: unknown, server: string): Promise<Error> {
  if (outcome instanceof Error) {
    return new Error(
      `startTestbed failed before its ${server} was seen running: ${outcome.message}`,
      { cause: outcome },
    );
  }
  await (outcome as Testbed).stop();
  return new Error(`startTestbed resolved, and no ${server} was seen among its servers`);
}

describe("a start its caller aborts", () => {
  it.each(["mock-auth0", "shop-api"])(
    "(while %s starts) stops what it started, removes its folder, and rejects with the reason",
    async (server) => {
      const controller = new AbortController();
      const reason = new Error("the hook's timeout");
      const started = startTestbed({ modelServer: true, signal: controller.signal });
      const start = { settled: false };
      const outcome = started.catch((error: unknown) => error);
      void outcome.then(() => (start.settled = true));
      while (!serverChildren().some((row) => row.includes(`${server}-bin`))) {
        // A start that ended first (failed, or started no such server) would be waited for
        // until the test's timeout, which names nothing: fail with what the start said.
        if (start.settled) throw await startEndedFirst(await outcome, server);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      controller.abort(reason);

      expect(await outcome).toBe(reason);
      expect(serverChildren()).toEqual([]);
      expect(foldersOf(process.pid)).toEqual([]);
    },
  );

  it("starts nothing when the signal is aborted already", async () => {
    const reason = new Error("aborted before");
    await expect(startTestbed({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(serverChildren()).toEqual([]);
    expect(foldersOf(process.pid)).toEqual([]);
  });
});

describe("the cached empty shop database", () => {
  it("is this user's alone, and when damaged, is named with the fix: delete it", async () => {
    // A temporary folder of this test's own, so that the cache is made here, and damaged here.
    const temp = mkdtempSync(path.join(tmpdir(), "testkit-cache-"));
    vi.stubEnv("TMPDIR", temp);
    try {
      const testbed = await startTestbed();
      const [copyFolder] = foldersOf(process.pid).map((name) => path.join(scratchRoot(), name));
      const copyMode = statSync(path.join(copyFolder ?? "", "shop-db")).mode;
      await testbed.stop();
      const [cacheName] = readdirSync(temp).filter((name) => /-shop-db-[0-9a-f]{16}$/.test(name));
      const cache = path.join(temp, cacheName ?? "");
      // Folders others may not open, and no file of PGlite's (written 0666) others may write.
      expect(statSync(cache).mode & 0o777).toBe(0o700);
      expect(copyMode & 0o077).toBe(0);
      const writable = readdirSync(cache, { recursive: true }).filter(
        (name) => (statSync(path.join(cache, String(name))).mode & 0o022) !== 0,
      );
      expect(writable).toEqual([]);

      truncateSync(path.join(cache, "PG_VERSION"));
      const failed = startTestbed();

      await expect(failed).rejects.toThrow(
        `The testbed's shop cannot open its copy of the cached empty shop database ${cache}: ` +
          `that folder is damaged. Delete it (rm -rf ${cache}); the next testbed makes it anew.`,
      );
      await expect(failed).rejects.not.toThrow("SHOP_API_DATABASE");
    } finally {
      vi.unstubAllEnvs();
      rmSync(temp, { recursive: true, force: true });
    }
  }, 120_000);
});
