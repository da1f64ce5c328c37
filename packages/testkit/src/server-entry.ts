import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The three servers, by package. */
export const SERVER_PACKAGES = {
  "mock-auth0": "@ciba-testbed/mock-auth0",
  "shop-api": "@ciba-testbed/shop-api",
  "model-server": "@ciba-testbed/model-server",
} as const;

export type ServerName = keyof typeof SERVER_PACKAGES;

/** How to start a server: a command and its arguments. */
export interface ServerEntry {
  command: string;
  args: string[];
  /** The server package's folder. */
  packageDir: string;
}

const requireHere = createRequire(import.meta.url);

/**
 * What to do when a server's package answered as this testkit does not expect (a ready record
 * or a `--make-ca` line without a field it reads): it is another version than the testkit's,
 * which the four packages must share. Names the one found, and where.
 */
export function installedServerAdvice(name: ServerName, packageDir: string): string {
  const packageName = SERVER_PACKAGES[name];
  let version = "of an unknown version";
  try {
    const read = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
      version?: unknown;
    };
    if (typeof read.version === "string") version = read.version;
  } catch {
    // A package.json that cannot be read says the same: the install is not what it should be.
  }
  return (
    `the ${packageName} installed in ${packageDir} (${version}) is not the one this testkit ` +
    `runs: install it in the same version as @ciba-testbed/testkit, the four @ciba-testbed ` +
    `packages together in one command (npm ls @ciba-testbed/testkit ${packageName} shows both)`
  );
}

/**
 * The servers that map the stacks they print themselves, so their workspace build runs without
 * `--enable-source-maps` (LAZY_SOURCE_MAPS in scripts/build.js): Node would read the source map
 * of every file a server loads at each start.
 */
const MAPS_OWN_STACKS: ReadonlySet<ServerName> = new Set(["shop-api", "mock-auth0"]);

/**
 * The server's bin, found through its package's `./bin` export: compiled JavaScript that plain
 * Node runs when the package is installed from the registry or a tarball; inside the
 * ciba-testbed repository, the repository's build of its TypeScript source (tsx without one).
 */
export function serverEntry(name: ServerName): ServerEntry {
  const packageName = SERVER_PACKAGES[name];
  let bin: string;
  try {
    bin = requireHere.resolve(`${packageName}/bin`);
  } catch (error) {
    throw new Error(
      `${packageName} is not installed: the testbed runs its ${name} from it ` +
        `(npm install ${packageName}). ${(error as Error).message.split("\n")[0] ?? ""}`,
    );
  }
  const packageDir = path.dirname(requireHere.resolve(`${packageName}/package.json`));
  if (!bin.endsWith(".ts")) {
    return { command: process.execPath, args: [bin], packageDir };
  }
  // Inside the repository: its build (scripts/build.js; `pnpm test` makes it fresh), else tsx.
  const built = path.join(packageDir, "..", "..", "build", `${name}-bin.js`);
  if (existsSync(built)) {
    return {
      command: process.execPath,
      args: [...(MAPS_OWN_STACKS.has(name) ? [] : ["--enable-source-maps"]), built],
      packageDir,
    };
  }
  const tsx = pathToFileURL(createRequire(bin).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsx, bin], packageDir };
}
