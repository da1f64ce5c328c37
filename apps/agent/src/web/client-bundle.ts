import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const ENTRY = fileURLToPath(new URL("client/chat.ts", import.meta.url));

/**
 * The chat page's script, bundled with `ai`'s chat client for the browser. Built in memory
 * when the app starts (a few hundred milliseconds), so there is no build step to forget.
 */
export async function bundleChatClient(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild produced no chat client");
  return output.text;
}
