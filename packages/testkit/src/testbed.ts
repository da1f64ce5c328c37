import { randomBytes } from "node:crypto";
import { existsSync, realpathSync, rmSync, statSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Writable } from "node:stream";

import { LOCAL_DEFAULTS, PRODUCT_BUY_SCOPE } from "@ciba-testbed/shared";
import {
  WITHOUT_EXTRA_CA_CERTS,
  cachedFolder,
  copyFolder,
  extraCaCerts,
  makeScratchFolder,
  onProcessEnd,
  scratchRoot,
  serverUrl,
  userTempPrefix,
} from "@ciba-testbed/shared/node";
import type { ReadyRecord } from "@ciba-testbed/shared/node";

import { controlApiApprover } from "./approver.js";
import { namingTheCache } from "./damaged-copy.js";
import { namingDatabaseOption, namingTempFolder } from "./temp-folder-error.js";
import {
  TestbedOptionsError,
  clientProblems,
  optionShapeProblems,
  portProblems,
  tenantProblems,
} from "./option-problems.js";
import type { LogLevel } from "./option-problems.js";
import type { Approver } from "./approver.js";
import { installedServerAdvice, serverEntry } from "./server-entry.js";
import type { ServerEntry, ServerName } from "./server-entry.js";
import { settingsChanges } from "./settings-changes.js";
import { certDirSetting, serverEnv } from "./server-env.js";
import { ServerProcess } from "./server-process.js";
import {
  SHOP_DB_FOLDER,
  removeOwnSocket,
  shopLockSocket,
  sweepDeadTestbeds,
} from "./shop-lock-socket.js";
import { adminShop } from "./shop.js";
import { TestbedError } from "./testbed-error.js";
import type { Shop } from "./shop.js";
import type { ApproverOutcome, ApproverPolicy } from "./wire.js";

/** Auth0's per-user and per-IP CIBA limits and its tenant-wide rate limit; `null` turns one off. */
export interface RateLimits {
  /** Backchannel requests one person may be sent a minute (Auth0: 5). */
  perUserRequestsPerMinute?: number | null;
  /** `/bc-authorize` requests from one IP address a minute (Auth0: 500). */
  perIpRequestsPerMinute?: number | null;
  /** Authentication API requests the whole tenant may make a second (Auth0 Enterprise: 100). */
  authenticationApiRequestsPerSecond?: number | null;
}

