import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

import {
  PREBUILT_CHAT_CLIENT_FILE,
  PREBUILT_CHAT_CLIENT_FORMAT,
  chatClientBuildOptions,
  chatClientSources,
} from "./chat-client-build.js";

const ENTRY = fileURLToPath(new URL("client/chat.ts", import.meta.url));

/** Where scripts/build.js writes the chat page's script it bundles: the repository's build/. */
const PREBUILT = fileURLToPath(
  new URL(`../../../../build/${PREBUILT_CHAT_CLIENT_FILE}`, import.meta.url),
);

/** The chat page's script, and the files of this repository it was built from. */
export interface ChatClientBundle {
  text: string;
  sources: string[];
}

/** A bundle and when each of its sources last changed (ms; undefined: unreadable). */
type StampedBundle = ChatClientBundle & { stamps: (number | undefined)[] };

/**
 * The chat page's script, bundled with `ai`'s chat client for the browser. Built in memory
 * (a few hundred milliseconds of esbuild), so there is no build step to forget.
 */
export async function bundleChatClient(): Promise<ChatClientBundle> {
  const { build } = await import("esbuild");
  const workingDir = path.dirname(ENTRY);
  const result = await build({ ...chatClientBuildOptions(ENTRY), absWorkingDir: workingDir });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild produced no chat client");
  // An installed package changes only with a new install, which restarts the app anyway.
  return { text: output.text, sources: chatClientSources(result.metafile.inputs, workingDir) };
}

const prebuiltRecord = z.object({
  format: z.literal(PREBUILT_CHAT_CLIENT_FORMAT),
  text: z.string(),
  sources: z.array(z.object({ file: z.string(), modifiedAt: z.number() })),
});

/**
 * The chat page's script as scripts/build.js bundled it (`build/chat-client.json`), with each
 * file it was built from as the build read it; the lockfile among them, for the packages it
 * bundles. Undefined when there is none, or none this code reads. Whether it is still current
 * is for its stamps to say.
 */
export async function readPrebuiltChatClient(
  file: string = PREBUILT,
): Promise<StampedBundle | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const record = prebuiltRecord.safeParse(json);
  if (!record.success) return undefined;
  const { sources } = record.data;
  return {
    text: record.data.text,
    sources: sources.map((source) => source.file),
    stamps: sources.map((source) => source.modifiedAt),
  };
}

/** When `file` last changed (ms), or undefined when it cannot be read. */
const modifiedAt = (file: string): Promise<number | undefined> =>
  stat(file).then(
    (stats) => stats.mtimeMs,
    () => undefined,
  );

/**
 * The chat page's script, kept while none of the files it was built from changed: at the first
 * request, the build's bundle (`prebuilt`) when its sources are as the build read them, else a
 * bundle made then. A web app started for an API client, a login or a test that never loads the
 * page (every `pnpm dev` start) spends nothing on it; one started from a current build serves
 * the build's without bundling (about 0.4 s of CPU a start); and under `pnpm dev`, whose
 * watcher knows only the server's own files, a reload shows an edit of the page's script. A
 * bundle that failed is tried again at the next request.
 */
export function chatClientScript(
  bundle = bundleChatClient,
  changedAt = modifiedAt,
  prebuilt: () => Promise<StampedBundle | undefined> = readPrebuiltChatClient,
): () => Promise<string> {
  let current: Promise<StampedBundle> | undefined;
  const rebuild = (): Promise<StampedBundle> =>
    (current = bundle().then(
      async (built) => ({ ...built, stamps: await Promise.all(built.sources.map(changedAt)) }),
      (error: unknown) => {
        current = undefined;
        throw error;
      },
    ));
  // Looked for once, by the first request (the others wait for it); a rebuild never goes back.
  let lookedFor: Promise<void> | undefined;
  return async () => {
    lookedFor ??= prebuilt().then(
      (made) => {
        if (made !== undefined) current = Promise.resolve(made);
      },
      () => undefined,
    );
    await lookedFor;
    const kept = current;
    if (kept === undefined) return (await rebuild()).text;
    const { text, sources, stamps } = await kept;
    const now = await Promise.all(sources.map(changedAt));
    if (now.every((stamp, i) => stamp !== undefined && stamp === stamps[i])) return text;
    // Another request may have begun a bundle meanwhile: that one is the newer.
    return (await (current === kept ? rebuild() : (current ?? rebuild()))).text;
  };
}
