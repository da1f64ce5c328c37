import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { BuildFailure } from "esbuild";
import { z } from "zod";

import { terminalText } from "../terminal-text.js";
import {
  PREBUILT_CHAT_CLIENT_FILE,
  PREBUILT_CHAT_CLIENT_FORMAT,
  chatClientBuildOptions,
  chatClientSources,
} from "./chat-client-build.js";

const ENTRY = fileURLToPath(new URL("client/chat.ts", import.meta.url));

/** The repository (or the installed package's folder), which the errors name files from. */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

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

/** The chat page's script does not compile: esbuild's errors, each `file:line: text`. */
export class ChatScriptCompileError extends Error {
  /** @override */
  override name = "ChatScriptCompileError";

  constructor(readonly errors: readonly string[]) {
    super(`the chat page's script does not compile: ${errors.join("; ")}`);
  }
}

/**
 * The chat page's script, bundled with `ai`'s chat client for the browser. Built in memory
 * (a few hundred milliseconds of esbuild), so there is no build step to forget. Fails with a
 * `ChatScriptCompileError` when `entry` or a file it imports does not compile.
 */
export async function bundleChatClient(entry = ENTRY): Promise<ChatClientBundle> {
  const { build } = await import("esbuild");
  const workingDir = path.dirname(entry);
  const result = await build({ ...chatClientBuildOptions(entry), absWorkingDir: workingDir }).catch(
    (error: unknown) => {
      const errors = compileErrors(error, workingDir);
      throw errors === undefined ? error : new ChatScriptCompileError(errors);
    },
  );
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
 * esbuild's errors in `error`, when it is a failed build (`BuildFailure`), each as
 * `file:line: text` with its file named from the repository; undefined for any other
 * error. `workingDir` is the folder the build named its files from.
 */
function compileErrors(error: unknown, workingDir: string): string[] | undefined {
  const { errors } = (error ?? {}) as Partial<BuildFailure>;
  if (!(error instanceof Error) || !Array.isArray(errors) || errors.length === 0) {
    return undefined;
  }
  return errors.map(({ text, location }) => {
    if (location === null) return text;
    const file = path.relative(ROOT, path.resolve(workingDir, location.file));
    return `${file.split(path.sep).join("/")}:${String(location.line)}: ${text}`;
  });
}

/**
 * What the web app answers the page's request for its script with while that script does not
 * compile: a script that says so on the page, with esbuild's errors, in an alert above the
 * chat (the page cannot run without its script, and a script's request answered with an error
 * status would run nothing and leave the page silent), and in the browser's console.
 */
export function compileErrorScript(errors: readonly string[]): string {
  return `const errors = ${JSON.stringify(errors)};
console.error("The chat page's script does not compile:\\n" + errors.join("\\n"));
const alert = document.createElement("section");
alert.setAttribute("role", "alert");
alert.setAttribute("aria-labelledby", "script-error-title");
const title = document.createElement("h2");
title.id = "script-error-title";
title.textContent = "The chat page's script does not compile";
const text = document.createElement("p");
text.textContent =
  "The chat cannot run until its script, in apps/agent/src/web/client/, is corrected. Correct the error below, then reload this page.";
const shown = document.createElement("pre");
shown.style.whiteSpace = "pre-wrap";
shown.textContent = errors.join("\\n");
alert.append(title, text, shown);
for (const hint of document.querySelectorAll(".hint")) hint.hidden = true;
(document.querySelector("main") ?? document.body).prepend(alert);
`;
}

/** The one line the web app's log gets for a chat page script that does not compile. */
export const reportCompileErrors = (errors: readonly string[]): void => {
  const [first = "", ...more] = errors;
  const others = more.length === 0 ? "" : ` and ${String(more.length)} more`;
  try {
    process.stderr.write(
      `agent web app: the chat page's script does not compile (${terminalText(first)}${others}): GET /assets/chat.js answers with a script that shows this on the page until it is corrected\n`,
    );
  } catch {
    // The page gets its answer whatever the log.
  }
};

/**
 * The chat page's script, kept while none of the files it was built from changed: at the first
 * request, the build's bundle (`prebuilt`) when its sources are as the build read them, else a
 * bundle made then. A web app started for an API client, a login or a test that never loads the
 * page (every `pnpm dev` start) spends nothing on it; one started from a current build serves
 * the build's without bundling (about 0.4 s of CPU a start); and under `pnpm dev`, whose
 * watcher knows only the server's own files, a reload shows an edit of the page's script. A
 * bundle that failed is tried again at the next request. One that does not compile is answered
 * with `compileErrorScript`, and `report`ed in one line, once for each new set of errors.
 */
export function chatClientScript(
  bundle = bundleChatClient,
  changedAt = modifiedAt,
  prebuilt: () => Promise<StampedBundle | undefined> = readPrebuiltChatClient,
  report: (errors: readonly string[]) => void = reportCompileErrors,
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
  const script = async () => {
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
  let reported = "";
  return () =>
    script().then(
      (text) => {
        reported = "";
        return text;
      },
      (error: unknown) => {
        if (!(error instanceof ChatScriptCompileError)) throw error;
        const { errors } = error;
        if (errors.join("\n") !== reported) report(errors);
        reported = errors.join("\n");
        return compileErrorScript(errors);
      },
    );
}