export interface TestbedOptions {
  /** The tenant: a Deploy CLI `tenant.yaml` or an `a0deploy export` folder; default: the reference tenant that ships with mock-auth0. */
  tenant?: string;
  /** Its users (Auth0's bulk import format); default: `users.json` beside the tenant. */
  users?: string;
  /** Its `mock-auth0.json`; default: the one beside the tenant. */
  settingsFile?: string;
  /**
   * Changes to `mock-auth0.json` (objects merge, anything else replaces). With the reference
   * tenant the poll interval is Auth0's 5 s unless changed here: `{ ciba: { intervalSeconds: 0.2 } }`
   * makes tests faster, and lets an agent that ignores `interval` pass.
   */
  settings?: Record<string, unknown>;
  /**
   * The approver from the first request on: a policy, or just its default outcome (`"manual"`,
   * `"approve-after:500"`). Set through the control API once the tenant runs; one the tenant
   * refuses fails `startTestbed`, naming this option.
   */
  approver?: ApproverPolicy | ApproverOutcome;
  /** Auth0's rate limits, as Auth0 sets them unless given; `null` turns them all off. */
  rateLimits?: RateLimits | null;
  /** The shop API's own settings. */
  shop?: {
    /**
     * Refuse purchase tokens without `product_purchase` authorization_details, as the shop does
     * on its own. Default `false`: an agent built like Auth0's quickstart sends none, and its
     * purchases go through, as on a tenant without Rich Authorization Requests.
     */
    requireAuthorizationDetails?: boolean;
    /**
     * Its database (SHOP_API_DATABASE): a folder for the embedded one, or `:memory:`. Default:
     * a new copy of an empty shop's database, so each testbed starts with no orders.
     */
    database?: string;
    /** More variables for shop-api. */
    env?: Record<string, string>;
  };
  /** Also start the OpenAI-compatible model server (`@ciba-testbed/model-server` must be installed). */
  modelServer?: boolean;
  /**
   * The CIBA client `env()` names; default: the reference tenant's agent client. One the tenant
   * does not take (an unknown Client ID, a wrong secret, an application without the CIBA grant)
   * fails `startTestbed`, saying which.
   */
  client?: { id: string; secret: string };
  /**
   * The logged-in person the agent acts for; default: the reference tenant's
   * `auth0|testbed-user`. One the tenant does not have fails `startTestbed`, naming those it has.
   */
  user?: string;
  /** Fixed ports; 0 (free ports) unless given. A port another process holds fails at once. */
  ports?: { mockAuth0?: number; shopApi?: number; modelServer?: number };
  /**
   * Where mock-auth0 keeps its local CA and its token-signing keys (kept and reused); default:
   * `ciba-testbed-<uid>-certs` in the system's temporary folder, or in a private folder of this
   * user's there when another user took that name first (`<repo>/.certs` inside the
   * ciba-testbed repository).
   */
  certDir?: string;
  /** A bearer token the control API will need (MOCK_AUTH0_CONTROL_TOKEN); none unless given. */
  controlToken?: string;
  /** The servers' log level (`silent` to `trace`); `warn` unless given. */
  logLevel?: LogLevel;
  /** Where the servers' log lines go, each prefixed with its name; nowhere unless given. */
  logs?: Writable;
  /**
   * How long each server may take to start; 60 s unless given, as Playwright's `webServer`. A
   * CI job's other work can slow a start many times over, and a start that fails there fails
   * the whole job; a server that cannot start at all says so at once (its exit is reported).
   */
  startTimeoutMs?: number;
  /**
   * Ends the start when aborted: what has started is stopped and the testbed's files removed,
   * then `startTestbed` rejects with the signal's reason. A start that would finish after the
   * abort stops itself instead. Pass the test runner's own (node:test's `t.signal`), or abort
   * one of your own in `afterAll`, so that a hook its timeout cut short leaves nothing running.
   */
  signal?: AbortSignal;
}

export interface Testbed {
  /** `https://localhost:<port>/`, trailing slash included: the `iss` of every token. */
  issuer: string;
  /** `localhost:<port>`: what AUTH0_DOMAIN must be. */
  auth0Domain: string;
  /** The tenant's CA: a Node process that calls the tenant must start with NODE_EXTRA_CA_CERTS set to it. */
  caCertPath: string;
  /** `http://localhost:<port>`: the shop API. */
  shopApiUrl: string;
  /** `POST` here to buy: what SHOP_API_URL must be. */
  purchasesUrl: string;
  /** The model server's OpenAI base URL (`.../v1`), with `modelServer: true`. */
  openaiBaseUrl: string | undefined;
  /** The logged-in person's user id (`sub`): whom consent requests go to. */
  user: string;
  client: { id: string; secret: string };
  /**
   * The shop API's identifier (audience): the tenant's API with the `product:buy` scope,
   * `sample-shop-api` in the reference tenant.
   */
  audience: string;
  /**
   * The variables an agent process needs: AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET,
   * SHOP_API_URL, SHOP_API_AUDIENCE, AGENT_USER_ID, NODE_EXTRA_CA_CERTS, and with the model
   * server OPENAI_BASE_URL and OPENAI_API_KEY. NODE_EXTRA_CA_CERTS is `caCertPath`, or, when
   * this process's own names another file (a TLS-intercepting proxy's CA), a bundle of that
   * file's certificates and the tenant's CA in the testbed's folder; one it cannot read throws,
   * naming it.
   */
  env(): Record<string, string>;
  approver: Approver;
  shop: Shop;
  /** Stops every server and removes the testbed's temporary files. */
  stop(): Promise<void>;
}

