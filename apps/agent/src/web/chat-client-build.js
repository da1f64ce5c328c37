// @ts-check
/**
 * How the chat page's script is bundled, in one place for the two that bundle it: the web app,
 * in memory when no current bundle was made before it started (client-bundle.ts), and
 * scripts/build.js, which makes that bundle beside the rest of the build. Plain JavaScript, so
 * that the build (itself plain JavaScript) can import it.
 */

import path from "node:path";

/** The file the build writes the bundle and its record to, in `build/`. */
export const PREBUILT_CHAT_CLIENT_FILE = "chat-client.json";

/** Bump when what PREBUILT_CHAT_CLIENT_FILE holds changes shape. */
export const PREBUILT_CHAT_CLIENT_FORMAT = 1;

/**
 * esbuild's options for the chat page's script, `entry` (an absolute path), bundled with `ai`'s
 * chat client for the browser, minified, into memory.
 *
 * @returns {import("esbuild").BuildOptions & { write: false; metafile: true }}
 */
export function chatClientBuildOptions(/** @type {string} */ entry) {
  return {
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  };
}

/**
 * The files of this repository a bundle was made from: the inputs of its metafile (`inputs`,
 * named relative to `workingDir`), absolute, without the installed packages'.
 */
export function chatClientSources(
  /** @type {Record<string, unknown>} */ inputs,
  /** @type {string} */ workingDir,
) {
  return Object.keys(inputs)
    .map((input) => path.resolve(workingDir, input))
    .filter((file) => !file.split(path.sep).includes("node_modules"));
}
