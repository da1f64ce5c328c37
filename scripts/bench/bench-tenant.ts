import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { DEFAULT_TENANT_FILE } from "@ciba-testbed/mock-auth0";
import { WITHOUT_EXTRA_CA_CERTS } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";
import type { Runner } from "@ciba-testbed/stack/supervisor";

export interface BenchTenant {
  issuer: string;
  /** The tenant's CA, for clients that trust it explicitly. */
  ca: string;
  /** The mock-auth0 process itself (from its ready record), whose memory is read. */
  pid: number;
  child: SupervisedChild;
}

/**
 * mock-auth0.json for a bench: the repository's settings (auth0/mock-auth0.json, which it
 * extends) with some changed, written as `file`. Objects such as `ciba` merge into the
 * defaults; anything else replaces them. A bench measures the tenant itself, so Auth0's rate
 * limits, which would answer 429 long before, are off unless `changes` sets them.
 */
export async function writeBenchSettings(
  file: string,
  changes: { ciba: Record<string, unknown> } & Record<string, unknown>,
): Promise<string> {
  const base = path.join(path.dirname(DEFAULT_TENANT_FILE), "mock-auth0.json");
  const settings = {
    extends: base,
    ...changes,
    ciba: { perUserRequestsPerMinute: null, perIpRequestsPerMinute: null, ...changes.ciba },
    rateLimits: {
      $comment: "A bench measures the tenant: Auth0's rate limits are off.",
      authenticationApiRequestsPerSecond: null,
      ...(changes.rateLimits as Record<string, unknown> | undefined),
    },
  };
  await writeFile(file, JSON.stringify(settings, null, 2));
  return file;
}

/** mock-auth0 as one `node` process on a free loopback port: the repository's tenant with `settingsFile`. */
export async function startBenchTenant(options: {
  name: string;
  settingsFile: string;
  runner?: Runner;
}): Promise<BenchTenant> {
  const { child, ready } = await SupervisedChild.start({
    name: options.name,
    script: "apps/mock-auth0/src/main.ts",
    runner: options.runner ?? {},
    env: {
      // As oidc-provider starts beside it (tenant-processes.ts): no extra CAs to load.
      ...WITHOUT_EXTRA_CA_CERTS,
      MOCK_AUTH0_PORT: "0",
      MOCK_AUTH0_HOST: "127.0.0.1",
      MOCK_AUTH0_TENANT: DEFAULT_TENANT_FILE,
      MOCK_AUTH0_SETTINGS: options.settingsFile,
      MOCK_AUTH0_USERS: "",
      MOCK_AUTH0_CERT_DIR: path.join(REPO_ROOT, ".certs"),
      // The bench's clients send no token: a token in the caller's environment must not apply.
      MOCK_AUTH0_CONTROL_TOKEN: "",
      // Request logs would measure the pipe to this process, not the tenant.
      LOG_LEVEL: "warn",
    },
  });
  try {
    if (typeof ready.caCertPath !== "string") {
      throw new Error(`${options.name}'s ready record names no caCertPath`);
    }
    return {
      issuer: ready.url,
      ca: await readFile(ready.caCertPath, "utf8"),
      pid: ready.pid,
      child,
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
