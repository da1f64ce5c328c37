import type { PurchaseRequest } from "@ciba-testbed/shared";

import { AgentHalt } from "./halt.js";

/**
 * The agent's store failed a read or a write (a full disk, a read-only folder, Redis gone or
 * refusing) while `@auth0/ai` used it. The SDK hands such an error on as if the authorization
 * had failed; wrapped in this, the purchase tool lets it through instead of reporting the
 * purchase refused, and the run ends saying the store failed.
 */
export class StoreFailure extends Error {
  /**
   * What the request asked for that the turn had not tried when the store failed, where the
   * model's reading of the request is known (the built-in model's): empty when every purchase
   * it asked for had been tried. Undefined when not known (OpenAI).
   */
  untried?: readonly PurchaseRequest[] | undefined;

  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
    this.name = "StoreFailure";
  }
}

/** A store's error as a StoreFailure; a corrupt entry's AgentHalt stays as it is. */
export function asStoreFailure(error: unknown): Error {
  return error instanceof AgentHalt || error instanceof StoreFailure
    ? error
    : new StoreFailure(error);
}

export function rethrowAsStoreFailure(error: unknown): never {
  throw asStoreFailure(error);
}

/** File system errors of a disk, never of a socket: full, over quota, failing, read-only. */
const DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EIO", "EROFS", "EFBIG"]);

/**
 * A failure of the store itself: a file system error on its folder (no space, no permission,
 * read-only, a file where a folder should be), or Redis refusing, dropping or not answering a
 * command.
 */
export function isStoreFailure(error: unknown): boolean {
  if (error instanceof StoreFailure) return true;
  if (typeof error !== "object" || error === null) return false;
  const { code, syscall, path, name, message } = error as Record<string, unknown>;
  // A file system error names its path; a socket's (the tenant's, the shop's) does not.
  if (typeof syscall === "string" && typeof code === "string" && typeof path === "string") {
    return true;
  }
  // A write to an open file names no path ("ENOSPC: no space left on device, write"): these
  // codes are a disk's, never a socket's. It ended the run with the bare line, error null, even
  // after the order had gone out.
  if (typeof code === "string" && DISK_CODES.has(code) && typeof syscall === "string") return true;
  if (name === "ReplyError" || name === "MaxRetriesPerRequestError") return true;
  // ioredis: the connection dropped, or Redis stopped answering (commandTimeout).
  return message === "Connection is closed." || message === "Command timed out";
}
