import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { resolveFromInvocation } from "./invocation-dir.js";

/** Where mock-auth0 keeps its local CA and certificates unless MOCK_AUTH0_CERT_DIR says otherwise. */
export const DEFAULT_CERT_DIR = fileURLToPath(new URL("../../../../.certs/", import.meta.url));

/** The default local CA file. */
export const LOCAL_CA_FILE = path.join(DEFAULT_CERT_DIR, "ca.pem");

/** The local CA file mock-auth0 uses with this environment (MOCK_AUTH0_CERT_DIR honoured). */
export function localCaFile(env: Readonly<Record<string, string | undefined>>): string {
  const dir = env.MOCK_AUTH0_CERT_DIR?.trim();
  return dir ? path.join(resolveFromInvocation(dir, env), "ca.pem") : LOCAL_CA_FILE;
}

/** `localhost`, `127.0.0.1`, `[::1]` or `*.localhost`, with or without a port. */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = hostWithPort
    .toLowerCase()
    .replace(/:\d+$/, "")
    .replace(/^\[(.*)\]$/, "$1");
  return (
    host === "localhost" || host === "127.0.0.1" || host === "::1" || host.endsWith(".localhost")
  );
}

/**
 * The environment to restart this process with so that Node trusts the local tenant's CA, or
 * undefined when no restart is needed (a remote tenant, no local CA yet, or already trusted).
 * Node reads NODE_EXTRA_CA_CERTS only at start-up and takes a single file, so when it already
 * names another bundle the two are combined in a temporary file.
 */
export function environmentTrustingLocalCa(
  env: Record<string, string | undefined>,
  tenantHost: string,
  caFile: string = LOCAL_CA_FILE,
  bundleDir: string = tmpdir(),
): Record<string, string | undefined> | undefined {
  if (!isLoopbackHost(tenantHost) || !existsSync(caFile)) return undefined;

  const ca = readFileSync(caFile, "utf8").trim();
  const current = env.NODE_EXTRA_CA_CERTS?.trim() ?? "";
  if (current === "") return { ...env, NODE_EXTRA_CA_CERTS: caFile };
  if (current === caFile) return undefined;

  const existing = existsSync(current) ? readFileSync(current, "utf8") : "";
  if (existing.includes(ca)) return undefined;
  const combined = `${existing.trimEnd()}\n${ca}\n`;
  const digest = createHash("sha256").update(combined).digest("hex").slice(0, 16);
  const bundle = path.join(bundleDir, `ciba-testbed-ca-${digest}.pem`);
  if (!existsSync(bundle)) writeFileSync(bundle, combined, { mode: 0o644 });
  return { ...env, NODE_EXTRA_CA_CERTS: bundle };
}

/** Runs this same command again with `env`, passing signals on; resolves with its exit code. */
export function restartWith(env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env,
      stdio: "inherit",
    });
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => child.kill(signal));
    }
    child.on("exit", (code, signal) => {
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}
