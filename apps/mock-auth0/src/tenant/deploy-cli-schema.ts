import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  DEPLOY_CLI_DIR,
  DEPLOY_CLI_VERSION,
  deployCliAjv,
  deployCliAjvIdentity,
  loadDeployCliSchema,
} from "./deploy-cli.js";
import type { Ajv6, Ajv6ValidateFunction } from "./deploy-cli.js";
import { ajvProblems } from "./problems.js";
import type { Problem } from "./problems.js";

type Schema = Record<string, unknown>;

interface SchemaIndex {
  /** The root schema without `properties`. */
  root: Schema;
  sections: string[];
}

/**
 * Loading the Deploy CLI's schema module costs most of a second (it loads every handler and
 * the Management SDK), and the whole schema is 8 MB (`prompts` alone compiles in seconds). So
 * the schema is written once per installed version into node_modules/.cache, one file per
 * top-level section, and each validation compiles only what the file uses (see `sliceSchema`).
 */
const CACHE_DIR = path.join(
  fileURLToPath(new URL("../../node_modules/.cache/deploy-cli-schema/", import.meta.url)),
  `${DEPLOY_CLI_VERSION}-${createHash("sha256").update(DEPLOY_CLI_DIR).digest("hex").slice(0, 12)}`,
);

let index: SchemaIndex | undefined;
const sections = new Map<string, Schema>();
let fullSchema: Schema | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Loads the package's schema, and writes the cache; a read-only disk only costs speed. */
function fromPackage(): SchemaIndex {
  fullSchema ??= loadDeployCliSchema();
  const { properties, ...root } = fullSchema;
  const all = properties as Record<string, Schema>;
  for (const [name, schema] of Object.entries(all)) sections.set(name, schema);
  const built: SchemaIndex = { root, sections: Object.keys(all) };
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    for (const [name, schema] of Object.entries(all)) {
      writeAtomically(path.join(CACHE_DIR, `${name}.json`), JSON.stringify(schema));
    }
    // Written last: its presence means every section is there.
    writeAtomically(path.join(CACHE_DIR, "index.json"), JSON.stringify(built));
  } catch {
    // Not cached: the next process loads the package again.
  }
  return built;
}

function schemaIndex(): SchemaIndex {
  if (index) return index;
  try {
    index = JSON.parse(readFileSync(path.join(CACHE_DIR, "index.json"), "utf8")) as SchemaIndex;
  } catch {
    index = fromPackage();
  }
  return index;
}

function section(name: string): Schema {
  let schema = sections.get(name);
  if (!schema) {
    try {
      schema = JSON.parse(readFileSync(path.join(CACHE_DIR, `${name}.json`), "utf8")) as Schema;
    } catch {
      fromPackage();
      schema = sections.get(name) ?? {};
    }
    sections.set(name, schema);
  }
  return schema;
}

/**
 * The part of `schema` that can affect the verdict on `samples` (the values found at this
 * place in the data): `properties` keeps only the keys some sample has (a `properties` entry
 * constrains a present key only), plus any with a `default` (ajv's `useDefaults` may insert it
 * before `required` is checked); `items` is cut the same way for all elements together. Other
 * keywords, combinators included, are kept whole, so the verdict and errors do not change.
 */
export function sliceSchema(schema: unknown, samples: readonly unknown[]): unknown {
  if (!isObject(schema)) return schema;
  let sliced: Schema = schema;
  if (isObject(schema.properties)) {
    const objects = samples.filter(isObject);
    const kept: Schema = {};
    for (const [key, sub] of Object.entries(schema.properties)) {
      const values = objects.filter((o) => Object.hasOwn(o, key)).map((o) => o[key]);
      if (values.length > 0) kept[key] = sliceSchema(sub, values);
      else if (isObject(sub) && "default" in sub) kept[key] = sub;
    }
    sliced = { ...sliced, properties: kept };
  }
  if (isObject(schema.items)) {
    const elements = samples.filter((s): s is unknown[] => Array.isArray(s)).flat();
    sliced = { ...sliced, items: sliceSchema(schema.items, elements) };
  }
  return sliced;
}

