import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

import { deployCliYaml } from "./deploy-cli.js";
import { keywordReplace } from "./keywords.js";
import type { KeywordMappings } from "./keywords.js";
import { TenantFileError } from "./problems.js";

/** Where a tenant comes from: the Deploy CLI file or directory, and the two files beside it. */
export interface TenantLocation {
  /** `tenant.yaml` (the Deploy CLI's YAML format) or an `a0deploy export --format directory` folder. */
  tenant: string;
  /** Auth0's bulk user import JSON. Default: `users.json` beside the tenant. */
  users?: string | undefined;
  /** mock-auth0's own settings. Default: `mock-auth0.json` beside the tenant. */
  settings?: string | undefined;
  /** Where messages name files from: the directory the command was run in. Default: the working directory. */
  shownFrom?: string | undefined;
}

export interface ResolvedLocation {
  tenant: string;
  users: string;
  settings: string;
  /** Whether the users and settings paths were named, rather than defaulted. */
  usersNamed: boolean;
  settingsNamed: boolean;
  shownFrom: string;
}

/** Everything read from disk, parsed, before it is validated: what tests change. */
export interface TenantSources {
  location: ResolvedLocation;
  format: "yaml" | "directory";
  /** Deploy CLI assets (`clients`, `resourceServers`, ...), keywords already replaced. */
  assets: Record<string, unknown>;
  /** The file each asset came from: one per asset in a directory export. */
  assetFiles: Record<string, string[]>;
  /** Entries of a directory export that mock-auth0 does not read. */
  unreadEntries: string[];
  /** The parsed users file; `undefined` when there is none. */
  users: unknown;
  /** mock-auth0.json with its `extends` chain merged; `{}` when there is none. */
  settings: Record<string, unknown>;
  /** The settings files read, the named one first. */
  settingsFiles: string[];
  /** The settings file whose own `keywords` set each keyword (the first of the chain that has it). */
  keywordFiles: Record<string, string>;
}

/** The Deploy CLI's folder names (lib/tools/constants.js) for the assets mock-auth0 models. */
const DIRECTORY_ASSETS: Record<string, string> = {
  clients: "clients",
  "resource-servers": "resourceServers",
  grants: "clientGrants",
  "guardian/factors": "guardianFactors",
};

/** `##KEY##` or `@@KEY@@` left after replacement: a keyword the file uses with no value. */
const LEFT_OVER_KEYWORD = /##[A-Z0-9_]+##|@@[A-Z0-9_]+@@/g;

/**
 * How a message names `file` to a person in `dir`: relative to it when it is inside it
 * ("auth0/tenant.yaml"), whole otherwise ("/tmp/t/tenant.yaml", not "../../tmp/t/tenant.yaml").
 */
export const shownFrom = (dir: string) => (file: string) => {
  const relative = path.relative(dir, file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative)
    ? path.resolve(dir, file)
    : relative;
};

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function resolveLocation(location: TenantLocation): ResolvedLocation {
  const tenant = path.resolve(location.tenant);
  const beside = isDirectory(tenant) ? tenant : path.dirname(tenant);
  return {
    tenant,
    users: path.resolve(location.users ?? path.join(beside, "users.json")),
    settings: path.resolve(location.settings ?? path.join(beside, "mock-auth0.json")),
    usersNamed: location.users !== undefined,
    settingsNamed: location.settings !== undefined,
    shownFrom: location.shownFrom ?? process.cwd(),
  };
}

class Reader {
  readonly problems: string[] = [];
  readonly shown: (file: string) => string;

  constructor(location: ResolvedLocation) {
    this.shown = shownFrom(location.shownFrom);
  }

  text(file: string, what: string): string | undefined {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      this.problems.push(
        `${this.shown(file)}: cannot read the ${what}: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  /** Replaces keywords, and names each one left with its line. */
  replaced(file: string, text: string, keywords: KeywordMappings): string {
    const output = keywordReplace(text, keywords);
    output.split("\n").forEach((line, i) => {
      for (const keyword of new Set(line.match(LEFT_OVER_KEYWORD))) {
        this.problems.push(
          `${this.shown(file)}:${i + 1}: keyword ${keyword} has no value: add ${keyword.slice(2, -2)} to "keywords" in mock-auth0.json (the Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS)`,
        );
      }
    });
    return output;
  }

  json(file: string, text: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      this.problems.push(`${this.shown(file)}: not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
  }
}

function mergeSettings(base: unknown, changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(changes)) {
    merged[key] =
      isObject(value) && isObject(merged[key]) ? mergeSettings(merged[key], value) : value;
  }
  return merged;
}

