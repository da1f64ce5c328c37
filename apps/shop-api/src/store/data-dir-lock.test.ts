import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { DataDirInUseError, LOCK_SOCKET_NAME, lockDataDir } from "./data-dir-lock.js";

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shop-api-lock-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("lockDataDir", () => {
  it("lets one holder at a time have a folder, and the next one after release", async () => {
    const dir = folder();
    const first = await lockDataDir(dir);
    const second = await lockDataDir(dir).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(DataDirInUseError);
    expect((second as Error).message).toBe(
      `${dir} is in use by another shop-api process. Stop it first, or give this one another ` +
        "SHOP_API_DATABASE; several shop-api processes share one database through " +
        "SHOP_API_DATABASE_URL (PostgreSQL)",
    );
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
