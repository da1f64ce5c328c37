import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("client/chat.ts", import.meta.url));

/** The chat page's script, and the files of this repository it was built from. */
export interface ChatClientBundle {
  text: string;
  sources: string[];
}

/**
 * The chat page's script, bundled with `ai`'s chat client for the browser. Built in memory
 * (a few hundred milliseconds of esbuild), so there is no build step to forget.
 */
export async function bundleChatClient(): Promise<ChatClientBundle> {
  const { build } = await import("esbuild");
  const workingDir = path.dirname(ENTRY);
  const result = await build({
    entryPoints: [ENTRY],
    absWorkingDir: workingDir,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild produced no chat client");
  // An installed package changes only with a new install, which restarts the app anyway.
  const sources = Object.keys(result.metafile.inputs)
    .map((input) => path.resolve(workingDir, input))
    .filter((file) => !file.split(path.sep).includes("node_modules"));
  return { text: output.text, sources };
}

/** When `file` last changed (ms), or undefined when it cannot be read. */
const modifiedAt = (file: string): Promise<number | undefined> =>
  stat(file).then(
    (stats) => stats.mtimeMs,
    () => undefined,
  );

/**
 * The chat page's script, bundled when it is first asked for and kept while none of the files it
 * was built from changed: a web app started for an API client, a login or a test that never
 * loads the page (every `pnpm dev` start) spends nothing on it, and under `pnpm dev`, whose
 * watcher knows only the server's own files, a reload shows an edit of the page's script. A
 * bundle that failed is tried again at the next request.
 */
export function chatClientScript(
  bundle = bundleChatClient,
  changedAt = modifiedAt,
): () => Promise<string> {
  type Built = ChatClientBundle & { stamps: (number | undefined)[] };
  let current: Promise<Built> | undefined;
  const rebuild = (): Promise<Built> =>
    (current = bundle().then(
      async (built) => ({ ...built, stamps: await Promise.all(built.sources.map(changedAt)) }),
      (error: unknown) => {
        current = undefined;
        throw error;
      },
    ));
  return async () => {
    const kept = current;
    if (kept === undefined) return (await rebuild()).text;
    const { text, sources, stamps } = await kept;
    const now = await Promise.all(sources.map(changedAt));
    if (now.every((stamp, i) => stamp !== undefined && stamp === stamps[i])) return text;
    // Another request may have begun a bundle meanwhile: that one is the newer.
    return (await (current === kept ? rebuild() : (current ?? rebuild()))).text;
  };
}
