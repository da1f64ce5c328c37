import { isAscii } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import Module, { createRequire, isBuiltin } from "node:module";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import vm from "node:vm";

import { pathsTaken } from "./code-path.js";

export interface CodeCacheOptions {
  /**
   * The caches to try, in order: the first that exists is read. `[<file>.cache]` unless given.
   * A cache holds what its run compiled: one written by a run that did the real work also
   * serves a run that only prints `--help`, but not the other way round, so such a run reads
   * the full cache first and writes one of its own.
   */
  read?: string[];
  /**
   * Where this run writes its cache (`read[0]` unless given): when no cache was read, when V8
   * refused it, or when the run took a path the cache was not made with (`recordCodePath` in
   * code-path.ts).
   */
  write?: string;
  /**
   * V8 flags for this run (`v8.setFlagsFromString`), set before the file is compiled, so that
   * its cache is made and read under the same flags. Any V8 flag that changes how code is
   * compiled also makes V8 refuse the code cache Node ships for its own modules: each Node
   * module loaded after the change is compiled from its source, about 20 ms of CPU for the
   * network stack (http, tls, fetch). So the Node modules that the run which wrote the cache
   * loaded are loaded first, under Node's defaults, and the flags are set after them.
   */
  v8Flags?: string;
}

export interface CodeCacheRun {
  /** Whether a cache was read, and whether V8 took it. */
  cache: "none" | "accepted" | "rejected";
  /** What the file left in `module.exports`. */
  exports: unknown;
}

/**
 * A cache file starts with this, then the size and mtime of the source it was made from (two
 * float64s): V8's own check compares the source's length only, so a file edited in place to
 * the same length would otherwise run the code compiled from what it said before. Then the
 * length of a JSON object and the object (`CacheContents`). V8's data follows.
 */
const MAGIC = Buffer.from("cibacc04");
const STAMP_BYTES = MAGIC.length + 16;

function header(size: number, mtimeMs: number): Buffer {
  const stamp = Buffer.alloc(16);
  stamp.writeDoubleLE(size, 0);
  stamp.writeDoubleLE(mtimeMs, 8);
  return Buffer.concat([MAGIC, stamp]);
}

/**
 * Stands for Node's fetch and its web classes in the list: they load on first use, from a
 * module of Node's own that cannot be required (undici).
 */
const FETCH = "fetch";

/**
 * The Node modules this process has loaded, as `require` names them (`FETCH` for fetch), read
 * from Node's `process.moduleLoadList` (undocumented, there since Node's early days; without it
 * the list is empty and the run is only slower).
 */
function loadedNodeModules(): string[] {
  const names = new Set<string>();
  const { moduleLoadList = [] } = process as { moduleLoadList?: string[] };
  for (const entry of moduleLoadList) {
    const name = entry.startsWith("NativeModule ") ? entry.slice(13) : undefined;
    if (name === "internal/deps/undici/undici") names.add(FETCH);
    // Not the modules behind another one: `_tls_wrap` before `tls` breaks tls, for one.
    else if (name !== undefined && isBuiltin(name) && !/^(_|internal\/)/.test(name)) {
      names.add(name);
    }
  }
  return [...names];
}

function loadNodeModules(names: readonly string[]): void {
  const load = createRequire(import.meta.url);
  for (const name of names) {
    try {
      // Reading one of the web classes loads them all (Node defines them as lazy getters).
      if (name === FETCH) Reflect.get(globalThis, "Response");
      else if (isBuiltin(name)) load(name);
    } catch {
      // Not in this Node: the run loads what it needs as usual.
    }
  }
}

interface CacheContents {
  /** The Node modules the runs that made it loaded (see `v8Flags`). */
  nodeModules: string[];
  /** The paths those runs took (`recordCodePath` in code-path.ts). */
  paths: string[];
  /** Whether the source is ASCII, which a run reading it then need not check (`decodeSource`). */
  ascii: boolean;
}

/** A cache file's header: what it holds, and where V8's data starts and how long it is. */
interface CacheHeader extends CacheContents {
  dataStart: number;
  dataBytes: number;
}

/** `known` followed by what `more` adds to it, each once. */
const union = (known: readonly string[], more: readonly string[]) => [
  ...new Set([...known, ...more]),
];

