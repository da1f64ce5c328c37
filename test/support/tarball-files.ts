import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString("utf8");
}

/** A pax extended header's records (POSIX.1-2001 `pax` format): `<length> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString("ascii"));
    if (space === -1 || !Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

/**
 * The files of a gzipped tar archive, a package tarball as `npm pack` and `pnpm pack` make it:
 * each file's path inside the archive -> its contents. Directories are left out; any other kind
 * of entry (a link, a device) is an error, since no package tarball holds one.
 */
export function tarballFiles(file: string): Map<string, Buffer> {
  const archive = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= archive.length;) {
    const start = at;
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = field(header, 156, 1) || "0";
    const data = archive.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") longName = paxRecords(data).get("path") ?? longName;
    else if (type === "L") longName = field(data, 0, data.length);
    else if (type === "g" || type === "5") continue;
    else if (type === "0" || type === "7") {
      const prefix = field(header, 257, 6).startsWith("ustar") ? field(header, 345, 155) : "";
      const name = field(header, 0, 100);
      files.set(longName ?? (prefix ? `${prefix}/${name}` : name), Buffer.from(data));
      longName = undefined;
    } else {
      throw new Error(`${file}: entry of type "${type}" at byte ${String(start)}: not a package`);
    }
  }
  return files;
}
