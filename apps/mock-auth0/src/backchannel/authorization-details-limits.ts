/**
 * Auth0's limits on `authorization_details` for any app other than the Guardian app ("Configure
 * Rich Authorization Requests", "Other notification channels"). Auth0 checks these and that each
 * `type` is registered on the API, nothing of what the entries mean.
 */
export const RAR_LIMITS = {
  /** "Maximum 5Kb": the parameter's JSON text, in UTF-8 bytes. */
  maxBytes: 5 * 1024,
  maxEntries: 5,
  /** Per object, at any depth. */
  maxProperties: 10,
  maxNameLength: 255,
  maxValueLength: 255,
  /** Levels of objects; an entry is the first. */
  maxDepth: 5,
} as const;

const PROPERTY_NAME = /^[A-Za-z0-9_.-]+$/;

const at = (path: string, key: string) =>
  PROPERTY_NAME.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/** The size limit, checked on the text before it is parsed. */
export function authorizationDetailsSizeProblem(raw: string): string | undefined {
  const bytes = Buffer.byteLength(raw, "utf8");
  return bytes > RAR_LIMITS.maxBytes
    ? `authorization_details may be at most 5 KB (${RAR_LIMITS.maxBytes} bytes of JSON); got ${bytes} bytes`
    : undefined;
}

/** The first limit `entries` break, in words that name it; undefined when they keep them all. */
export function authorizationDetailsLimitProblem(entries: readonly unknown[]): string | undefined {
  if (entries.length > RAR_LIMITS.maxEntries) {
    return `authorization_details may have at most ${RAR_LIMITS.maxEntries} entries; got ${entries.length}`;
  }
  for (const [i, entry] of entries.entries()) {
    const problem = objectProblem(entry, `authorization_details[${i}]`, 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function objectProblem(value: unknown, path: string, depth: number): string | undefined {
  if (value === null || typeof value !== "object") return valueProblem(value, path);
  if (Array.isArray(value)) {
    for (const [i, item] of (value as unknown[]).entries()) {
      // An array is no level of its own: the objects in it sit one level below its owner.
      const problem =
        item !== null && typeof item === "object" && !Array.isArray(item)
          ? nestedProblem(item, `${path}[${i}]`, depth + 1)
          : objectProblem(item, `${path}[${i}]`, depth);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > RAR_LIMITS.maxProperties) {
    return `authorization_details objects may have at most ${RAR_LIMITS.maxProperties} properties; ${path} has ${keys.length}`;
  }
  for (const key of keys) {
    if (key.length > RAR_LIMITS.maxNameLength) {
      return `authorization_details property names may be at most ${RAR_LIMITS.maxNameLength} characters; one in ${path} has ${key.length}`;
    }
    if (!PROPERTY_NAME.test(key)) {
      return `authorization_details property names may only contain A-Z, a-z, 0-9, _, . and -; ${at(path, key)} does not`;
    }
    const child = (value as Record<string, unknown>)[key];
    const problem =
      child !== null && typeof child === "object" && !Array.isArray(child)
        ? nestedProblem(child, `${path}.${key}`, depth + 1)
        : objectProblem(child, `${path}.${key}`, depth);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function nestedProblem(value: object, path: string, depth: number): string | undefined {
  if (depth > RAR_LIMITS.maxDepth) {
    return `authorization_details may nest objects at most ${RAR_LIMITS.maxDepth} levels deep (an entry is the first); ${path} is level ${depth}`;
  }
  return objectProblem(value, path, depth);
}

function valueProblem(value: unknown, path: string): string | undefined {
  // Characters as JavaScript counts them (UTF-16 units), as a Node service checking length does.
  const { length } = typeof value === "string" ? value : String(value);
  return length > RAR_LIMITS.maxValueLength
    ? `authorization_details values may be at most ${RAR_LIMITS.maxValueLength} characters; ${path} has ${length}`
    : undefined;
}
