import { createRequire } from "node:module";
import path from "node:path";

/**
 * The pinned `auth0-deploy-cli` package, and the exact copies of js-yaml and ajv 6 it loads:
 * required through its own dependency path, so the tenant file is parsed and validated by the
 * same code `a0deploy import` runs (ajv 8 cannot compile its schema).
 */
const requireHere = createRequire(import.meta.url);
const packageJsonFile = requireHere.resolve("auth0-deploy-cli/package.json");
const requireFromDeployCli = createRequire(packageJsonFile);

export const DEPLOY_CLI_DIR = path.dirname(packageJsonFile);
export const DEPLOY_CLI_VERSION = (requireHere(packageJsonFile) as { version: string }).version;

export interface YamlModule {
  load(text: string, options?: { filename?: string }): unknown;
}

/** The subset of ajv 6's API this app uses. */
export interface Ajv6ErrorObject {
  keyword: string;
  dataPath: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface Ajv6ValidateFunction {
  (data: unknown): boolean;
  errors?: Ajv6ErrorObject[] | null;
}
export interface Ajv6 {
  compile(schema: object): Ajv6ValidateFunction;
}
type Ajv6Constructor = new (options: Record<string, unknown>) => Ajv6;

/** Where the Deploy CLI's ajv is installed, and its version: what its verdicts depend on. */
export function deployCliAjvIdentity(): string {
  const file = requireFromDeployCli.resolve("ajv/package.json");
  return `${file}@${(requireFromDeployCli(file) as { version: string }).version}`;
}

export const deployCliYaml = (): YamlModule => requireFromDeployCli("js-yaml") as YamlModule;

/** The Deploy CLI's own options (lib/tools/auth0/index.js `validate`), and every error at once. */
export function deployCliAjv(): Ajv6 {
  const Ajv = requireFromDeployCli("ajv") as Ajv6Constructor;
  return new Ajv({ useDefaults: true, nullable: true, allErrors: true });
}

/** `lib/tools/auth0/schema`: slow to load (it loads every handler and the Management SDK). */
export function loadDeployCliSchema(): Record<string, unknown> {
  const module = requireFromDeployCli("./lib/tools/auth0/schema") as {
    default: Record<string, unknown>;
  };
  return module.default;
}