/** The header at the start of the open cache file `fd`, if it was made from `stamp`'s source. */
function readHeader(fd: number, stamp: Buffer): CacheHeader | undefined {
  const { size } = fstatSync(fd);
  const head = Buffer.alloc(STAMP_BYTES + 4);
  if (
    readSync(fd, head, 0, head.length, 0) < head.length ||
    !head.subarray(0, STAMP_BYTES).equals(stamp)
  ) {
    return undefined;
  }
  const dataStart = head.length + head.readUInt32LE(STAMP_BYTES);
  // A length that runs past the file's end (a damaged file) is no header, not a buffer to make.
  if (dataStart > size) return undefined;
  const list = Buffer.alloc(dataStart - head.length);
  if (readSync(fd, list, 0, list.length, head.length) < list.length) return undefined;
  const names = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((name) => typeof name === "string");
  try {
    const contents = JSON.parse(list.toString("utf8")) as {
      nodeModules?: unknown;
      paths?: unknown;
      ascii?: unknown;
    } | null;
    if (!names(contents?.nodeModules) || !names(contents.paths)) return undefined;
    return {
      nodeModules: contents.nodeModules,
      paths: contents.paths,
      ascii: contents.ascii === true,
      dataStart,
      dataBytes: size - dataStart,
    };
  } catch {
    return undefined;
  }
}

/** Opens `file` for reading, or undefined when it cannot be. */
function openToRead(file: string): number | undefined {
  try {
    return openSync(file, "r");
  } catch {
    return undefined;
  }
}

/**
 * The first of `files` there is, open, with its header if it was made from `stamp`'s source.
 * It is read through the one descriptor, so header and data are of one file even when another
 * process renames a new cache into its place meanwhile.
 */
function openCache(
  files: readonly string[],
  stamp: Buffer,
): { fd: number; header: CacheHeader | undefined } | undefined {
  for (const file of files) {
    const fd = openToRead(file);
    if (fd === undefined) continue; // Not there (yet): the next one.
    try {
      return { fd, header: readHeader(fd, stamp) };
    } catch {
      return { fd, header: undefined };
    }
  }
  return undefined;
}

/**
 * What the cache in `file` holds now, if it was made from the source `stamp` describes: another
 * process may have written it since this one read it. Reads its header only.
 */
function contentsOnDisk(file: string, stamp: Buffer): CacheContents | undefined {
  const fd = openToRead(file);
  if (fd === undefined) return undefined;
  try {
    return readHeader(fd, stamp);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function serializeCache(stamp: Buffer, contents: CacheContents, data: Buffer): Buffer {
  const list = Buffer.from(JSON.stringify(contents));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(list.length);
  return Buffer.concat([stamp, length, list, data]);
}

/** Reads `length` bytes of the open file `fd` from `position` into the start of `buffer`. */
function readInto(fd: number, buffer: Buffer, length: number, position = 0): boolean {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, buffer, done, length - done, position + done);
    if (got === 0) return false;
    done += got;
  }
  return true;
}

/** What Node puts before a CommonJS file's text to make a function of it (`Module.wrap`). */
const [WRAPPER_START = ""] = Module.wrap("\0").split("\0");

/**
 * The text of the CommonJS file read into `bytes`, as the function Node makes of it: as it is
 * when it is written that way already (scripts/build.js writes the agent CLI so), otherwise
 * wrapped (`Module.wrap`). An ASCII file is read as Latin-1, which V8 takes byte for byte, where
 * UTF-8 is decoded. For the agent CLI's 3.9 MB, the two spare about 2,400 page faults (10 MB of
 * memory written) and 30-80 ms of a purchase's CPU (paired medians of 20-40 alternating runs,
 * 2-core AMD EPYC). `ascii` is what the cache made from this very file says (the first check
 * of a process costs 6 ms).
 */
function decodeSource(bytes: Buffer, ascii: boolean | undefined): { text: string; ascii: boolean } {
  const isAsciiFile = ascii ?? isAscii(bytes);
  const text = bytes.toString(isAsciiFile ? "latin1" : "utf8");
  return { text: text.startsWith(WRAPPER_START) ? text : Module.wrap(text), ascii: isAsciiFile };
}

interface SourceAndCache {
  /** What a cache made from this source starts with. */
  stamp: Buffer;
  source: { text: string; ascii: boolean };
  /** Whether one of the caches was there. */
  found: boolean;
  /** Its header and V8's data, when it was made from this source. */
  header?: CacheHeader;
  cachedData?: Buffer;
}

