import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

export interface CodeCacheOptions {
  /**
   * The caches to try, in order: the first that exists is read. `[<file>.cache]` unless given.
   * A cache holds what its run compiled: one written by a run that did the real work also
   * serves a run that only prints `--help`, but not the other way round, so such a run reads
   * the full cache first and writes one of its own.
   */
  read?: string[];
  /** Where this run writes its cache when no cache was read or V8 refused it: `read[0]`. */
  write?: string;
}

export interface CodeCacheRun {
  /** Whether a cache was read, and whether V8 took it. */
  cache: "none" | "accepted" | "rejected";
}

/**
 * A cache file starts with this, then the size and mtime of the source it was made from (two
 * float64s): V8's own check compares the source's length only, so a file edited in place to
 * the same length would otherwise run the code compiled from what it said before.
 */
const MAGIC = Buffer.from("cibacc01");
const HEADER_BYTES = MAGIC.length + 16;

function header(size: number, mtimeMs: number): Buffer {
  const stamp = Buffer.alloc(16);
  stamp.writeDoubleLE(size, 0);
  stamp.writeDoubleLE(mtimeMs, 8);
  return Buffer.concat([MAGIC, stamp]);
}

function firstReadable(files: readonly string[]): Buffer | undefined {
  for (const file of files) {
    try {
      return readFileSync(file);
    } catch {
      // Not there (yet): the next one.
    }
  }
  return undefined;
}

/**
 * Runs the CommonJS file `file` (a one-file bundle) as `node <file>` would, with V8's code
 * cache: the functions a previous run compiled are read from `<file>.cache` instead of being
 * parsed and compiled again. Node 22 does this for every module (`module.enableCompileCache`);
 * Node 20 only through `vm.Script`'s `cachedData`, for CommonJS code. For a process that lives a
 * fraction of a second and loads megabytes of bundled dependencies, compiling is a fifth of its
 * CPU time.
 *
 * The file must not call `import()`: Node 20 loses a script's dynamic-import hook when its
 * code comes from a cache. esbuild writes none with `supported: { "dynamic-import": false }`
 * (a `require()` instead, which loads ES modules too from Node 20.19).
 *
 * A cache is used only when it was made from this file as it is now (its size and mtime, kept
 * in the cache) and V8 takes it (this same V8, these flags); otherwise the run compiles as
 * usual and writes a new one. The cache is
 * written when the process exits, to a temporary file renamed into place, so processes started
 * at once never read half of one; failing to write it (a read-only folder) changes nothing.
 */
export function runWithCodeCache(file: string, options: CodeCacheOptions = {}): CodeCacheRun {
  const read = options.read ?? [`${file}.cache`];
  const cacheFile = options.write ?? read[0];
  const { size, mtimeMs } = statSync(file);
  const stamp = header(size, mtimeMs);
  const stored = firstReadable(read);
  const fresh = stored?.subarray(0, HEADER_BYTES).equals(stamp) === true;
  const cachedData = fresh ? stored.subarray(HEADER_BYTES) : undefined;
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cache =
    stored === undefined
      ? "none"
      : !fresh || script.cachedDataRejected === true
        ? "rejected"
        : "accepted";
  if (cache !== "accepted" && cacheFile !== undefined) {
    process.once("exit", () => {
      const partial = `${cacheFile}.${String(process.pid)}.partial`;
      try {
        writeFileSync(partial, Buffer.concat([stamp, script.createCachedData()]));
        renameSync(partial, cacheFile);
      } catch {
        // Not writable: the next run compiles again, as without a cache.
      }
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  const module = new Module(file);
  module.filename = file;
  wrapper.call(
    module.exports,
    module.exports,
    createRequire(file),
    module,
    file,
    path.dirname(file),
  );
  module.loaded = true;
  return { cache };
}
