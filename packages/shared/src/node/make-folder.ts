import { mkdir, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Makes the folder `dir` and the folders missing above it, one level at a time (each with
 * `mode`, before the umask, as `mkdir` takes it), or fails with a file system error that names
 * the level it could not make: where a user's setting names a folder (a store, a certificate
 * folder, a database). Node 20's `mkdir(dir, {
 * recursive: true })` never ends on a path whose parent exists but refuses new entries with
 * ENOENT (under /proc): it makes the parent again (EEXIST) and retries the child, forever. Here
 * the nearest existing level is found first, each missing level is made once, and any error
 * ends it.
 */
export async function makeFolder(dir: string, mode = 0o777): Promise<void> {
  const missing: string[] = [];
  let level = path.resolve(dir);
  for (;;) {
    const kind = await kindOf(level);
    if (kind === "folder") break;
    if (kind === "other") throw notAFolder(level);
    const parent = path.dirname(level);
    // The root always exists; a path whose root is missing (a drive gone) fails at the root.
    if (parent === level) break;
    missing.unshift(level);
    level = parent;
  }
  for (const folder of missing) {
    try {
      await mkdir(folder, { mode });
    } catch (error) {
      // Another process made it meanwhile: as good as made here.
      if (codeOf(error) === "EEXIST" && (await kindOf(folder)) === "folder") continue;
      throw codeOf(error) === "ENOENT" ? refused(folder, error) : error;
    }
  }
}

async function kindOf(level: string): Promise<"folder" | "other" | "missing"> {
  try {
    return (await stat(level)).isDirectory() ? "folder" : "other";
  } catch (error) {
    // ENOTDIR: a file stands on the way; the walk up finds it and names it (notAFolder).
    if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return "missing";
    throw error;
  }
}

/** An error shaped as Node's own (code, syscall, path), as callers that sort errors read them. */
function notAFolder(level: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: ${level} is a file, not a folder`), {
    code: "ENOTDIR",
    syscall: "mkdir",
    path: level,
  });
}

/** ENOENT for a folder whose parent was just seen: the parent takes no new folders (/proc). */
function refused(folder: string, error: unknown): NodeJS.ErrnoException {
  return Object.assign(
    new Error(
      `ENOENT: cannot make the folder ${folder}: ${path.dirname(folder)} exists but takes no new folders`,
    ),
    { code: "ENOENT", syscall: "mkdir", path: folder, cause: error },
  );
}

function codeOf(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
