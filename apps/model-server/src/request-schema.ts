import { z } from "zod";

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
  if (issue?.code === "too_big" && issue.type === "array") {
    throw errors.arrayTooLong(`Invalid '${param ?? "body"}': ${issue.message}.`, param);
  }
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

/**
 * An array of `element`s, at most `max` of them, refused as OpenAI words it ("array too long.
 * Expected an array with maximum length 128, but got an array with length 133 instead"). Its
 * length is checked before any element is read, and its elements are validated in order up to
 * the first that fails: `z.array` validates every element and collects every problem, so 1 MB
 * of messages it refuses cost it seconds of CPU and hundreds of MB, and only the first problem
 * is answered. A union holding it sees the same results as with `z.array`.
 */
export function boundedArray<T extends z.ZodTypeAny>(element: T, max: number) {
  return z.unknown().transform((value, context): z.output<T>[] => {
    if (!Array.isArray(value)) {
      context.addIssue({
        code: z.ZodIssueCode.invalid_type,
        expected: z.ZodParsedType.array,
        received: z.getParsedType(value),
        fatal: true,
      });
      return z.NEVER;
    }
    if (value.length > max) {
      context.addIssue({
        code: z.ZodIssueCode.too_big,
        type: "array",
        maximum: max,
        inclusive: true,
        message: `array too long. Expected an array with maximum length ${max}, but got an array with length ${value.length} instead`,
      });
      return z.NEVER;
    }
    const items: z.output<T>[] = [];
    for (const [index, item] of value.entries()) {
      const parsed = element.safeParse(item);
      if (!parsed.success) {
        const [first] = parsed.error.issues;
        if (first !== undefined) {
          context.addIssue({ ...first, path: [index, ...first.path], fatal: true });
        }
        return z.NEVER;
      }
      items.push(parsed.data as z.output<T>);
    }
    return items;
  });
}
