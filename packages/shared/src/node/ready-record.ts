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

/** Prints the ready record as one JSON line on stdout. */
export function announceReady(
  record: Omit<ReadyRecord, "ready" | "pid"> & Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  write(`${JSON.stringify({ ready: true, pid: process.pid, ...record })}\n`);
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
