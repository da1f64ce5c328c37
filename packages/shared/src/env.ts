import { z } from "zod";

/**
 * The configuration could not be read: every problem at once, each naming its variable, so one
 * attempt shows everything to fix.
 */
export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${app} configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** A TCP port, 0 (any free port) to 65535, from an environment string. */
export const portSchema = z.coerce
  .number({ invalid_type_error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be 0 to 65535")
  .max(65_535, "must be 0 to 65535");

export interface ParseEnvOptions {
  /** Names the app in the error's first line: "Invalid shop-api configuration". */
  app: string;
  /** A command-line option that sets the same value, shown beside the variable's name. */
  optionOf?: Readonly<Record<string, string>>;
}

/**
 * Parses environment variables with a zod object schema. An empty or blank value counts as
 * unset (`X=` in a .env file means "use the default"), and every problem is reported in one
 * `ConfigError`, each line naming the variable and showing what it got.
 */
export function parseEnv<T extends z.ZodTypeAny>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseEnvOptions,
): z.output<T> {
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data as z.output<T>;
  throw new ConfigError(
    options.app,
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const option = options.optionOf?.[name];
      const got = set[name];
      return (
        `${name}${option ? ` (or ${option})` : ""} ${issue.message}` +
        (got === undefined ? "" : ` (got ${JSON.stringify(got)})`)
      );
    }),
  );
}
