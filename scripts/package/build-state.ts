/**
 * Whether a package's `dist/` is the build of exactly today's inputs, so `pnpm pack` (whose
 * `prepack` builds it) need not build it again. The record holds the size and mtime of every
 * file the build read (the sources, what it bundled from node_modules, the files copied as
 * assets, LICENSE, the manifest) and of every file it wrote, so a change there, or a `dist/`
 * edited or removed since, builds again; and the build's options, which the caller makes name
 * what the files do not (the build's own code and the lockfile, by `contentHash`).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

type Fingerprints = Record<string, [size: number, mtimeMs: number]>;

interface BuildRecord {
  options: string;
  inputs: Fingerprints;
  outputs: Fingerprints;
}

/** Every file under `target` (itself when it is a file), as absolute paths. */
export function filesUnder(target: string): string[] {
  const info = statSync(target, { throwIfNoEntry: false });
  if (info === undefined) return [];
  if (!info.isDirectory()) return [target];
  return readdirSync(target, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function fingerprints(files: readonly string[]): Fingerprints {
  const prints: Fingerprints = {};
  for (const file of files) {
    const info = statSync(file, { throwIfNoEntry: false });
    if (info !== undefined) prints[file] = [info.size, info.mtimeMs];
  }
  return prints;
}

/**
 * A hash of the names and contents of `files`, whatever their order; a missing file counts as
 * empty.
 */
export function contentHash(files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort()) {
    let contents: Buffer;
    try {
      contents = readFileSync(file);
    } catch {
      contents = Buffer.alloc(0);
    }
    hash.update(`${file}\0${String(contents.length)}\0`);
    hash.update(contents);
  }
  return hash.digest("hex");
}

function same(recorded: Fingerprints): boolean {
  const now = fingerprints(Object.keys(recorded));
  return Object.entries(recorded).every(([file, [size, mtime]]) => {
    const is = now[file];
    return is?.[0] === size && is[1] === mtime;
  });
}

export class PackageBuildState {
  constructor(
    /** Where the record lives: a file under `build/`. */
    private readonly recordFile: string,
    /** What else decides the output (the build's options): a change builds again. */
    private readonly options: string,
  ) {}

  /** Whether the outputs on disk are the build of the inputs on disk. */
  isCurrent(): boolean {
    let record: BuildRecord;
    try {
      record = JSON.parse(readFileSync(this.recordFile, "utf8")) as BuildRecord;
    } catch {
      return false;
    }
    return (
      record.options === this.options &&
      Object.keys(record.outputs).length > 0 &&
      same(record.inputs) &&
      same(record.outputs)
    );
  }

  /** Records a build that read `inputs` and wrote the files under `outputDir`. */
  record(inputs: readonly string[], outputDir: string): void {
    const record: BuildRecord = {
      options: this.options,
      inputs: fingerprints(inputs),
      outputs: fingerprints(filesUnder(outputDir)),
    };
    mkdirSync(path.dirname(this.recordFile), { recursive: true });
    writeFileSync(this.recordFile, `${JSON.stringify(record)}\n`);
  }
}
