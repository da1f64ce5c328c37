import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Reads the source map beside a built file (`<file>.map`, as scripts/build.js writes them), or
 * returns undefined when there is none or it cannot be read.
 */
export type SourceMapLoader = (file: string) => SourceMap | undefined;

export function sourceMapBeside(file: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")) as SourceMapPayload);
  } catch {
    return undefined;
  }
}

// `    at fn (file:///x/build/chunk.js:12:34)`, `    at file:///x/build/chunk.js:12:34`, or a
// CommonJS file by its path (`    at fn (/x/build/agent-cli.cjs:1:2345)`).
const FRAME = /^(\s+at (?:.*? \()?)((?:file:\/\/)?\/[^()]+?\.[cm]?js):(\d+):(\d+)(\)?)$/;

/**
 * `stack` with every frame in a built file that has a source map rewritten to the TypeScript
 * source's path, line and column. Node does this itself under `--enable-source-maps`, but then
 * it reads and parses the map of every file that appears in any stack it formats, even one that
 * is never printed (web streams format one each time a reader is released): about 60 ms of CPU
 * in every agent run. This maps a stack only when it is printed. Frames it cannot map stay as
 * they are.
 */
export function sourceMappedStack(stack: string, load: SourceMapLoader = sourceMapBeside): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack
    .split("\n")
    .map((line) => {
      const frame = FRAME.exec(line);
      if (frame === null) return line;
      const [, before = "", location = "", row = "", column = "", after = ""] = frame;
      const file = location.startsWith("file://") ? fileURLToPath(location) : location;
      if (!maps.has(file)) maps.set(file, load(file));
      const entry = maps.get(file)?.findEntry(Number(row) - 1, Number(column) - 1);
      if (entry === undefined || !("originalSource" in entry)) return line;
      const source = entry.originalSource.startsWith("file://")
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(file), entry.originalSource);
      return `${before}${source}:${String(entry.originalLine + 1)}:${String(entry.originalColumn + 1)}${after}`;
    })
    .join("\n");
}

/**
 * Prints an uncaught exception or unhandled rejection with its stack mapped to the TypeScript
 * sources (see sourceMappedStack) and exits 1, as Node would. For a process started without
 * `--enable-source-maps`; with it, Node's own mapping is left in place. What cannot be written
 * to stderr is lost, and an `exit` listener that throws (pino's last flush to a full disk) does
 * not make it Node's exit 7 with a page of the bundle's source: it still exits 1, and the
 * listeners after that one do not run.
 */
export function mapStacksOfCrashes(): void {
  if (process.sourceMapsEnabled) return;
  process.on("uncaughtException", (error: unknown) => {
    try {
      const text =
        error instanceof Error && typeof error.stack === "string"
          ? sourceMappedStack(error.stack)
          : `Uncaught ${String(error)}`;
      process.stderr.write(`${text}\n\nNode.js ${process.version}\n`);
    } catch {
      // Nothing more can be said.
    }
    try {
      process.exit(1);
    } catch {
      // Thrown by an `exit` listener: called again, process.exit does not run them again.
      process.exit(1);
    }
  });
}
