/**
 * The variables `inherited` sets (not blank) that `given` (what the stack sets on its services)
 * overrides with another value: a tenant, client, audience or shop of the shell's that the stack
 * does not use. NODE_EXTRA_CA_CERTS is not one: it is the machine's choice of CAs, not of a tenant.
 */
export function overriddenVariables(
  inherited: Readonly<Record<string, string | undefined>>,
  given: readonly Readonly<Record<string, string>>[],
): string[] {
  const names = new Set(given.flatMap((env) => Object.keys(env)));
  names.delete("NODE_EXTRA_CA_CERTS");
  return [...names]
    .filter((name) => {
      const value = inherited[name]?.trim() ?? "";
      return value !== "" && given.some((env) => env[name] !== undefined && env[name] !== value);
    })
    .sort();
}

/** The person's settings that `pnpm dev` gave its services other values for, by where they are. */
export interface IgnoredSettings {
  /** The shell's: the shop and the web app inherit the shell. */
  shell: string[];
  /** `.env`'s, of those the shell leaves unset: the web app reads the file under the shell. */
  envFile: string[];
}

/**
 * What `pnpm dev`'s one notice names: `shell`'s variables that `shop` (`shopTenantEnv`) or
 * `webApp` (`webAppEnvOf`) sets to another value, and `envFile`'s (the agent's
 * `readEnvironment({})`) that `webApp` does, where the shell does not set them (the real
 * environment wins over the file, blank or not).
 */
export function ignoredSettings(settings: {
  shell: Readonly<Record<string, string | undefined>>;
  envFile: Readonly<Record<string, string | undefined>>;
  shop: Readonly<Record<string, string>>;
  webApp: Readonly<Record<string, string>>;
}): IgnoredSettings {
  const { shell, envFile, shop, webApp } = settings;
  const fileAlone = Object.fromEntries(
    Object.entries(envFile).filter(([name]) => shell[name] === undefined),
  );
  return {
    shell: overriddenVariables(shell, [shop, webApp]),
    envFile: overriddenVariables(fileAlone, [webApp]),
  };
}

/**
 * The line under `pnpm dev`'s URLs that names the ignored settings, never their values (a secret
 * among them), or none: the stack is always the local tenant and its shop.
 */
export function ignoredLine({ shell, envFile }: IgnoredSettings): string[] {
  const named = [
    ...(shell.length === 0 ? [] : [`your shell's ${shell.join(", ")}`]),
    ...(envFile.length === 0 ? [] : [`.env's ${envFile.join(", ")}`]),
  ];
  if (named.length === 0) return [];
  const verb = shell.length + envFile.length === 1 ? "is" : "are";
  return [`  ${named.join(" and ")} ${verb} ignored: this stack uses its local tenant and shop`];
}