function besideTenant(tenant: string): string {
  return statSync(tenant).isDirectory() ? tenant : path.dirname(tenant);
}

/** The reference tenant inside the mock-auth0 package (built) or the repository (source). */
function referenceTenant(mockAuth0Dir: string): string {
  const candidates = [
    path.join(mockAuth0Dir, "dist", "auth0", "tenant.yaml"),
    path.join(mockAuth0Dir, "..", "..", "auth0", "tenant.yaml"),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) {
    throw new Error(`No reference tenant in ${mockAuth0Dir}: pass { tenant: "<tenant.yaml>" }`);
  }
  return found;
}

/**
 * An empty shop's database for one testbed. A new embedded database costs seconds (PGlite loads
 * the empty cluster the published shop carries, or runs initdb); a copy of one made once opens
 * in a fraction of that. The copy comes from a template
 * made by this very build of the shop (keyed by its bin's content) and kept in the temporary
 * folder; `makeTemplate` starts a shop on the given folder and stops it. The shop's source
 * (inside the ciba-testbed repository) changes too often to key: it gets `:memory:`. `into`
 * is the testbed's folder (`makeScratchFolder`): RAM-backed where the machine has room.
 */
async function freshShopDatabase(
  entry: ServerEntry,
  into: string,
  makeTemplate: (folder: string) => Promise<void>,
): Promise<{ database: string; template?: string }> {
  const bin = entry.args.at(-1) ?? "";
  if (bin.endsWith(".ts")) return { database: ":memory:" };
  // Each build of the shop has its own template; making one removes the older builds' but two.
  const template = await cachedFolder(
    `${userTempPrefix()}shop-db-`,
    await readFile(bin),
    makeTemplate,
  ).catch((error: unknown) => {
    throw namingTempFolder(error, tmpdir());
  });
  const database = path.join(into, SHOP_DB_FOLDER);
  await copyFolder(template, database);
  return { database, template };
}

/**
 * The shop's audience: the identifier of the tenant's API that has the purchase scope, as the
 * tenant loaded it (a Deploy CLI keyword such as ##SHOP_API_AUDIENCE## replaced), from
 * mock-auth0's ready record. Undefined when no API of the tenant has that scope.
 */
function shopAudience(ready: ReadyRecord): string | undefined {
  const apis: unknown = ready.apis;
  if (!Array.isArray(apis)) {
    throw new Error(
      `mock-auth0's ready record names no apis: ` +
        `${installedServerAdvice("mock-auth0", serverEntry("mock-auth0").packageDir)}. ` +
        `It printed ${JSON.stringify(ready)}`,
    );
  }
  const shop = apis.find(
    (api: unknown): api is { identifier: string } =>
      typeof api === "object" &&
      api !== null &&
      "identifier" in api &&
      typeof api.identifier === "string" &&
      "scopes" in api &&
      Array.isArray(api.scopes) &&
      api.scopes.includes(PRODUCT_BUY_SCOPE),
  );
  return shop?.identifier;
}

/**
 * For a call to `server` that failed without an answer ("fetch failed", ECONNREFUSED): the
 * reason, when it is that the server is gone, with the error as its cause; else the error.
 */
const whyUnreachable =
  (server: ServerProcess) =>
  async (error: unknown): Promise<unknown> => {
    const gone = await server.whyGone();
    return gone === undefined
      ? error
      : new TestbedError("TESTBED_SERVER_GONE", gone, { cause: error });
  };

/**
 * mock-auth0's refusal of the settings file the testbed wrote, naming the options it came from
 * instead of a temporary file the caller never wrote.
 */
