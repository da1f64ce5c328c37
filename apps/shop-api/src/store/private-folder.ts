import { constants } from "node:fs";
import { chmod, lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";

import { folderHolder } from "@ciba-testbed/shared/node";

/** A folder's permission bits as `ls -l` and chmod write them: `0755`. */
export const modeText = (mode: number): string => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * Closes the embedded database's folder to every other user, when it is this user's and open
 * to them: the folder becomes 0700 and everything in it loses its group and other bits. PGlite
 * writes its files 0666 whatever the umask, so in a folder others may enter (an earlier
 * version's, made with the umask's 0755) any local user could read the orders and the
 * approvals they spent (the WAL holds them) and write over the files (`PG_VERSION`), as
 * PostgreSQL itself refuses by starting only on a folder no other user may enter. The files
 * lose their bits too: a link another user made to one while the folder was open would still
 * reach it. Returns the mode the folder had when it changed it; a folder of another user's, or
 * one already closed, is left as it is (undefined). Where there are no user ids (Windows) it
 * does nothing.
 */
export async function closeToOthers(folder: string): Promise<number | undefined> {
  if (process.platform === "win32") return undefined;
  const real = await realpath(folder);
  const holder = await folderHolder(real);
  if (holder?.mine !== true || (holder.mode & 0o077) === 0) return undefined;
  // The folder first: from then on nobody else reaches what is in it by its path.
  await chmod(real, 0o700);
  const names = await readdir(real, { recursive: true });
  await Promise.all(
    names.map(async (name) => {
      const file = path.join(real, name);
      try {
        const { mode } = await lstat(file);
        if ((mode & 0o077) !== 0 && (mode & constants.S_IFMT) !== constants.S_IFLNK) {
          await chmod(file, mode & 0o7700);
        }
      } catch (error) {
        // Gone meanwhile, or another user's (a run with sudo): PostgreSQL's start names the
        // files this user may not read or write.
        const { code } = error as NodeJS.ErrnoException;
        if (code !== "ENOENT" && code !== "EPERM") throw error;
      }
    }),
  );
  return holder.mode & 0o7777;
}
