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
import { validateOnce } from "./accepted-data.js";
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
 * the Management SDK; 2.4 s of CPU on a 2-core AMD EPYC), and the whole schema is 8 MB
 * (`prompts` alone compiles in seconds). So the schema is written once per installed version
 * into node_modules/.cache, one file per top-level section, and each validation compiles only
 * what the file uses (see `sliceSchema`).
 */
const CACHE_DIR = path.join(
  fileURLToPath(new URL("../../node_modules/.cache/deploy-cli-schema/", import.meta.url)),
  `${DEPLOY_CLI_VERSION}-${createHash("sha256").update(DEPLOY_CLI_DIR).digest("hex").slice(0, 12)}`,
);

/**
 * The same files, as the published package carries them for the Deploy CLI version it was
 * built with (`writeDeployCliSchema`, run by its build: package.json `bundle.generated`), so
 * that the first tenant started from a fresh install (every CI job's `npm ci`) does not load
 * the Deploy CLI to get its schema. Used only when the installed Deploy CLI is that version
 * (the package pins it exactly); the workspace has none and uses the cache.
 */
const SHIPPED_DIR = path.join(
  fileURLToPath(new URL("../../deploy-cli-schema/", import.meta.url)),
  DEPLOY_CLI_VERSION,
);

let index: SchemaIndex | undefined;
/** The folder `index` was read from, which holds its sections too. */
let indexDir: string | undefined;
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

/** The schema split into its files: the index, and one per top-level section. */
function splitSchema(schema: Schema): { index: SchemaIndex; sections: Record<string, Schema> } {
  const { properties, ...root } = schema;
  const all = properties as Record<string, Schema>;
  return { index: { root, sections: Object.keys(all) }, sections: all };
}

/** Writes the schema's files into `dir`, the index last: its presence means all are there. */
function writeSchemaFiles(dir: string, schema: Schema): void {
  const split = splitSchema(schema);
  mkdirSync(dir, { recursive: true });
  for (const [name, sectionSchema] of Object.entries(split.sections)) {
    writeAtomically(path.join(dir, `${name}.json`), JSON.stringify(sectionSchema));
  }
  writeAtomically(path.join(dir, "index.json"), JSON.stringify(split.index));
}

/**
 * Writes the installed Deploy CLI's schema into `<root>/<its version>`, as the published
 * package carries it (`SHIPPED_DIR`); returns that folder.
 */
export function writeDeployCliSchema(root: string): string {
  const dir = path.join(root, DEPLOY_CLI_VERSION);
  writeSchemaFiles(dir, loadDeployCliSchema());
  return dir;
}

/** Loads the package's schema, and writes the cache; a read-only disk only costs speed. */
function fromPackage(): SchemaIndex {
  fullSchema ??= loadDeployCliSchema();
  const split = splitSchema(fullSchema);
  for (const [name, schema] of Object.entries(split.sections)) sections.set(name, schema);
  try {
    writeSchemaFiles(CACHE_DIR, fullSchema);
  } catch {
    // Not cached: the next process loads the package again.
  }
  return split.index;
}

function schemaIndex(): SchemaIndex {
  if (index) return index;
  for (const dir of [CACHE_DIR, SHIPPED_DIR]) {
    try {
      index = JSON.parse(readFileSync(path.join(dir, "index.json"), "utf8")) as SchemaIndex;
      indexDir = dir;
      return index;
    } catch {
      // Not there: the next place.
    }
  }
  index = fromPackage();
  return index;
}

/** A section's file in `dir`, if it is there. */
function readSection(dir: string | undefined, name: string): Schema | undefined {
  if (dir === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path.join(dir, `${name}.json`), "utf8")) as Schema;
  } catch {
    return undefined;
  }
}

function section(name: string): Schema {
  let schema = sections.get(name) ?? readSection(indexDir, name);
  if (!schema) {
    fromPackage();
    schema = sections.get(name) ?? {};
  }
  sections.set(name, schema);
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

/** Bump when the way a verdict is reached changes (the slicing). */
const VERDICT_FORMAT = 1;

/**
 * Validates Deploy CLI assets (`tenant.yaml` parsed, or a directory export read) against the
 * JSON schema exported by the pinned auth0-deploy-cli, with its own ajv 6 and options, as
 * `a0deploy import` does before it deploys: null sections are dropped first, as it does.
 *
 * With `remember` (a tenant read from files), data it accepted once is accepted again without
 * ajv (`validateOnce`).
 */
export function deployCliSchemaProblems(
  assets: Readonly<Record<string, unknown>>,
  remember = false,
): Problem[] {
  const data = Object.fromEntries(Object.entries(assets).filter(([, value]) => value !== null));
  return validateOnce(data, {
    // The Deploy CLI's version and place (its schema), its ajv's, and the slicing.
    validator: () =>
      JSON.stringify([
        "deploy-cli",
        VERDICT_FORMAT,
        DEPLOY_CLI_VERSION,
        DEPLOY_CLI_DIR,
        deployCliAjvIdentity(),
      ]),
    validate: () => validateNow(data),
    remember,
  });
}

function validateNow(data: Record<string, unknown>): Problem[] {
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
