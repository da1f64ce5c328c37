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
