import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { rootCertificates } from "node:tls";

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

/** A PEM certificate's base64 body alone, whatever its line length. */
const pemBody = (block: string): string =>
  block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");

let nodeRoots: Set<string> | undefined;
/** Whether Node trusts the certificate already: it is one of the roots Node is built with. */
const builtInRoot = (block: string): boolean =>
  (nodeRoots ??= new Set(rootCertificates.map(pemBody))).has(pemBody(block));

/**
 * What NODE_EXTRA_CA_CERTS must name for a Node process to trust the tenant's CA (`caCertPath`,
 * `caPem`) and what `existing` already names: a CI runner behind a TLS-intercepting proxy sets
 * it to the proxy's CA, which an agent needs to reach a real model API, and Node reads one file
 * only (the testkit's `env()` and `ensureTestbedCa`, and the agent of `pnpm dev` and `pnpm demo`,
 * use it). `caCertPath` when `existing` is unset or already holds the CA; else a bundle of
 * `existing`'s certificates and the CA, written into `folder`. A file `existing` names that
 * cannot be read fails, naming it: the agent would otherwise lose the proxy's CA unseen.
 *
 * The bundle leaves out the certificates of Node's own roots (`tls.rootCertificates`), which
 * Node trusts whatever the variable names: a runner that names the system's bundle (CI's names
 * Debian's 144) would otherwise have every process parse them all at its start, about 44 ms of
 * CPU each on a 2-core runner; Debian's leaves 22 that Node is not built with.
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
  const own = blocks.filter((block) => !builtInRoot(block));
  const bundle = path.join(folder, BUNDLE_FILE);
  // Whole or not at all, for a process reading it as another writes it.
  const temp = `${bundle}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temp, [...own, caBlock].join("\n") + "\n", { mode: 0o644 });
  renameSync(temp, bundle);
  written.set(bundle, source);
  return bundle;
}
