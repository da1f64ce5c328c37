import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { z } from "zod";

import { tenantSchema } from "./tenant-schema.js";
import type { Tenant } from "./tenant-schema.js";

export const DEFAULT_TENANT_FILE = fileURLToPath(
  new URL("../../tenants/default.json", import.meta.url),
);

export class TenantFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid tenant file ${path.relative(process.cwd(), file) || file}:\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "TenantFileError";
  }
}

export function formatIssues(issues: z.ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${where}: ${issue.message}`;
  });
}

/** Parses a tenant from JSON text, naming every problem at once. */
export function parseTenant(json: string, file = "<tenant>"): Tenant {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new TenantFileError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const result = tenantSchema.safeParse(data);
  if (!result.success) throw new TenantFileError(file, formatIssues(result.error.issues));
  return result.data;
}

export function loadTenant(file: string = DEFAULT_TENANT_FILE): Tenant {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch (error) {
    throw new TenantFileError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  return parseTenant(json, file);
}
