/**
 * How `pnpm test` runs its steps, shared with `pnpm bench`'s suite timing so that the bench
 * times what the command does.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

// The module alone, not the stack's index: `pnpm test` starts nothing else from it.
import { REPO_ROOT } from "./stack/repo-root.js";

/**
 * The package.json scripts `pnpm test` runs beside vitest: `check` is typecheck and lint on one
 * TypeScript program (scripts/check.js).
 */
export const TEST_CHECKS = ["check", "format:check"] as const;

export interface StepCommand {
  /** A shell command line. */
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** This environment with the workspace's binaries first on PATH, as `pnpm run` gives a script. */
export function withWorkspaceBinaries(): NodeJS.ProcessEnv {
  const bin = path.join(REPO_ROOT, "node_modules", ".bin");
  return { ...process.env, PATH: [bin, process.env.PATH ?? ""].join(path.delimiter) };
}

/**
 * A package.json script as `pnpm run` would start it (its command line in a shell, the
 * workspace's binaries on PATH), without starting pnpm: about a second of CPU less for each,
 * measured on a 2-core AMD EPYC.
 */
export function scriptStep(name: string): StepCommand {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  const command = manifest.scripts?.[name];
  if (command === undefined) throw new Error(`package.json has no "${name}" script`);
  return { command, cwd: REPO_ROOT, env: withWorkspaceBinaries() };
}
