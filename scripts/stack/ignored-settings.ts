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

/**
 * A server's variables (its config's `VARIABLES`: what its `loadConfig` reads) and the command
 * that starts it, for `ignoredSettings` to name those `.env` sets.
 */
export interface ServerVariables {
  command: string;
  variables: readonly string[];
}

/** The person's settings that `pnpm dev` gave its services other values for, by where they are. */
export interface IgnoredSettings {
  /** The shell's: the shop and the web app inherit the shell. */
  shell: string[];
  /** `.env`'s, of those the shell leaves unset: the web app reads the file under the shell. */
  envFile: string[];
  /**
   * `.env`'s server variables, of those the shell leaves unset and the stack does not set
   * itself, by the command that starts their server: no server reads `.env`.
   */
  unreadByServers: { command: string; names: string[] }[];
}

/**
 * What `pnpm dev`'s notice names: `shell`'s variables that `shop` (`shopTenantEnv`) or `webApp`
 * (`webAppEnvOf`) sets to another value, and `envFile`'s (the agent's `readEnvironment({})`) that
 * `webApp` does, where the shell does not set them (the real environment wins over the file,
 * blank or not); and `envFile`'s variables of `servers`, set (not blank) where the shell does not
 * set them, but those `shop` or `webApp` set anyway (named above when their values differ).
 */
export function ignoredSettings(settings: {
  shell: Readonly<Record<string, string | undefined>>;
  envFile: Readonly<Record<string, string | undefined>>;
  shop: Readonly<Record<string, string>>;
  webApp: Readonly<Record<string, string>>;
  servers: readonly ServerVariables[];
}): IgnoredSettings {
  const { shell, envFile, shop, webApp, servers } = settings;
  const fileAlone = Object.fromEntries(
    Object.entries(envFile).filter(([name]) => shell[name] === undefined),
  );
  const named = new Set([...Object.keys(shop), ...Object.keys(webApp)]);
  const unreadByServers = servers.flatMap(({ command, variables }) => {
    const names = [...new Set(variables)]
      .filter((name) => !named.has(name) && (fileAlone[name]?.trim() ?? "") !== "")
      .sort();
    for (const name of names) named.add(name);
    return names.length === 0 ? [] : [{ command, names }];
  });
  return {
    shell: overriddenVariables(shell, [shop, webApp]),
    envFile: overriddenVariables(fileAlone, [webApp]),
    unreadByServers,
  };
}

/**
 * The lines under `pnpm dev`'s URLs that name the ignored settings, never their values (a secret
 * among them), or none: the stack is always the local tenant and its shop, and its servers read
 * the environment alone, whatever `.env` says.
 */
export function ignoredLines({ shell, envFile, unreadByServers }: IgnoredSettings): string[] {
  const named = [
    ...(shell.length === 0 ? [] : [`your shell's ${shell.join(", ")}`]),
    ...(envFile.length === 0 ? [] : [`.env's ${envFile.join(", ")}`]),
  ];
  const verb = shell.length + envFile.length === 1 ? "is" : "are";
  const unread = unreadByServers.flatMap(({ names }) => names).sort();
  const commands = unreadByServers.map(
    ({ command, names }) => `${names.map((name) => `${name}=<value>`).join(" ")} ${command}`,
  );
  return [
    ...(named.length === 0
      ? []
      : [`  ${named.join(" and ")} ${verb} ignored: this stack uses its local tenant and shop`]),
    ...(unread.length === 0
      ? []
      : [
          `  .env's ${unread.join(", ")} ${unread.length === 1 ? "is" : "are"} ignored: the servers read only the environment, so set ${unread.length === 1 ? "it" : "them"} there (${commands.join("; ")})`,
        ]),
  ];
}
