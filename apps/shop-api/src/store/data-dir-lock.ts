import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** Another live process holds the folder. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

export interface DataDirLock {
  /**
   * The socket of another user's found where an older shop's lock goes (`legacyLockSocket`),
   * and its owner: not taken for a shop holding the folder, and not held.
   */
  foreignLegacySocket?: ForeignSocket;
  release(): Promise<void>;
}

/** A socket at a lock's path that is not this user's: its path, and its owner's user id. */
export interface ForeignSocket {
  path: string;
  uid: number;
}

/** The lock's socket, in the folder it locks. */
export const LOCK_SOCKET_NAME = ".shop-api.lock";
/**
 * The lock's socket as shop-api versions before the lock moved into the folder named it: in the
 * temporary folder, after the folder's real path. Such a shop sees no other lock, so the current
 * one checks and holds this one too: an older and a newer shop on one folder each bought once
 * with one approval, and one's orders were lost. Anyone can work the name out from the folder's
 * path and make a socket there first (`/tmp` is everyone's, and its sticky bit keeps this user
 * from removing another's file), so only a socket of this user's counts (`socketOwner`).
 */
export function legacyLockSocket(realDataDir: string, temp: string = tmpdir()): string {
  const digest = createHash("sha256").update(realDataDir).digest("hex").slice(0, 24);
  return path.join(temp, `shop-api-db-${digest}.lock`);
}

/**
 * The longest path a Unix socket may be bound or reached by (`sun_path`: 108 bytes on Linux,
 * 104 on macOS, with its final NUL).
 */
const MAX_SOCKET_PATH = 100;

/**
 * One process at a time on an embedded database folder: PGlite takes no lock of its own, and
 * two processes writing one folder corrupt it. The lock is a Unix socket that this process
 * listens on, in the folder itself: a live holder accepts a connection, and a dead one (even
 * after `kill -9`, even a zombie) refuses it, so a stale lock never blocks a restart and needs no
 * timeout. Every process that sees the folder sees its lock, whatever its temporary folder
 * (`TMPDIR`, systemd's `PrivateTmp`, a container's own `/tmp` over a shared volume); a lock named
 * after the folder in the temporary folder let two shops with different `TMPDIR`s open one
 * folder, and one approval buy once in each. A shop of a version from before that sees only
 * that lock (`legacyLockSocket`), so it is checked and held too: an older shop of this user's
 * is refused the folder a current one holds, and the other way round. A socket of another
 * user's there is no older shop of this user's, and anyone may have made it to keep this shop
 * from starting: it is passed over (`foreignLegacySocket`). The folder must exist.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const real = realpathSync(dataDir);
  const held = await holding(path.join(real, LOCK_SOCKET_NAME), dataDir, true);
  const legacySocket = legacyLockSocket(real);
  let legacy: DataDirLock | undefined;
  try {
    legacy = await holding(legacySocket, dataDir, false);
  } catch (error) {
    if (error instanceof ForeignSocketError) {
      return {
        foreignLegacySocket: { path: legacySocket, uid: error.uid },
        release: async () => {
          await held?.release();
        },
      };
    }
    await held?.release();
    throw error;
  }
  return {
    release: async () => {
      await Promise.all([held?.release(), legacy?.release()]);
    },
  };
}

/** A socket of another user's answers at the path of a lock that is not required. */
class ForeignSocketError extends Error {
  override readonly name = "ForeignSocketError";
  constructor(readonly uid: number) {
    super(`the socket is user ${String(uid)}'s`);
  }
}

/**
 * Who made the file at `socketPath`, a socket that answered: `"mine"` for a socket of this
 * user's (or where there are no user ids), else the owner's user id (a link counts as its
 * own owner's, whatever it points to); `"gone"` when nothing is there any more.
 */
function socketOwner(socketPath: string): "mine" | "gone" | number {
  let found;
  try {
    found = lstatSync(socketPath);
  } catch {
    return "gone";
  }
  const me = process.getuid?.();
  if (me === undefined) return "mine";
  return found.uid === me && found.isSocket() ? "mine" : found.uid;
}

