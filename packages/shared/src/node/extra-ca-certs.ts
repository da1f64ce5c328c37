import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The bundle's file name, in the folder it is written to. */
export const BUNDLE_FILE = "node-extra-ca-certs.pem";

/**
 * The bundles this process wrote, each with the file whose certificates it holds besides the
 * tenant's CA (undefined: none). A process that set NODE_EXTRA_CA_CERTS to one (`Object.assign(
 * process.env, testbed.env())`) keeps naming it after its testbed stopped and removed it: the
 * next testbed reads the file it came from instead.
 */
const written = new Map<string, string | undefined>();

const pemBlocks = (text: string): string[] =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

/**
 * What NODE_EXTRA_CA_CERTS must name for a Node process to trust the tenant's CA (`caCertPath`,
 * `caPem`) and what `existing` already names: a CI runner behind a TLS-intercepting proxy sets
 * it to the proxy's CA, which an agent needs to reach a real model API, and Node reads one file
 * only (the testkit's `env()` and `ensureTestbedCa`, and the agent of `pnpm dev` and `pnpm demo`,
 * use it). `caCertPath` when `existing` is unset or already holds the CA; else a bundle of
 * `existing`'s certificates and the CA, written into `folder`. A file `existing` names that
 * cannot be read fails, naming it: the agent would otherwise lose the proxy's CA unseen.
 */
export function extraCaCerts(
  existing: string | undefined,
  ca: { caCertPath: string; caPem: string },
  folder: string,
): string {
  const source = existing !== undefined && written.has(existing) ? written.get(existing) : existing;
  if (source === undefined || source === "") return ca.caCertPath;
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    const { code = "", message } = error as NodeJS.ErrnoException;
    throw new Error(
      `NODE_EXTRA_CA_CERTS names ${source}, which cannot be read (${code === "" ? message : code}): ` +
        "the agent's NODE_EXTRA_CA_CERTS is to hold that file's certificates (a TLS-intercepting " +
        "proxy's CA, say) and the tenant's CA, since Node reads one file; point the variable at " +
        "a file this process can read, or unset it",
      { cause: error },
    );
  }
  const [caBlock = ca.caPem] = pemBlocks(ca.caPem);
  const blocks = pemBlocks(text);
  if (blocks.includes(caBlock)) return source;
  const bundle = path.join(folder, BUNDLE_FILE);
  // Whole or not at all, for a process reading it as another writes it.
  const temp = `${bundle}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temp, [...blocks, caBlock].join("\n") + "\n", { mode: 0o644 });
  renameSync(temp, bundle);
  written.set(bundle, source);
  return bundle;
}