function naming(error: unknown, settingsFile: string): unknown {
  if (!(error instanceof Error)) return error;
  // However mock-auth0 spells its path (relative to its working folder, or absolute).
  const folder = path.basename(path.dirname(settingsFile)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const written = new RegExp(String.raw`\S*${folder}[\\/]mock-auth0\.json`, "g");
  const message = error.message.replace(written, "startTestbed's settings and rateLimits options");
  // Every problem in those options alone: the options error it is, as a test can tell apart.
  const [exited, invalid, ...problems] = message.split("\n");
  if (
    exited?.startsWith("mock-auth0 exited (code 2) before it was ready") === true &&
    invalid === "Invalid tenant:" &&
    problems.length > 0 &&
    problems.every((line) => line.startsWith("  - startTestbed's settings and rateLimits options"))
  ) {
    return new TestbedOptionsError(problems.map((line) => line.slice("  - ".length)));
  }
  if (message !== error.message) error.message = message;
  return error;
}

/**
 * Starts mock-auth0 (a local Auth0 tenant over HTTPS) and the shop API, each as its own process
 * on a free port, and resolves once both are ready. Call `stop()` when done (e.g. in
 * `afterAll`); the servers also end when this process exits.
 */
export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  // Checked as the caller wrote them: a JavaScript caller gets no type check.
  const misnamed = optionShapeProblems(options as Readonly<Record<string, unknown>>);
  if (misnamed.length > 0) throw new TestbedOptionsError(misnamed);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const logLevel = options.logLevel ?? "warn";
  const { modelServer: modelServerPort, ...serverPorts } = options.ports ?? {};
  const busy = await portProblems({
    ...serverPorts,
    ...(options.modelServer && modelServerPort !== undefined && { modelServer: modelServerPort }),
  });
  if (busy.length > 0) throw new TestbedOptionsError(busy);
  const { signal } = options;
  signal?.throwIfAborted();
  const servers: ServerProcess[] = [];
  // Testbeds whose process was killed first: their folders, and their shops' lock sockets.
  await sweepDeadTestbeds(scratchRoot());
  const tempDir = await makeScratchFolder("ciba-testbed-");
  // The lock socket the shop holds in the temporary folder for its copy of the database: a
  // shop killed with SIGKILL (the exit hook below) leaves it there.
  const shopSocket = shopLockSocket(path.join(realpathSync(tempDir), SHOP_DB_FOLDER));
  // A test process that crashes or is interrupted leaves no 40 MB behind (in RAM, in
  // /dev/shm): its servers are killed first (registered later), then the folder goes, and the
  // shop's lock socket.
  const forgetTempDir = onProcessEnd(() => {
    rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
    removeOwnSocket(shopSocket);
  });
  /** Whether `stop()` was called: what is asked of the testbed then finds its files gone. */
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await Promise.all(servers.map((server) => server.stop()));
    await rm(tempDir, { recursive: true, force: true });
    removeOwnSocket(shopSocket);
    forgetTempDir();
  };
  const launch = (name: ServerName, env: Record<string, string>) =>
    ServerProcess.start({
      name,
      entry: serverEntry(name),
      env: serverEnv(name, logLevel, env),
      logs: options.logs,
      timeoutMs,
      signal,
    });
  const start = async (name: ServerName, env: Record<string, string>) => {
    const started = await launch(name, env);
    servers.push(started.server);
    return started;
  };

  // Started first and awaited last; a failure of the others waits for it before stopping all.
  let model: Promise<ReadyRecord | undefined> = Promise.resolve(undefined);
  // The shop's environment for a database folder, once the tenant is up and checked.
  const tenantChecked = deferred<(database: string) => Record<string, string>>();
  // The shop's empty database, copied into the testbed's folder while the tenant starts (a
  // template made the first time needs the tenant, and waits for it). Like `model`, awaited
  // below and by a failure before it stops the testbed.
  const database: Promise<{ database: string; template?: string }> =
    options.shop?.database === undefined
      ? freshShopDatabase(serverEntry("shop-api"), tempDir, async (folder) => {
          const shopEnv = await tenantChecked.promise;
          const { server } = await launch("shop-api", { ...shopEnv(folder), SHOP_API_PORT: "0" });
          await server.stop();
        })
      : Promise.resolve({ database: options.shop.database });
  database.catch(() => undefined);
  try {
    signal?.throwIfAborted();
    const mockAuth0Dir = serverEntry("mock-auth0").packageDir;
    const tenant = path.resolve(options.tenant ?? referenceTenant(mockAuth0Dir));
    const changes = settingsChanges(options);
    let settingsFile =
      options.settingsFile === undefined ? undefined : path.resolve(options.settingsFile);
    if (changes !== undefined) {
      const base = settingsFile ?? path.join(besideTenant(tenant), "mock-auth0.json");
      const layered = existsSync(base) ? { extends: base, ...changes } : changes;
      settingsFile = path.join(tempDir, "mock-auth0.json");
      await writeFile(settingsFile, JSON.stringify(layered, null, 2));
    }

    // Neither opens a TLS connection: neither needs the caller's extra CAs.
    model = options.modelServer
      ? start("model-server", {
          ...WITHOUT_EXTRA_CA_CERTS,
          MODEL_SERVER_PORT: String(options.ports?.modelServer ?? 0),
        }).then((started) => started.ready)
      : Promise.resolve(undefined);
    // Its failure is thrown where it is awaited, below; not an unhandled rejection meanwhile.
    model.catch(() => undefined);
    // The shell's own MOCK_AUTH0_* are blanked (serverEnv): these alone pick the tenant.
    const { server: auth0Server, ready: auth0 } = await start("mock-auth0", {
      ...WITHOUT_EXTRA_CA_CERTS,
      MOCK_AUTH0_PORT: String(options.ports?.mockAuth0 ?? 0),
      MOCK_AUTH0_TENANT: tenant,
      MOCK_AUTH0_USERS: options.users === undefined ? "" : path.resolve(options.users),
      MOCK_AUTH0_SETTINGS: settingsFile ?? "",
      MOCK_AUTH0_CERT_DIR: await certDirSetting(options.certDir, mockAuth0Dir),
      MOCK_AUTH0_CONTROL_TOKEN: options.controlToken ?? "",
    }).catch((error: unknown) => {
      throw settingsFile === undefined ? error : naming(error, settingsFile);
    });
    const issuer = auth0.url;
    const auth0Domain = new URL(issuer).host;
    if (typeof auth0.caCertPath !== "string") {
      throw new Error(
        `mock-auth0's ready record names no caCertPath: ` +
          `${installedServerAdvice("mock-auth0", mockAuth0Dir)}. It printed ${JSON.stringify(auth0)}`,
      );
    }
    const caCertPath = auth0.caCertPath;
    // The tenant made a new CA in certDir, which whatever trusted the old one (a CI runner's
    // cached bundle, a system store) must trust now: said once, where the run's output shows.
    if (typeof auth0.caNote === "string") process.stderr.write(`${auth0.caNote}\n`);
    const audience = shopAudience(auth0);
    if (audience === undefined) {
      throw new TestbedOptionsError([
        `tenant: none of its APIs (resourceServers) has the ${PRODUCT_BUY_SCOPE} scope the shop ` +
          `checks, so no token the agent gets could buy: add it to the shop's API, or leave ` +
          `tenant out for the reference tenant`,
      ]);
    }
    const caPem = await readFile(caCertPath, "utf8");
    const approver = controlApiApprover({
      issuer,
      caPem,
      caCertPath,
      controlToken: options.controlToken,
      unreachable: whyUnreachable(auth0Server),
    });
    const refused = [
      ...(await tenantProblems(approver, options)),
      ...(await clientProblems(issuer, caPem, options.client)),
    ];
    if (refused.length > 0) throw new TestbedOptionsError(refused);
    signal?.throwIfAborted();

    const adminToken = randomBytes(24).toString("base64url");
    const shopEnv = (database: string) => ({
      NODE_EXTRA_CA_CERTS: caCertPath,
      AUTH0_DOMAIN: auth0Domain,
      SHOP_API_AUDIENCE: audience,
      SHOP_API_ADMIN_TOKEN: adminToken,
      SHOP_API_DATABASE: database,
      SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: String(
        options.shop?.requireAuthorizationDetails ?? false,
      ),
      ...options.shop?.env,
    });
    tenantChecked.resolve(shopEnv);
    const { database: shopDatabase, template } = await database;
    const { server: shopServer, ready: shop } = await start("shop-api", {
      ...shopEnv(shopDatabase),
      SHOP_API_PORT: String(options.ports?.shopApi ?? 0),
    }).catch((error: unknown) => {
      if (template !== undefined) throw namingTheCache(error, shopDatabase, template);
      throw options.shop?.database === undefined ? error : namingDatabaseOption(error);
    });
    // Where it listens, as its ready record says, named as the issuer names the tenant's
    // address (`urlHostOf`): localhost for 127.0.0.1.
    const shopApiUrl = serverUrl("http", new URL(shop.url).hostname, shop.port);
    const modelReady = await model;
    const openaiBaseUrl = typeof modelReady?.baseURL === "string" ? modelReady.baseURL : undefined;
    // Aborted while the last of it started: the caller no longer waits for this testbed.
    signal?.throwIfAborted();

    const user = options.user ?? LOCAL_DEFAULTS.userId;
    const client = options.client ?? {
      id: LOCAL_DEFAULTS.clientId,
      secret: LOCAL_DEFAULTS.clientSecret,
    };
    const purchasesUrl = `${shopApiUrl}/api/purchases`;
    /**
     * The agent's NODE_EXTRA_CA_CERTS (see `Testbed.env`). Its bundle is written into the
     * testbed's folder, which `stop()` removed: asked after it (a hook out of order, a test
     * after the file's afterAll), that write failed with ENOENT on a temporary file's name.
     */
    const agentCaCerts = () => {
      try {
        return extraCaCerts(process.env.NODE_EXTRA_CA_CERTS, { caCertPath, caPem }, tempDir);
      } catch (error) {
        if (!stopped) throw error;
        throw new TestbedError(
          "TESTBED_SERVER_GONE",
          "testbed.env() was called after the testbed's stop(): its tenant and shop are " +
            "stopped, and its folder, where env() writes the agent's bundle of CAs, is gone. " +
            "Start the agent before stop() (stop the testbed in afterAll), or start another testbed",
          { cause: error },
        );
      }
    };
    return {
      issuer,
      auth0Domain,
      caCertPath,
      shopApiUrl,
      purchasesUrl,
      openaiBaseUrl,
      user,
      client,
      audience,
      env: () => ({
        AUTH0_DOMAIN: auth0Domain,
        AUTH0_CLIENT_ID: client.id,
        AUTH0_CLIENT_SECRET: client.secret,
        SHOP_API_URL: purchasesUrl,
        SHOP_API_AUDIENCE: audience,
        AGENT_USER_ID: user,
        NODE_EXTRA_CA_CERTS: agentCaCerts(),
        ...(openaiBaseUrl === undefined
          ? {}
          : { OPENAI_BASE_URL: openaiBaseUrl, OPENAI_API_KEY: "testbed" }),
      }),
      approver,
      shop: adminShop(
        shopApiUrl,
        adminToken,
        user,
        async () => (await approver.users()).map((person) => person.user_id),
        whyUnreachable(shopServer),
      ),
      stop,
    };
  } catch (error) {
    // Aborted, the signal's reason is the answer, whatever the abort made fail.
    const failure: unknown = signal?.aborted ? signal.reason : error;
    // A model server still starting joins `servers` once ready: stop it too. A database still
    // being copied into the folder `stop` removes, or a template waiting for the tenant, ends
    // first.
    tenantChecked.reject(error);
    await Promise.all([model.catch(() => undefined), database.catch(() => undefined)]);
    await stop();
    throw failure;
  }
}

/** A promise with its resolve and reject at hand (`Promise.withResolvers`, Node 22+). */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((resolveIt, rejectIt) => {
    resolve = resolveIt;
    reject = rejectIt;
  });
  // Rejected only when the testbed fails to start: whatever awaits it then fails too.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