/**
 * Holds the lock socket `socketPath`, or throws `DataDirInUseError` when a live process holds
 * it. A socket left by a process that died is taken over. `required`: a socket that cannot be
 * made for any other reason fails the lock; the legacy socket (`legacyLockSocket`) is held when
 * it can be, and otherwise (a temporary folder this user may not write, another user's dead
 * socket) only checked: no older shop holds it then either. Such a socket of another user's
 * that answers is no shop of this user's: `ForeignSocketError`.
 */
async function holding(
  socketPath: string,
  dataDir: string,
  required: boolean,
): Promise<DataDirLock | undefined> {
  for (let attempt = 0; ; attempt++) {
    let failure: unknown;
    try {
      const server = await reaching(socketPath, listenOn);
      // The socket's own file: on release, removed only if no later holder replaced it.
      const { ino } = statSync(socketPath);
      return { release: () => close(server, socketPath, ino) };
    } catch (error) {
      failure = error;
    }
    if (await reaching(socketPath, socketAnswers)) {
      const owner = required ? "mine" : socketOwner(socketPath);
      if (owner === "mine") throw inUseError(dataDir);
      if (owner !== "gone") throw new ForeignSocketError(owner);
    }
    if ((failure as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) {
      if (required) throw failure;
      return undefined;
    }
    // Left behind by a process that died: nobody listens any more.
    try {
      rmSync(socketPath, { force: true });
    } catch (error) {
      if (required) throw error;
      return undefined;
    }
  }
}

function inUseError(dataDir: string): DataDirInUseError {
  return new DataDirInUseError(
    `${dataDir} is in use by another shop-api process. Stop it first, or give this one ` +
      "another SHOP_API_DATABASE; several shop-api processes share one database through " +
      "SHOP_API_DATABASE_URL (PostgreSQL)",
  );
}

/**
 * Whether a live process holds `dataDir`'s lock (its socket, or the socket an older shop of this
 * user's holds in the temporary folder, answers), as `lockDataDir` finds before it refuses;
 * false for a folder that does not exist. For a supervisor's advice (`pnpm
 * dev`'s suggested command), not for taking the folder: only `lockDataDir` does that.
 */
export async function isDataDirHeld(dataDir: string): Promise<boolean> {
  let real: string;
  try {
    real = realpathSync(dataDir);
  } catch {
    return false;
  }
  if (await reaching(path.join(real, LOCK_SOCKET_NAME), socketAnswers)) return true;
  const legacy = legacyLockSocket(real);
  return (await reaching(legacy, socketAnswers)) && socketOwner(legacy) === "mine";
}

/**
 * `use` given a path to `socketPath` short enough for a Unix socket: the path itself, or, for a
 * folder with a long path, the path through a link to the folder made in the temporary folder
 * for this call. Binding through the link makes the socket in the folder itself.
 */
async function reaching<T>(socketPath: string, use: (shortPath: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) return use(socketPath);
  const links = mkdtempSync(path.join(tmpdir(), "shop-api-lock-"));
  try {
    symlinkSync(path.dirname(socketPath), path.join(links, "d"));
    return await use(path.join(links, "d", path.basename(socketPath)));
  } finally {
    rmSync(links, { recursive: true, force: true });
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

/** Whether a process listens on the Unix socket `socketPath` (a short enough path). */
export function socketAnswers(socketPath: string): Promise<boolean> {
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

/**
 * Stops listening, and removes the socket's file if it is still the one this holder made: the
 * server removes it itself only by the path it was bound by, which for a long folder path was a
 * link already gone.
 */
function close(server: Server, socketPath: string, ino: number): Promise<void> {
  return new Promise((resolve) =>
    server.close(() => {
      try {
        if (statSync(socketPath).ino === ino) rmSync(socketPath, { force: true });
      } catch {
        // Already removed.
      }
      resolve();
    }),
  );
}
