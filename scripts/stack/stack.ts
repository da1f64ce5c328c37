import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";

import { ControlClient } from "./control-client.js";
import { REPO_ROOT } from "./repo-root.js";
import { Service } from "./service.js";

export interface StackOptions {
  /** 0 (the default) picks free ports; `pnpm dev` uses the documented 4010 and 4020. */
  mockAuth0Port?: number;
  shopApiPort?: number;
  /** The approver's default outcome, e.g. `manual` or `approve-after:1000`. */
  approver?: string;
  tenantFile?: string;
  certDir?: string;
  watch?: boolean;
  logLevel?: string;
  /** Prefixed, coloured logs of every service; `null` (the default) keeps them quiet. */
  output?: Writable | null;
  /** A bearer token for the control API and the approver page (MOCK_AUTH0_CONTROL_TOKEN). */
  controlToken?: string;
  /** Extra variables for shop-api, e.g. SHOP_API_REQUIRE_AUTHORIZATION_DETAILS. */
  shopApiEnv?: Record<string, string>;
}

export interface Stack {
  issuer: string;
  /** `localhost:<port>`: what AUTH0_DOMAIN must be. */
  auth0Domain: string;
  caCertPath: string;
  shopApiUrl: string;
  purchasesUrl: string;
  control: ControlClient;
  services: Service[];
  /** The variables the agent (or any Node client) needs to use this stack. */
  agentEnv(): Record<string, string>;
  stop(): Promise<void>;
}

const PINO_LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

function levelNumber(name: string): number {
  return name in PINO_LEVELS ? PINO_LEVELS[name as keyof typeof PINO_LEVELS] : PINO_LEVELS.info;
}

export const DEFAULT_CLIENT = {
  AUTH0_CLIENT_ID: "ciba-testbed-agent",
  AUTH0_CLIENT_SECRET: "ciba-testbed-agent-secret",
  AGENT_USER_ID: "auth0|testbed-user",
  SHOP_API_AUDIENCE: "sample-shop-api",
};

/**
 * Starts mock-auth0 and then shop-api (which checks the issuer at start), each as its own
 * process group, and resolves once both are ready. `stop()` ends both; so does the exit of
 * this process, however it ends.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const certDir = options.certDir ?? path.join(REPO_ROOT, ".certs");
  const caCertPath = path.join(certDir, "ca.pem");
  const output = options.output ?? null;
  // Services log at least at info, since their "listening" record tells that they are ready;
  // a quieter level is applied here, to what is shown.
  const shownLevel = levelNumber(options.logLevel ?? "info");
  const logLevel = shownLevel < levelNumber("info") ? (options.logLevel ?? "info") : "info";
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.map((service) => service.stop()));
  };

  try {
    const auth0 = await Service.start({
      name: "mock-auth0",
      script: "apps/mock-auth0/src/main.ts",
      env: {
        MOCK_AUTH0_PORT: String(options.mockAuth0Port ?? 0),
        MOCK_AUTH0_CERT_DIR: certDir,
        LOG_LEVEL: logLevel,
        // Set or blank (unset): one inherited from the shell would lock the stack's own client out.
        MOCK_AUTH0_CONTROL_TOKEN: options.controlToken ?? "",
        ...(options.approver ? { MOCK_AUTH0_APPROVER: options.approver } : {}),
        ...(options.tenantFile ? { MOCK_AUTH0_TENANT: options.tenantFile } : {}),
      },
      watch: options.watch ?? false,
      isReady: (record) => record.msg === "mock-auth0 listening",
      output,
      minLevel: shownLevel,
      color: "magenta",
    });
    services.push(auth0.service);
    const issuer = String(auth0.ready.issuer);
    const auth0Domain = new URL(issuer).host;

    const shop = await Service.start({
      name: "shop-api",
      script: "apps/shop-api/src/main.ts",
      env: {
        NODE_EXTRA_CA_CERTS: caCertPath,
        AUTH0_DOMAIN: auth0Domain,
        SHOP_API_PORT: String(options.shopApiPort ?? 0),
        SHOP_API_AUDIENCE: DEFAULT_CLIENT.SHOP_API_AUDIENCE,
        LOG_LEVEL: logLevel,
        ...options.shopApiEnv,
      },
      watch: options.watch ?? false,
      isReady: (record) => record.msg === "shop-api listening",
      output,
      minLevel: shownLevel,
      color: "cyan",
    });
    services.push(shop.service);
    const shopUrl = new URL(String(shop.ready.url));
    const shopApiUrl = `http://localhost:${shopUrl.port}`;
    const control = new ControlClient(
      issuer,
      await readFile(caCertPath, "utf8"),
      options.controlToken,
    );

    return {
      issuer,
      auth0Domain,
      caCertPath,
      shopApiUrl,
      purchasesUrl: `${shopApiUrl}/api/purchases`,
      control,
      services,
      agentEnv: () => ({
        ...DEFAULT_CLIENT,
        AUTH0_DOMAIN: auth0Domain,
        SHOP_API_URL: `${shopApiUrl}/api/purchases`,
        NODE_EXTRA_CA_CERTS: caCertPath,
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
