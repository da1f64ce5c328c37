import type { z } from "zod";

import type { Ajv6ErrorObject } from "./deploy-cli.js";

/** A problem in a tenant file, at a path inside the parsed data. */
export interface Problem {
  path: readonly (string | number)[];
  message: string;
}

/** `clients[0].grant_types[1]`, as one would write it in JavaScript. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

export function zodProblems(
  issues: readonly z.ZodIssue[],
  prefix: readonly (string | number)[] = [],
): Problem[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          path: [...prefix, ...issue.path, key],
          message: "unknown property",
        }))
      : [{ path: [...prefix, ...issue.path], message: issue.message }],
  );
}

/** ajv 6's `.clients[0]['grant types']` as path segments. */
function dataPathSegments(dataPath: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/g;
  for (const match of dataPath.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(match[3].replace(/\\(.)/g, "$1"));
  }
  return segments;
}

/** ajv 6's errors as problems; `schemaName` says whose schema refused an unknown property. */
export function ajvProblems(errors: readonly Ajv6ErrorObject[], schemaName: string): Problem[] {
  return errors.map((error) => {
    const { keyword, params } = error;
    const path = dataPathSegments(error.dataPath);
    if (keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
      return {
        path: [...path, params.additionalProperty],
        message: `unknown property (${schemaName} does not allow it here)`,
      };
    }
    if (keyword === "enum" && Array.isArray(params.allowedValues)) {
      const allowed = params.allowedValues.map((v) => JSON.stringify(v)).join(", ");
      return { path, message: `must be one of ${allowed}` };
    }
    return { path, message: (error.message ?? keyword).replace(/^should\b/, "must") };
  });
}

/** Every problem of one file, each named by its place in that file. */
export class TenantFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid tenant:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "TenantFileError";
  }
}
