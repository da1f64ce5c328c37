import { existsSync } from "node:fs";

import { isLoopbackHost, localCaFile, localCaToTrust } from "@ciba-testbed/shared/node";

import type { TokenVerificationOptions } from "./auth.js";
import { agentTrusting } from "./issuer-transport.js";

/** The local tenant's CA could not be read (`localCaToTrust`): starting again cannot help. */
export class LocalCaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocalCaError";
  }
}

/**
 * What the shop trusts its issuer's certificate with. Against a local HTTPS tenant, its CA
 * (`localCaToTrust`: mock-auth0's certificate folder, MOCK_AUTH0_CERT_DIR honoured, unless
 * NODE_EXTRA_CA_CERTS holds it) goes to the agent the issuer is fetched through. A tenant
 * started at the same time as the shop (two terminals, a CI job, a compose file) makes its CA
 * only when it first starts, maybe after the shop looked: `refresh` looks again, by the same
 * rules, until there is one.
 */
export class IssuerTrust {
  private agentOptions: TokenVerificationOptions = {};
  private readonly local: boolean;
  private readonly host: string;
  private readonly caFile: string;

  constructor(
    issuer: string,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    const { protocol, host } = new URL(issuer);
    this.local = protocol === "https:" && isLoopbackHost(host);
    this.caFile = localCaFile(env);
    this.host = host;
    this.refresh();
  }

  /** What token verification and the issuer check reach the issuer with. */
  get tokenVerification(): TokenVerificationOptions {
    return this.agentOptions;
  }

  /**
   * Looks for the local tenant's CA again while none is trusted: true when it was found now.
   * Throws `LocalCaError` for a CA that exists but cannot be read or holds no certificate.
   */
  refresh(): boolean {
    if (!this.local || this.agentOptions.agent !== undefined) return false;
    let ca: string | undefined;
    try {
      ca = localCaToTrust(this.env, this.host, this.caFile);
    } catch (error) {
      throw new LocalCaError((error as Error).message, { cause: error });
    }
    if (ca === undefined) return false;
    this.agentOptions = { agent: agentTrusting([ca], this.env) };
    return true;
  }

  /** What to do about an issuer certificate this shop does not trust. */
  untrustedHint(): string {
    if (!this.local) {
      return (
        "Make the shop trust the issuer's certificate authority: name a file with it in " +
        "NODE_EXTRA_CA_CERTS when starting the shop (setting it from code has no effect)."
      );
    }
    const found = existsSync(this.caFile)
      ? `The shop trusts the local mock-auth0's CA in ${this.caFile} by itself, and it did not sign this certificate`
      : `The shop trusts the local mock-auth0's CA by itself once the tenant has made it, and there is none at ${this.caFile}`;
    return (
      `${found}: start the shop with the MOCK_AUTH0_CERT_DIR the tenant was started with ` +
      "(the folder of caCertPath in the tenant's ready record). " +
      "If the issuer is not mock-auth0, name its CA in NODE_EXTRA_CA_CERTS when starting the shop."
    );
  }
}
