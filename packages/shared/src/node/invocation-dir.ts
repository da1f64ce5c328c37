import path from "node:path";

/**
 * The directory the person ran the command in. `pnpm --filter <app> start` runs the app in its
 * own folder, but keeps the original directory in INIT_CWD, so a relative path a person typed
 * (`MOCK_AUTH0_TENANT=my.json`) means what they meant.
 */
export function invocationDir(env: Readonly<Record<string, string | undefined>>): string {
  const initCwd = env.INIT_CWD?.trim() ?? "";
  return initCwd === "" ? process.cwd() : initCwd;
}

/** A path from the environment, resolved against the invocation directory. */
export function resolveFromInvocation(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return path.resolve(invocationDir(env), file);
}
