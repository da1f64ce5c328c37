import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("client/chat.ts", import.meta.url));

/**
 * The chat page's script, bundled with `ai`'s chat client for the browser. Built in memory
 * (a few hundred milliseconds of esbuild), so there is no build step to forget.
 */
export async function bundleChatClient(): Promise<string> {
  const { build } = await import("esbuild");
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

/**
 * The chat page's script, bundled when it is first asked for and kept: a web app started for an
 * API client, a login or a test that never loads the page (every `pnpm dev` start) spends
 * nothing on it. A bundle that failed is tried again at the next request.
 */
export function chatClientScript(bundle = bundleChatClient): () => Promise<string> {
  let script: Promise<string> | undefined;
  return () =>
    (script ??= bundle().catch((error: unknown) => {
      script = undefined;
      throw error;
    }));
}