let ajv: Ajv6 | undefined;
const validators = new Map<string, Ajv6ValidateFunction>();

/** One compile per distinct (sliced) schema in this process. */
function compile(schema: Schema): Ajv6ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    ajv ??= deployCliAjv();
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** Bump when the way a verdict is reached changes (the slicing, ajv's options). */
const VERDICT_FORMAT = 1;
/** Accepted data remembered at most, the latest first: the tenants a machine starts from files. */
const ACCEPTED_KEPT = 128;
const ACCEPTED_FILE = path.join(CACHE_DIR, "accepted.json");

/** Whether `value` is what JSON text parses to, so that its JSON text stands for it exactly. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(isPlainJson);
}

/**
 * What names data the schema accepted: the hash of its JSON text with the installed Deploy CLI
 * (its version and place: its schema), its ajv (place and version) and this file's way of
 * validating. Data
 * JSON cannot stand for exactly (a YAML date, say) gets none and is always validated.
 */
let validatorIdentity: string | undefined;

function acceptedKey(data: Record<string, unknown>): string | undefined {
  if (!isPlainJson(data)) return undefined;
  validatorIdentity ??= JSON.stringify([
    VERDICT_FORMAT,
    DEPLOY_CLI_VERSION,
    DEPLOY_CLI_DIR,
    deployCliAjvIdentity(),
  ]);
  return createHash("sha256").update(validatorIdentity).update(JSON.stringify(data)).digest("hex");
}

function readAccepted(): string[] {
  try {
    const keys: unknown = JSON.parse(readFileSync(ACCEPTED_FILE, "utf8"));
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/** Remembers `key` first; a read-only disk, or a process writing at once, only costs speed. */
function rememberAccepted(key: string): void {
  try {
    const keys = [key, ...readAccepted().filter((k) => k !== key)].slice(0, ACCEPTED_KEPT);
    mkdirSync(CACHE_DIR, { recursive: true });
    writeAtomically(ACCEPTED_FILE, JSON.stringify(keys));
  } catch {
    // Not remembered: the next process validates again.
  }
}

let validations = 0;

/** For tests: how many times this process ran ajv on assets (a remembered verdict runs none). */
export function schemaValidations(): number {
  return validations;
}

/**
 * Validates Deploy CLI assets (`tenant.yaml` parsed, or a directory export read) against the
 * JSON schema exported by the pinned auth0-deploy-cli, with its own ajv 6 and options, as
 * `a0deploy import` does before it deploys: null sections are dropped first, as it does.
 *
 * Loading ajv and compiling costs about a tenth of a second at every start, for a verdict that
 * depends on the data alone: with `remember` (a tenant read from files), data the schema
 * accepted is remembered by its hash in node_modules/.cache and accepted again without ajv.
 * Refused data is validated every time.
 */
export function deployCliSchemaProblems(
  assets: Readonly<Record<string, unknown>>,
  remember = false,
): Problem[] {
  const data = Object.fromEntries(Object.entries(assets).filter(([, value]) => value !== null));
  if (!remember) return validateNow(data);
  const key = acceptedKey(data);
  if (key !== undefined && readAccepted().includes(key)) return [];
  const problems = validateNow(data);
  if (key !== undefined && problems.length === 0) rememberAccepted(key);
  return problems;
}

function validateNow(data: Record<string, unknown>): Problem[] {
  validations += 1;
  const { root, sections: known } = schemaIndex();
  const properties: Schema = {};
  for (const name of Object.keys(data)) {
    if (known.includes(name)) properties[name] = section(name);
  }
  const schema = sliceSchema({ ...root, properties }, [data]) as Schema;
  const validate = compile(schema);
  // `useDefaults` fills defaults into the data it validates: keep the caller's untouched.
  if (validate(structuredClone(data))) return [];
  return ajvProblems(validate.errors ?? [], "the Deploy CLI's schema");
}

/** For tests: the schema as the package exports it, bypassing the cache. */
export function packageSchema(): Schema {
  fullSchema ??= loadDeployCliSchema();
  return fullSchema;
}
