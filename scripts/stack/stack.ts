import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";

import { LOCAL_DEFAULTS, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import {
  SHORT_LIVED_SHOP_ENV,
  WITHOUT_EXTRA_CA_CERTS,
  extraCaCerts,
  serverUrl,
} from "@ciba-testbed/shared/node";

import { ControlClient } from "./control-client.js";
import { REPO_ROOT } from "./repo-root.js";
import { emptyShopDatabase } from "./shop-database.js";
import { SupervisedChild } from "./supervisor.js";
import type { OutputColor } from "./supervisor.js";

export interface StackOptions {
  /** 0 (the default) picks free ports; `pnpm dev` uses the documented 4010 and 4020. */
  mockAuth0Port?: number;
  shopApiPort?: number;
  /**
   * Where each listens (MOCK_AUTH0_HOST, SHOP_API_HOST), 127.0.0.1 unless given. The URLs name
   * `localhost` there, and the address itself elsewhere on loopback (`urlHostOf`).
   */
  mockAuth0Host?: string;
  shopApiHost?: string;
  /** The approver's default outcome, e.g. `manual` or `approve-after:1000`. */
  approver?: string;
  /**
   * The tenant in the Auth0 Deploy CLI's format (`tenant.yaml` or an `a0deploy export`
   * directory); default: the repository's `auth0/tenant.yaml`.
   */
  tenantFile?: string;
  /** mock-auth0.json to use instead of the one beside the tenant (`MOCK_AUTH0_SETTINGS`). */
  tenantSettingsFile?: string;
  /** The users file to use instead of the one beside the tenant (`MOCK_AUTH0_USERS`). */
  tenantUsersFile?: string;
  certDir?: string;
  /**
   * Run the servers from `builtDir`, a build that `watchBuild` (scripts/build.js) keeps
   * current, each started again when a file it loaded changes (`pnpm dev`).
   */
  watch?: { builtDir: string };
  logLevel?: string;
  /** Prefixed, coloured logs of every service; `null` (the default) keeps them quiet. */
  output?: Writable | null;
  /** A bearer token for the control API and the approver page (MOCK_AUTH0_CONTROL_TOKEN). */
  controlToken?: string;
  /** Extra variables for shop-api, e.g. SHOP_API_REQUIRE_AUTHORIZATION_DETAILS. */
  shopApiEnv?: Record<string, string>;
  /**
   * Where shop-api keeps its orders, stock and used approvals. `memory` (the default): a new
   * empty database in a temporary folder (`makeScratchFolder`: in RAM where there is room), removed
   * at `stop()`, so every stack starts with a shop that never sold anything and stacks started
   * at once share nothing (a copy of an empty one: `:memory:` would cost seconds of initdb at
   * every start). `persistent`: shop-api's own
   * choice, SHOP_API_DATABASE or SHOP_API_DATABASE_URL from this environment, else its default
   * folder (.data/shop-api), so orders outlive its restarts (`pnpm dev`).
   */
  shopApiData?: "memory" | "persistent";
  /**
   * Whether shop-api lives only for a test or a demo (SHORT_LIVED_SHOP_ENV: V8's baseline
   * WebAssembly compiler alone). By default a `memory` shop does and a `persistent` one does not.
   */
  shopApiShortLived?: boolean;
  /**
   * More services that use the stack as the agent does (`pnpm dev`'s web app), started with the
   * agent's environment (`agentEnv()`). When `shopApiPort` is fixed, the shop's address is known
   * before it listens, so they start beside shop-api as soon as the tenant is ready (its CA
   * exists); with port 0, once the shop is ready. They join `services` and stop with the stack;
   * the stack is ready when they are.
   */
  alsoStart?: (agentEnv: AgentEnv) => Promise<SupervisedChild[]>;
  /**
   * Hears what the tenant says of its CA, each time: `started` as soon as the tenant is ready
   * (its `caNote`, before the shop starts, so that a start that fails after the tenant replaced
   * its CA still has it to say), and, in watch mode, `restarted` each time the tenant that
   * Node's watcher started again after a change serves another CA than the one the stack's
   * services were started trusting (with the tenant's note, when it gave one): what trusted
   * the old CA, the shop and the services of `alsoStart` included, fails TLS with it now.
   */
  onCaNote?: (event: CaEvent) => void;
}

/** What the tenant said of its CA: see `StackOptions.onCaNote`. */
export type CaEvent =
  | { kind: "started"; note: string }
  | { kind: "restarted"; note: string | undefined; caCertPath: string };

export interface Stack {
  issuer: string;
  /** `localhost:<port>` (or where it listens: `127.0.0.2:<port>`): what AUTH0_DOMAIN must be. */
  auth0Domain: string;
  caCertPath: string;
  /**
   * What the tenant said of its CA as it started, once: a new one that replaced the CA there
   * before (a browser or a process that trusted the old one must trust this one), or one an
   * older version made. Undefined when it said nothing.
   */
  caNote?: string;
  shopApiUrl: string;
  purchasesUrl: string;
  control: ControlClient;
  services: SupervisedChild[];
  /**
   * The variables the agent (or any Node client) needs to use this stack. Its
   * NODE_EXTRA_CA_CERTS names `caCertPath`, or, when this process's own names a file without
   * the tenant's CA (a TLS-intercepting proxy's CA, a system bundle), a bundle of that file's
   * certificates and the CA beside `caCertPath` (`extraCaCerts`): the agent needs both, to reach
   * the tenant and a model API behind the proxy, and Node reads one file.
   */
  agentEnv(): AgentEnv;
  stop(): Promise<void>;
}

export const DEFAULT_CLIENT = {
  AUTH0_CLIENT_ID: LOCAL_DEFAULTS.clientId,
  AUTH0_CLIENT_SECRET: LOCAL_DEFAULTS.clientSecret,
  AGENT_USER_ID: LOCAL_DEFAULTS.userId,
  SHOP_API_AUDIENCE,
};

/**
 * The reference tenant's settings for a person watching (`pnpm dev`, `pnpm demo`): polls every
 * 1 s, where `auth0/mock-auth0.json` keeps Auth0's 5 s for everything else (the file says why).
 */
export const INTERACTIVE_TENANT_SETTINGS = path.join(REPO_ROOT, "auth0", "dev.mock-auth0.json");

/**
 * The variables the agent (or any Node client) needs to use a stack: see `Stack.agentEnv`.
 * `pnpm dev` gives its web app these (`webAppEnvOf`), over the shell's and `.env`'s, and prints
 * them in the agent's command: a `.env` written for another run would otherwise have the agent
 * read another shop's catalog. `extraCaCerts`: what its NODE_EXTRA_CA_CERTS names (the tenant's
 * CA, or a bundle that holds it: `Stack.agentEnv`).
 */
export function agentEnvOf(auth0Domain: string, shopApiUrl: string, extraCaCerts: string) {
  return {
    ...DEFAULT_CLIENT,
    AUTH0_DOMAIN: auth0Domain,
    SHOP_API_URL: `${shopApiUrl}/api/purchases`,
    SHOP_CATALOG_URL: `${shopApiUrl}/api/products`,
    NODE_EXTRA_CA_CERTS: extraCaCerts,
  };
}

/** `agentEnvOf`'s variables, each a string. */
export type AgentEnv = Record<keyof ReturnType<typeof agentEnvOf>, string>;

/**
 * What `pnpm dev` gives its web app, over the shell's and `.env`'s: the agent's variables and
 * the link a pending purchase shows, the stack's approver page (not another tenant's). The
 * agent's command needs no such link.
 */
export function webAppEnvOf(agentEnv: AgentEnv) {
  return { ...agentEnv, AGENT_APPROVER_URL: `https://${agentEnv.AUTH0_DOMAIN}/approver` };
}

/**
 * Every variable that decides which tenant shop-api trusts, set to the stack's own: the shop
 * inherits this process's environment, and a shell set up for a real tenant (its
 * AUTH0_ISSUER_BASE_URL above all, which wins over AUTH0_DOMAIN) would have it trust that tenant
 * and refuse every token of this one with a 401.
 */
export function shopTenantEnv(issuer: string, caCertPath: string) {
  return {
    NODE_EXTRA_CA_CERTS: caCertPath,
    AUTH0_DOMAIN: new URL(issuer).host,
    AUTH0_ISSUER_BASE_URL: issuer,
    SHOP_API_AUDIENCE,
  };
}

/**
 * What a watched stack's shop gets (`pnpm dev`): a change to code the tenant and the shop are
 * both built from (packages/shared) starts both again at once, and the shop's start-up issuer
 * check may come before the tenant listens again. It tries again for up to 30 s instead of
 * exiting until the next change; any other problem with the issuer still stops it at once. The
 * shop waits, rather than the stack starting it again: only the shop knows why it stopped (a
 * refused connection, not a wrong issuer), and Node's watcher starts an app again on a change
 * alone.
 */
export const WATCHED_SHOP_ENV = { SHOP_API_ISSUER_WAIT_MS: "30000" } as const;

/**
 * Starts mock-auth0 and then shop-api (which checks the issuer at start), each as its own
 * process group, and resolves once both are ready (and `alsoStart`'s services). `stop()` ends
 * them all; so does the exit of this process, however it ends.
 */
/**
 * The tenant, the shop, then `alsoStart`'s services, as they were started: those started beside
 * a shop on a fixed port may be ready before it.
 */
function inStartOrder(services: SupervisedChild[]): SupervisedChild[] {
  const rank = ({ name }: SupervisedChild) => {
    const core = ["mock-auth0", "shop-api"].indexOf(name);
    return core === -1 ? 2 : core;
  };
  return [...services].sort((a, b) => rank(a) - rank(b));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const logLevel = options.logLevel ?? "info";
  const services: SupervisedChild[] = [];
  // Made while mock-auth0 starts; the catch keeps a failure from going unhandled before then.
  const shopDatabase =
    options.shopApiData === "persistent" ? Promise.resolve(undefined) : emptyShopDatabase();
  shopDatabase.catch(() => undefined);
  const stop = async () => {
    await Promise.all(services.map((service) => service.stop()));
    await (await shopDatabase.catch(() => undefined))?.remove();
  };
  const start = async (name: string, color: OutputColor, env: Record<string, string>) => {
    const { child, ready } = await SupervisedChild.start({
      name,
      script: `apps/${name}/src/main.ts`,
      env: { LOG_LEVEL: logLevel, ...env },
      // One process per server, from the build (or one Node watcher per server).
      runner: options.watch ? { watch: options.watch } : {},
      ...(options.output ? { output: { stream: options.output, color } } : {}),
    });
    services.push(child);
    return { child, ready };
  };

  let joined: Promise<void> | undefined;
  try {
    const { child: tenant, ready: auth0 } = await start("mock-auth0", "magenta", {
      // It opens no TLS connection: the caller's extra CAs would only slow its start.
      ...WITHOUT_EXTRA_CA_CERTS,
      MOCK_AUTH0_PORT: String(options.mockAuth0Port ?? 0),
      // Set, as the port: one inherited from the shell would move it where the URLs do not lead.
      MOCK_AUTH0_HOST: options.mockAuth0Host ?? "127.0.0.1",
      MOCK_AUTH0_CERT_DIR: options.certDir ?? path.join(REPO_ROOT, ".certs"),
      // Set or blank (unset): one inherited from the shell would lock the stack's own client out.
      MOCK_AUTH0_CONTROL_TOKEN: options.controlToken ?? "",
      ...(options.approver ? { MOCK_AUTH0_APPROVER: options.approver } : {}),
      // Set or blank (unset), as the control token: the shell's must not pick another tenant.
      MOCK_AUTH0_TENANT: options.tenantFile ?? "",
      MOCK_AUTH0_SETTINGS: options.tenantSettingsFile ?? "",
      MOCK_AUTH0_USERS: options.tenantUsersFile ?? "",
    });
    const issuer = auth0.url;
    const auth0Domain = new URL(issuer).host;
    const caCertPath = auth0.caCertPath;
    if (typeof caCertPath !== "string") {
      throw new Error(`mock-auth0's ready record names no caCertPath: ${JSON.stringify(auth0)}`);
    }
    if (typeof auth0.caNote === "string") {
      options.onCaNote?.({ kind: "started", note: auth0.caNote });
    }
    const caPem = await readFile(caCertPath, "utf8");
    let trusted = caPem;
    tenant.onReadyAgain((again) => {
      void readFile(caCertPath, "utf8").then(
        (now) => {
          if (now === trusted) return;
          trusted = now;
          options.onCaNote?.({
            kind: "restarted",
            note: typeof again.caNote === "string" ? again.caNote : undefined,
            caCertPath,
          });
        },
        // Unreadable now (removed by hand): the tenant's next start makes it, and says so then.
        () => undefined,
      );
    });
    // The CAs this process's NODE_EXTRA_CA_CERTS names (a proxy's), kept for the agent.
    const agentCas = extraCaCerts(
      process.env.NODE_EXTRA_CA_CERTS,
      { caCertPath, caPem },
      path.dirname(caCertPath),
    );

    /** `alsoStart`'s services, joined to the stack's once they run. */
    const startAlso = (agentEnv: AgentEnv) =>
      options.alsoStart?.(agentEnv).then((children) => {
        services.push(...children);
      });
    // Beside the shop when its address is known now; their children are stopped with the stack
    // even when the shop fails to start.
    const shopPort = options.shopApiPort ?? 0;
    const shopHost = options.shopApiHost ?? "127.0.0.1";
    joined =
      shopPort === 0
        ? undefined
        : startAlso(agentEnvOf(auth0Domain, serverUrl("http", shopHost, shopPort), agentCas));
    joined?.catch(() => undefined);

    const database = await shopDatabase;
    // A throw-away shop lives for a test or a demo; a persistent one keeps V8's optimising tier.
    const shortLived = options.shopApiShortLived ?? options.shopApiData !== "persistent";
    const { ready: shop } = await start("shop-api", "cyan", {
      ...shopTenantEnv(issuer, caCertPath),
      SHOP_API_PORT: String(options.shopApiPort ?? 0),
      SHOP_API_HOST: shopHost,
      // Set or blank (unset), as the control token: the shell's must not reach a test's shop.
      ...(options.shopApiData === "persistent"
        ? {}
        : { SHOP_API_DATABASE: database?.folder ?? "", SHOP_API_DATABASE_URL: "" }),
      ...(shortLived ? SHORT_LIVED_SHOP_ENV : {}),
      ...(options.watch ? WATCHED_SHOP_ENV : {}),
      ...options.shopApiEnv,
    });
    const shopApiUrl = serverUrl("http", shopHost, shop.port);
    const agentEnv = () => agentEnvOf(auth0Domain, shopApiUrl, agentCas);
    await (joined ?? startAlso(agentEnv()));
    const control = new ControlClient(issuer, caPem, options.controlToken);

    return {
      issuer,
      auth0Domain,
      caCertPath,
      ...(typeof auth0.caNote === "string" ? { caNote: auth0.caNote } : {}),
      shopApiUrl,
      purchasesUrl: `${shopApiUrl}/api/purchases`,
      control,
      services: inStartOrder(services),
      agentEnv,
      stop,
    };
  } catch (error) {
    // Services still starting beside the shop are stopped too, once they are known.
    await joined?.catch(() => undefined);
    await stop();
    throw error;
  }
}