function readSettings(reader: Reader, location: ResolvedLocation) {
  const files: string[] = [];
  const chain: Record<string, unknown>[] = [];
  let file: string | undefined = location.settings;
  let named = location.settingsNamed;
  while (file !== undefined) {
    if (files.includes(file)) {
      reader.problems.push(
        `${reader.shown(file)}: "extends" makes a loop: ${files.map(reader.shown).join(" -> ")}`,
      );
      break;
    }
    files.push(file);
    // The default file may be missing (an a0deploy export has none): the defaults apply.
    if (!named && !exists(file)) break;
    const text = reader.text(file, "settings file");
    const data: unknown = text === undefined ? undefined : reader.json(file, text);
    if (data === undefined) break;
    if (!isObject(data)) {
      reader.problems.push(`${reader.shown(file)}: must be a JSON object`);
      break;
    }
    chain.push(data);
    file =
      typeof data.extends === "string" ? path.resolve(path.dirname(file), data.extends) : undefined;
    named = true;
  }
  // The named file's own values win over those it extends.
  const merged = chain.reduceRight<Record<string, unknown>>(
    (base, changes) => mergeSettings(base, changes),
    {},
  );
  delete merged.extends;
  const keywordFiles: Record<string, string> = {};
  chain.forEach((data, i) => {
    const own = isObject(data.keywords) ? Object.keys(data.keywords) : [];
    for (const name of own) keywordFiles[name] ??= files[i] ?? location.settings;
  });
  return {
    settings: chain.length > 0 ? merged : {},
    files: files.slice(0, chain.length),
    keywordFiles,
  };
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function readYaml(reader: Reader, file: string, keywords: KeywordMappings) {
  const text = reader.text(file, "tenant file");
  if (text === undefined) return {};
  const before = reader.problems.length;
  const replaced = reader.replaced(file, text, keywords);
  // A keyword left as `@@KEY@@` is not even valid YAML: name the keyword, not the parse error.
  if (reader.problems.length > before) return {};
  let data: unknown;
  try {
    data = deployCliYaml().load(replaced, { filename: reader.shown(file) });
  } catch (error) {
    reader.problems.push(`${reader.shown(file)}: not valid YAML: ${(error as Error).message}`);
    return {};
  }
  if (data === null || data === undefined) return {};
  if (!isObject(data)) {
    reader.problems.push(
      `${reader.shown(file)}: must be a YAML mapping (clients:, resourceServers:, ...)`,
    );
    return {};
  }
  return data;
}

/** A0deploy's directory format: one JSON file per asset, in the folders it names. */
function readDirectory(reader: Reader, dir: string, keywords: KeywordMappings) {
  const assets: Record<string, unknown> = {};
  const assetFiles: Record<string, string[]> = {};
  const read = new Set<string>();
  for (const [folder, name] of Object.entries(DIRECTORY_ASSETS)) {
    const full = path.join(dir, folder);
    if (!isDirectory(full)) continue;
    read.add(folder.split("/")[0] ?? folder);
    const files = readdirSync(full)
      .filter((entry) => path.extname(entry) === ".json")
      .map((entry) => path.join(full, entry))
      .filter((entry) => !isDirectory(entry))
      .sort();
    const items: { file: string; data: unknown }[] = [];
    for (const file of files) {
      const text = reader.text(file, "asset file");
      if (text === undefined) continue;
      const data = reader.json(file, reader.replaced(file, text, keywords));
      // The Deploy CLI skips empty objects.
      if (data !== undefined && !(isObject(data) && Object.keys(data).length === 0)) {
        items.push({ file, data });
      }
    }
    // The Deploy CLI sorts Guardian factors by name (lib/tools/utils.js sortGuardianFactors).
    if (name === "guardianFactors") {
      items.sort((a, b) => {
        const nameOf = (item: { data: unknown }) =>
          isObject(item.data) && typeof item.data.name === "string" ? item.data.name : "";
        return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
      });
    }
    assets[name] = items.map((item) => item.data);
    assetFiles[name] = items.map((item) => item.file);
  }
  const tenantFile = path.join(dir, "tenant.json");
  if (exists(tenantFile)) {
    read.add("tenant.json");
    const text = reader.text(tenantFile, "tenant settings");
    if (text !== undefined) {
      assets.tenant = reader.json(tenantFile, reader.replaced(tenantFile, text, keywords));
      assetFiles.tenant = [tenantFile];
    }
  }
  const unreadEntries = readdirSync(dir)
    .filter((entry) => !read.has(entry) && entry !== "users.json" && entry !== "mock-auth0.json")
    .map((entry) => (isDirectory(path.join(dir, entry)) ? `${entry}/` : entry))
    .sort();
  if (read.has("guardian")) {
    for (const entry of readdirSync(path.join(dir, "guardian")).sort()) {
      if (entry !== "factors") unreadEntries.push(`guardian/${entry}`);
    }
  }
  return { assets, assetFiles, unreadEntries };
}

/**
 * Reads a tenant: the Deploy CLI YAML file or directory export named by `location.tenant`,
 * with its keywords replaced from mock-auth0.json's `keywords`, the users file and the
 * settings. Problems that stop the reading (a missing file, bad YAML or JSON, a keyword with
 * no value) are thrown together; the content is validated by `buildTenant`.
 */
export function readTenantSources(location: TenantLocation): TenantSources {
  const resolved = resolveLocation(location);
  const reader = new Reader(resolved);
  const { settings, files: settingsFiles, keywordFiles } = readSettings(reader, resolved);
  // The tenant's keywords are the settings': read without them, every keyword of the tenant
  // file was named as missing after a settings file that could not be read.
  if (reader.problems.length > 0) throw new TenantFileError(reader.problems);
  const keywords = isObject(settings.keywords) ? settings.keywords : {};

  const format = isDirectory(resolved.tenant) ? "directory" : "yaml";
  let assets: Record<string, unknown> = {};
  let assetFiles: Record<string, string[]> = {};
  let unreadEntries: string[] = [];
  if (format === "directory") {
    ({ assets, assetFiles, unreadEntries } = readDirectory(reader, resolved.tenant, keywords));
  } else {
    assets = readYaml(reader, resolved.tenant, keywords);
  }

  let users: unknown;
  if (resolved.usersNamed || exists(resolved.users)) {
    const text = reader.text(resolved.users, "users file");
    users = text === undefined ? undefined : reader.json(resolved.users, text);
  }

  if (reader.problems.length > 0) throw new TenantFileError(reader.problems);
  return {
    location: resolved,
    format,
    assets,
    assetFiles,
    unreadEntries,
    users,
    settings,
    settingsFiles,
    keywordFiles,
  };
}
