import type { z } from "zod";

import { errors } from "./errors.js";

/**
 * Validates a request body with a zod schema; the first problem becomes a 400 naming the field
 * the way OpenAI does (`messages[0].content`).
 */
export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw errors.invalidRequest(
      "The body must be a JSON object sent with 'Content-Type: application/json'",
    );
  }
  return parseAt(schema, body, []);
}

/** Validates one part of a body; `path` is where it sits, for the error's `param`. */
export function parseAt<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  path: readonly (string | number)[],
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<T>;
  const issue = parsed.error.issues[0];
  const param = paramOf([...path, ...(issue?.path ?? [])]);
  const missing = issue?.code === "invalid_type" && issue.received === "undefined";
  const message = missing
    ? `Missing required parameter: '${param ?? "body"}'.`
    : `Invalid value for '${param ?? "body"}': ${issue?.message ?? "not valid"}.`;
  throw errors.invalidRequest(message, param);
}

function paramOf(path: readonly (string | number)[]): string | null {
  if (path.length === 0) return null;
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`,
    )
    .join("");
}
