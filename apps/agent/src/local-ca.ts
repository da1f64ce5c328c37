import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { isLocalDomain, LOCAL_TENANT } from "./config.js";

/**
 * The environment to restart the CLI with so that Node trusts the local tenant's CA, or
 * undefined when no restart is needed. Node reads NODE_EXTRA_CA_CERTS only at start-up and
 * takes a single file, so when it already names another bundle the two are combined.
 */
export function environmentTrustingLocalCa(
  env: Record<string, string | undefined>,
  caFile: string = LOCAL_TENANT.caFile,
  bundleDir: string = tmpdir(),
): Record<string, string | undefined> | undefined {
  const domain = env.AUTH0_DOMAIN?.trim() ?? "";
  if ((domain !== "" && !isLocalDomain(domain)) || !existsSync(caFile)) return undefined;

  const ca = readFileSync(caFile, "utf8").trim();
  const current = env.NODE_EXTRA_CA_CERTS?.trim() ?? "";
  if (current === "") return { ...env, NODE_EXTRA_CA_CERTS: caFile };

  const existing = existsSync(current) ? readFileSync(current, "utf8") : "";
  if (existing.includes(ca)) return undefined;
  const combined = `${existing.trimEnd()}\n${ca}\n`;
  const digest = createHash("sha256").update(combined).digest("hex").slice(0, 16);
  const bundle = path.join(bundleDir, `ciba-testbed-ca-${digest}.pem`);
  if (!existsSync(bundle)) writeFileSync(bundle, combined, { mode: 0o644 });
  return { ...env, NODE_EXTRA_CA_CERTS: bundle };
}
