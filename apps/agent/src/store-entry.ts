import type { z } from "zod";

import { StoreEntryError } from "./halt.js";

/** What every read of an AgentStore is checked against: the shape its writer gave it. */
export type EntrySchema<T> = z.ZodType<T, z.ZodTypeDef, unknown>;

export interface EntryPlace {
  key: string;
  location: string;
  removal: string;
}

/** Parses the stored text of one entry; anything but valid JSON of the expected shape throws. */
export function parseEntry<T>(schema: EntrySchema<T>, text: string, place: EntryPlace): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const problem =
      text.trim() === ""
        ? "it is empty"
        : "it is not valid JSON (cut short, or overwritten by something else)";
    throw entryError(place, problem);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.join(".") : "the entry"}: ${issue.message}`,
    );
  throw entryError(place, `it is not what the agent wrote there (${issues.join("; ")})`, json);
}

export function entryError(place: EntryPlace, problem: string, content?: unknown): StoreEntryError {
  return new StoreEntryError(place.key, place.location, problem, place.removal, content);
}

/** A path quoted for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
