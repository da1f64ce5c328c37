import { renameSync, writeFileSync } from "node:fs";

import { z } from "zod";

/**
 * The one line a server prints on stdout once it accepts requests. Supervisors (`pnpm dev`,
 * the tests, the bench, a team's CI) wait for this record, not for a log message, so log
 * wording and log levels never decide readiness.
 */
export const readyRecordSchema = z
  .object({
    ready: z.literal(true),
    service: z.string(),
    /** Where it listens, with the real port when it was asked for port 0. */
    url: z.string().url(),
    port: z.number().int(),
    pid: z.number().int(),
  })
  .passthrough();

export type ReadyRecord = z.infer<typeof readyRecordSchema>;

let readyFile: string | undefined;

/**
 * Also write the ready record to `file` (a server's `--ready-file`), for a supervisor that
 * cannot read the server's stdout. Set once at start-up by the server's bin.
 */
export function writeReadyRecordTo(file: string | undefined): void {
  readyFile = file;
}

/**
 * Prints the ready record as one JSON line on stdout, and writes it to the ready file when
 * there is one: to a temporary file first, then renamed, so a reader never sees half a record.
 */
export function announceReady(
  record: Omit<ReadyRecord, "ready" | "pid"> & Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  const line = `${JSON.stringify({ ready: true, pid: process.pid, ...record })}\n`;
  if (readyFile !== undefined) {
    const temp = `${readyFile}.${process.pid}.tmp`;
    writeFileSync(temp, line);
    renameSync(temp, readyFile);
  }
  write(line);
}

/** The ready record on this line, or undefined for any other line (a log record, a banner). */
export function parseReadyRecord(line: string): ReadyRecord | undefined {
  if (!line.startsWith('{"ready":true')) return undefined;
  try {
    const parsed = readyRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
