import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it, onTestFinished, vi } from "vitest";

import {
  DataDirInUseError,
  isDataDirHeld,
  LOCK_SOCKET_NAME,
  lockDataDir,
  socketAnswers,
} from "./data-dir-lock.js";

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shop-api-lock-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** `lockDataDir(dir)` is refused, saying the folder is in use and what to do. */
async function expectInUse(dir: string): Promise<void> {
  const refused = await lockDataDir(dir).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(DataDirInUseError);
  expect((refused as Error).message).toBe(
    `${dir} is in use by another shop-api process. Stop it first, or give this one another ` +
      "SHOP_API_DATABASE; several shop-api processes share one database through " +
      "SHOP_API_DATABASE_URL (PostgreSQL)",
  );
}

describe("lockDataDir", () => {
  it("lets one holder at a time have a folder, and the next one after release", async () => {
    const dir = folder();
    const first = await lockDataDir(dir);
    await expectInUse(dir);
    await first.release();
    const third = await lockDataDir(dir);
    await third.release();
  });

  it("knows the folder by its real path, however it is spelled", async () => {
    const dir = folder();
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(`${dir}/./`)).rejects.toBeInstanceOf(DataDirInUseError);
    await lock.release();
  });

  it("takes over from a holder killed with SIGKILL", async () => {
    const dir = folder();
    // Another process takes the lock, says so, and is killed: its socket file stays behind.
    const holder = await holderOf(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
    await killed(holder);
    expect(existsSync(path.join(dir, LOCK_SOCKET_NAME))).toBe(true);

    const lock = await lockDataDir(dir);
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_SOCKET_NAME))).toBe(false);
  });

  it("is the same lock for a holder with another temporary folder", async () => {
    // Named in the temporary folder, the lock let a shop started with another TMPDIR (or
    // PrivateTmp, or its own container's /tmp) open the same folder: one approval bought twice.
    const dir = folder();
    const holder = await holderOf(dir, { TMPDIR: folder() });
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
    await killed(holder);
  });

  it("locks a folder whose path is too long for a socket, and takes over after SIGKILL", async () => {
    const dir = path.join(folder(), "a-folder-with-a-long-name-".repeat(4));
    mkdirSync(dir);
    expect(Buffer.byteLength(path.join(dir, LOCK_SOCKET_NAME))).toBeGreaterThan(108);
    const first = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
    await first.release();
    expect(existsSync(path.join(dir, LOCK_SOCKET_NAME))).toBe(false);

    const holder = await holderOf(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
    await killed(holder);
    const lock = await lockDataDir(dir);
    await lock.release();
  });
});

describe("lockDataDir and a shop of a version before the lock moved into the folder", () => {
  // Such a shop locked the folder with a socket in its temporary folder, named after the
  // folder's real path, and saw no other lock: an older and a newer shop on one folder each
  // bought once with one approval, and after both stopped one shop's orders were gone.
  it("refuses a folder an older shop holds, with the same message, and isDataDirHeld says so", async () => {
    const dir = folder();
    const old = await oldShopHolding(dir);
    try {
      expect(await isDataDirHeld(dir)).toBe(true);
      await expectInUse(dir);
      // Refused whole: the folder's own lock is not left held.
      expect(existsSync(path.join(dir, LOCK_SOCKET_NAME))).toBe(false);
    } finally {
      await killed(old);
    }
    // Killed, its socket is left behind; nobody answers it, so the folder is free.
    expect(existsSync(oldLockSocket(dir))).toBe(true);
    expect(await isDataDirHeld(dir)).toBe(false);
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it("holds the older shop's socket while it holds the folder, so an older shop is refused", async () => {
    const dir = folder();
    const lock = await lockDataDir(dir);
    // What an older shop did: listen on its socket, and on EADDRINUSE see whether it answers.
    expect(await oldShopListens(dir)).toBe("EADDRINUSE");
    expect(await socketAnswers(oldLockSocket(dir))).toBe(true);
    await lock.release();
    expect(existsSync(oldLockSocket(dir))).toBe(false);
    expect(await oldShopListens(dir)).toBe("listening");
  });
});

describe("lockDataDir and another user's socket where an older shop's lock goes", () => {
  // Its name is the folder's path's digest, which anyone can work out, in /tmp, where the sticky
  // bit keeps this user from removing another user's file: taken for an older shop, such a
  // socket kept the shop from ever starting on its folder.
  // Only root may run a process as another user; CI runs the suite as root.
  it.runIf(process.getuid?.() === 0)(
    "is passed over, named, and isDataDirHeld does not count it",
    async () => {
      const temp = folder();
      chmodSync(temp, 0o1777);
      vi.stubEnv("TMPDIR", temp);
      onTestFinished(() => {
        vi.unstubAllEnvs();
      });
      const dir = folder();
      const squatter = await oldShopHolding(dir, { uid: 65534, gid: 65534 });
      try {
        expect(await socketAnswers(oldLockSocket(dir))).toBe(true);
        expect(await isDataDirHeld(dir)).toBe(false);

        const lock = await lockDataDir(dir);

        expect(lock.foreignLegacySocket).toEqual({ path: oldLockSocket(dir), uid: 65534 });
        // The folder is held all the same, by its own lock.
        expect(await isDataDirHeld(dir)).toBe(true);
        await expectInUse(dir);
        await lock.release();
        // The other user's socket is theirs: left as it is.
        expect(await socketAnswers(oldLockSocket(dir))).toBe(true);
      } finally {
        await killed(squatter);
      }
    },
  );
});

/** The lock's socket of a shop before it moved into the folder, as that version named it. */
function oldLockSocket(dir: string): string {
  const digest = createHash("sha256").update(realpathSync(dir)).digest("hex").slice(0, 24);
  return path.join(tmpdir(), `shop-api-db-${digest}.lock`);
}

/** Whether an older shop could listen on its socket for `dir`, or the error code. */
function oldShopListens(dir: string): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
    server.listen(oldLockSocket(dir), () => {
      server.close(() => {
        resolve("listening");
      });
    });
  });
}

/**
 * Another process that holds `dir` as an older shop did, once it holds it; as the user `as`
 * names, with a socket every user may connect to.
 */
async function oldShopHolding(
  dir: string,
  as: { uid: number; gid: number } | Record<string, never> = {},
): Promise<ChildProcess> {
  const holder = spawn(
    process.execPath,
    [
      "-e",
      `process.umask(0);
       require("node:net").createServer((socket) => socket.destroy())
         .listen(${JSON.stringify(oldLockSocket(dir))}, () => console.log("locked"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"], ...as },
  );
  await new Promise<void>((resolve) =>
    holder.stdout.once("data", () => {
      resolve();
    }),
  );
  return holder;
}

/** Another process that takes the lock of `dir`, once it has it. */
async function holderOf(dir: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const holder = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `import { lockDataDir } from ${JSON.stringify(new URL("./data-dir-lock.ts", import.meta.url).pathname)};
       await lockDataDir(${JSON.stringify(dir)});
       console.log("locked");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
  );
  await new Promise<void>((resolve) =>
    holder.stdout.once("data", () => {
      resolve();
    }),
  );
  return holder;
}

async function killed(holder: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => holder.once("exit", resolve));
  holder.kill("SIGKILL");
  await exited;
}
