import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { DataDirInUseError, lockDataDir } from "./data-dir-lock.js";

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
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) =>
      holder.stdout.once("data", () => {
        resolve();
      }),
    );
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;

    const lock = await lockDataDir(dir);
    await lock.release();
  });
});
