import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { Problem } from "./problems.js";

/**
 * Loading ajv and compiling a schema costs about a tenth of a second at every start, for a
 * verdict that depends on the data alone. So data a schema accepted is remembered, by the
 * hash of its JSON text and of what the verdict depends on (the schema, the validator), and
 * accepted again without running the validator. Refused data is validated every time.
 */
const CACHE_DIR = fileURLToPath(new URL("../../node_modules/.cache/mock-auth0/", import.meta.url));
const ACCEPTED_FILE = path.join(CACHE_DIR, "accepted.json");
/** Bump when what a key is made of changes. */
const FORMAT = 1;
/** Hashes kept, the latest first: the tenants a machine starts from files. */
const KEPT = 128;

let accepted: string[] | undefined;
let validations = 0;

/** For tests: how many times this process ran a validator (a remembered verdict runs none). */
export function schemaValidations(): number {
  return validations;
}

/** Whether `value` is what JSON text parses to, so that its JSON text stands for it exactly. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(isPlainJson);
}

function readAccepted(): string[] {
  if (accepted) return accepted;
  try {
    const keys: unknown = JSON.parse(readFileSync(ACCEPTED_FILE, "utf8"));
    accepted = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
  } catch {
    accepted = [];
  }
  return accepted;
}

/** Remembers `key` first; a read-only disk, or another process writing at once, only costs speed. */
function remember(key: string): void {
  accepted = [key, ...readAccepted().filter((k) => k !== key)].slice(0, KEPT);
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const temp = `${ACCEPTED_FILE}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, JSON.stringify(accepted));
    renameSync(temp, ACCEPTED_FILE);
  } catch {
    // Not remembered: the next process validates again.
  }
}

export interface RememberedValidation {
  /**
   * What the verdict depends on besides the data (the schema, the validator's version and
   * options), as text; called only when a verdict may be remembered.
   */
  validator: () => string;
  /** The validator's problems with `data`. */
  validate: () => Problem[];
  /** Whether to look up and remember (a tenant read from files), or just validate. */
  remember: boolean;
}

/** `validate()`, unless `data` was accepted before under the same validator. */
export function validateOnce(data: unknown, options: RememberedValidation): Problem[] {
  // Data JSON cannot stand for exactly (a YAML date, say) gets no key: validated every time.
  const key =
    options.remember && isPlainJson(data)
      ? createHash("sha256")
          .update(JSON.stringify([FORMAT, options.validator()]))
          .update(JSON.stringify(data))
          .digest("hex")
      : undefined;
  if (key !== undefined && readAccepted().includes(key)) return [];
  validations += 1;
  const problems = options.validate();
  if (key !== undefined && problems.length === 0) remember(key);
  return problems;
}
