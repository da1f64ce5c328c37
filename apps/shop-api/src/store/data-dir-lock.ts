import { createHash } from "node:crypto";
import { realpathSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** Another live process holds the folder. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One process at a time on an embedded database folder: PGlite takes no lock of its own, and
 * two processes writing one folder corrupt it. The lock is a Unix socket that this process
 * listens on, named after the folder's real path: a live holder accepts a connection, and a
 * dead one (even after `kill -9`, even a zombie) refuses it, so a stale lock never blocks a
 * restart and needs no timeout. The folder must exist.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const digest = createHash("sha256").update(realpathSync(dataDir)).digest("hex").slice(0, 24);
  // In the temporary folder: a socket path must be short (about 100 bytes), a data folder's
  // path need not be.
  const socketPath = path.join(tmpdir(), `shop-api-db-${digest}.lock`);
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await listenOn(socketPath);
      return { release: () => close(server) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw error;
    }
    if (await answers(socketPath)) {
      throw new DataDirInUseError(
        `${dataDir} is in use by another shop-api process. Stop it first, or give this one ` +
          "another SHOP_API_DATABASE; several shop-api processes share one database through " +
          "SHOP_API_DATABASE_URL (PostgreSQL)",
      );
    }
    // Left behind by a process that died: nobody listens any more.
    rmSync(socketPath, { force: true });
  }
}

function listenOn(socketPath: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      // The lock must not keep the process alive by itself.
      server.unref();
      resolve(server);
    });
  });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
}