/**
 * Reads the CommonJS file `file` and the first of the caches `read` there is, and sets
 * `v8Flags` once the Node modules the cache names are loaded (see `CodeCacheOptions.v8Flags`).
 * The stamp and the text are of one open file, whatever replaces it meanwhile.
 *
 * One buffer holds the source's bytes and then, once they are a string, V8's data, read to its
 * start. So the memory of one file is written once, not twice, and the data lies at an address
 * V8 reads in place: V8 first copies cached data that is not 8-byte aligned, as data read
 * together with its file's header (of any length) was. For a purchase, whose cache holds
 * 1.1 MB: 505-510 fewer page faults (paired medians of two sets of 20 alternating runs, 2-core
 * AMD EPYC, where a page fault costs about 12 µs), and 10-25 ms less CPU and 10-22 ms less to
 * start, which is near that comparison's noise (two identical builds differed by 10 ms of CPU).
 */
function readSourceAndCache(
  file: string,
  read: readonly string[],
  v8Flags: string | undefined,
): SourceAndCache {
  const sourceFd = openSync(file, "r");
  let cache: { fd: number; header: CacheHeader | undefined } | undefined;
  try {
    const { size, mtimeMs } = fstatSync(sourceFd);
    const stamp = header(size, mtimeMs);
    cache = openCache(read, stamp);
    const found = cache !== undefined;
    const cacheHeader = cache?.header;
    if (v8Flags !== undefined) {
      loadNodeModules(cacheHeader?.nodeModules ?? []);
      setFlagsFromString(v8Flags);
    }
    const dataBytes = cacheHeader?.dataBytes ?? 0;
    const buffer = Buffer.allocUnsafeSlow(Math.max(size, dataBytes));
    if (!readInto(sourceFd, buffer, size)) throw new Error(`${file} changed while it was read`);
    const source = decodeSource(buffer.subarray(0, size), cacheHeader?.ascii);
    if (cache === undefined || cacheHeader === undefined) return { stamp, source, found };
    if (!readInto(cache.fd, buffer, dataBytes, cacheHeader.dataStart)) {
      return { stamp, source, found };
    }
    return { stamp, source, found, header: cacheHeader, cachedData: buffer.subarray(0, dataBytes) };
  } finally {
    closeSync(sourceFd);
    if (cache !== undefined) closeSync(cache.fd);
  }
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
 * usual and writes a new one. A run that took a path the cache was not made with writes it
 * again, adding what it compiled (`recordCodePath` in code-path.ts). The cache is written when
 * the process exits, to a temporary file renamed into place, so processes started at once
 * never read half of one (of two such processes, the last to exit wins: a path only the other
 * took is added again by the next run that takes it); failing to write it (a read-only folder)
 * changes nothing.
 */
export function runWithCodeCache(file: string, options: CodeCacheOptions = {}): CodeCacheRun {
  const read = options.read ?? [`${file}.cache`];
  const cacheFile = options.write ?? read[0];
  const {
    stamp,
    source,
    found,
    header: parsed,
    cachedData,
  } = readSourceAndCache(file, read, options.v8Flags);
  const script = new vm.Script(source.text, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cache = !found
    ? "none"
    : cachedData === undefined || script.cachedDataRejected === true
      ? "rejected"
      : "accepted";
  if (cacheFile !== undefined) {
    // What the cache in use holds: nothing unless V8 took it.
    const held = cache === "accepted" ? parsed : undefined;
    process.once("exit", () => {
      const taken = pathsTaken();
      const covers = (contents: CacheContents | undefined) =>
        contents !== undefined && taken.every((name) => contents.paths.includes(name));
      if (covers(held)) return;
      // Runs started at once find the same path missing: the first to exit writes it, and the
      // others find it there. Not when V8 refused the cache this run read: that one is replaced.
      if (cache !== "rejected" && covers(contentsOnDisk(cacheFile, stamp))) return;
      // V8 writes every function of the script compiled now: those read from the cache too.
      const contents = {
        nodeModules: union(held?.nodeModules ?? [], loadedNodeModules()),
        paths: union(held?.paths ?? [], taken),
        ascii: source.ascii,
      };
      const partial = `${cacheFile}.${String(process.pid)}.partial`;
      try {
        writeFileSync(partial, serializeCache(stamp, contents, script.createCachedData()));
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
  return { cache, exports: module.exports };
}
