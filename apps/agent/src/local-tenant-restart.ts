import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { environmentTrustingLocalCa, localCaFile, restartWith } from "@ciba-testbed/shared/node";

/**
 * Runs `start` in this process, or, against the local tenant while Node does not yet trust its
 * CA, restarts once with an environment that does. Kept free of the agent's heavy modules, so
 * that restart costs one bare Node start, not two full ones.
 */
export function runTrustingLocalTenant(
  env: Record<string, string | undefined>,
  start: () => Promise<number>,
): Promise<number> {
  const tenantHost = env.AUTH0_DOMAIN?.trim() ?? "";
  const restartEnv = environmentTrustingLocalCa(
    env,
    tenantHost === "" ? LOCAL_DEFAULTS.auth0Domain : tenantHost,
    localCaFile(env),
  );
  return restartEnv === undefined ? start() : restartWith(restartEnv);
}
