/**
 * `pnpm dev`: the local demo. mock-auth0 and shop-api on their documented ports (or the ones
 * the environment names), restarted on change, with the approver in `manual` so a person
 * decides every consent request. It prints the exact command that points the agent at them.
 */
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { styleText } from "node:util";

import { readEnvironment } from "@ciba-testbed/agent/config";
import {
  ConfigError,
  DEV_TENANT_SETTINGS_FILE,
  LOCAL_DEFAULTS,
  parseEnv,
  portSchema,
  shellWord,
} from "@ciba-testbed/shared";
import { isDataDirHeld } from "@ciba-testbed/shop-api/data-dir-lock";
import type { ZodRawShape } from "zod";
import { z } from "zod";

import type { AgentEnv } from "@ciba-testbed/stack";
import { takeNoArguments } from "@ciba-testbed/stack/script-args";

takeNoArguments("pnpm dev", [
  "Usage: pnpm dev [--help]",
  "",
  "Starts mock-auth0, shop-api and the agent's web app on the local ports, restarted when their",
  "sources change, with the approver in manual mode, and prints the command that points the",
  "agent at them. Ctrl-C stops every service.",
  "",
  "Environment: MOCK_AUTH0_PORT (4010), SHOP_API_PORT (4020), AGENT_PORT (3000), their *_HOST,",
  "and every variable of the services it starts (see README.md, Environment), all from the",
  "environment: the servers do not read .env, and it names each of theirs it finds there.",
]);

const portsShape = {
  MOCK_AUTH0_PORT: portSchema.default(LOCAL_DEFAULTS.mockAuth0Port),
  SHOP_API_PORT: portSchema.default(LOCAL_DEFAULTS.shopApiPort),
  // Where each service listens (their own defaults): the ports are checked there.
  MOCK_AUTH0_HOST: z.string().trim().default("127.0.0.1"),
  SHOP_API_HOST: z.string().trim().default("127.0.0.1"),
  // The quickstart's web app (`pnpm agent serve`), which `pnpm dev` runs too.
  AGENT_PORT: portSchema.default(3000),
  AGENT_HOST: z.string().trim().default("127.0.0.1"),
} satisfies ZodRawShape;

/**
 * The tenant's note of a CA it replaced as it started, until the summary shows it: a failure
 * after that start says it instead, or the person whose browser or agent trusts the old CA
 * learns of the new one from nothing but TLS failures.
 */
let caNoteUnsaid: string | undefined;

/** One line on stderr and the exit code: what a person reads, no stack trace. */
function fail(message: string, code: number): never {
  process.stderr.write(`pnpm dev: ${message}\n`);
  if (caNoteUnsaid !== undefined) process.stderr.write(`pnpm dev: Note: ${caNoteUnsaid}\n`);
  process.exit(code);
}

/**
 * The web app reads its own variables from `<repo>/.env` too, under the real environment (the
 * agent's `readEnvironment`): where it listens and the URL its login returns to.
 */
const WEB_APP_VARIABLES = ["AGENT_PORT", "AGENT_HOST", "APP_BASE_URL"] as const;
// `.env` alone, read once by the web app's own reader (dotenv), so that both find the same values.
const fromEnvFile = readEnvironment({});
const environment: Record<string, string | undefined> = { ...process.env };
for (const name of WEB_APP_VARIABLES) environment[name] ??= fromEnvFile[name];

/** The variables `pnpm dev` and the services it starts read, beside the ports. */
const SERVICE_VARIABLE = /^(?:MOCK_AUTH0_|SHOP_API_|AGENT_|APP_BASE_URL$|LOG_LEVEL$)/;
/** Values not to print: a terminal's scrollback and a CI log keep them. */
const SECRET_VARIABLE = /TOKEN|SECRET/;

/** What `read` reads; a bad value stops here (exit 2) with its message, naming every variable. */
function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** The environment by `schema`, `configured`. */
function readEnv<T extends z.ZodTypeAny>(schema: T): z.output<T> {
  return configured(() => parseEnv(schema, environment, { app: "pnpm dev" }));
}

// The ports first, with as little loaded as possible: a port in use is reported at once.
const ports = readEnv(z.object(portsShape));

/** Why `port` cannot be listened on at `host`, or undefined when it is free. */
function portProblem(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
    probe.listen({ port, host, exclusive: true }, () => {
      probe.close(() => {
        resolve(undefined);
      });
    });
  });
}

/**
 * Why `port` cannot be used at `host`, and on which address: for 127.0.0.1, also whether
 * another process listens on ::1, which a browser tries first for the `localhost` URLs pnpm dev
 * prints, and so reaches instead of the service (a machine without IPv6 has no ::1 to check).
 */
async function servingProblem(
  port: number,
  host: string,
): Promise<{ problem: string; on: string } | undefined> {
  const problem = await portProblem(port, host);
  if (problem !== undefined) return { problem, on: host };
  if (host !== "127.0.0.1") return undefined;
  const v6 = await portProblem(port, "::1");
  return v6 === "EADDRINUSE"
    ? { problem: v6, on: "::1 (where a browser's localhost goes first)" }
    : undefined;
}

/** The next free port after `port`, to suggest one that works now. */
async function freePortAfter(port: number, host: string, taken: number[]): Promise<number> {
  for (let candidate = port + 1; candidate < port + 20 && candidate <= 65_535; candidate += 1) {
    if (!taken.includes(candidate) && (await servingProblem(candidate, host)) === undefined) {
      return candidate;
    }
  }
  return 0;
}

// A port another process holds would make the service fail at start, and a restarting
// watcher would keep waiting: check first, and say so in one line.
const listeners = [
  { variable: "MOCK_AUTH0_PORT", port: ports.MOCK_AUTH0_PORT, host: ports.MOCK_AUTH0_HOST },
  { variable: "SHOP_API_PORT", port: ports.SHOP_API_PORT, host: ports.SHOP_API_HOST },
  { variable: "AGENT_PORT", port: ports.AGENT_PORT, host: ports.AGENT_HOST },
] as const;
for (const [index, { variable, port }] of listeners.entries()) {
  const same = listeners.slice(index + 1).find((other) => port !== 0 && other.port === port);
  if (same !== undefined) {
    fail(
      `${variable} and ${same.variable} are both ${port}: give each service a port of its own`,
      2,
    );
  }
}
const busy: { variable: string; port: number; host: string; suggestion: number }[] = [];
for (const { variable, port, host } of listeners) {
  if (port === 0) continue;
  const found = await servingProblem(port, host);
  if (found === undefined) continue;
  const { problem, on } = found;
  if (problem === "EADDRNOTAVAIL") {
    // The host is the one to change, not the port.
    const hostVariable = variable.replace(/_PORT$/, "_HOST");
    fail(
      `cannot listen on ${host} (${hostVariable}): it is no address of this machine (EADDRNOTAVAIL); set ${hostVariable} to one, such as 127.0.0.1`,
      1,
    );
  }
  if (problem !== "EADDRINUSE") {
    fail(`cannot listen on port ${port} (${variable}) on ${host}: ${problem}`, 1);
  }
  // Not a port another service uses or another suggestion names: the command must work as is.
  const taken = [...listeners.map((l) => l.port), ...busy.map((b) => b.suggestion)];
  busy.push({ variable, port, host: on, suggestion: await freePortAfter(port, host, taken) });
}
if (busy.length > 0) {
  // A running shop's database folder, the one set or the default one (another pnpm dev's shop
  // holds it): the suggested command gives the shop another.
  const set = environment.SHOP_API_DATABASE?.trim();
  const { REPO_ROOT: root } = await import("@ciba-testbed/stack");
  const held = await isDataDirHeld(
    set === undefined || set === "" ? path.join(root, ".data", "shop-api") : set,
  );
  fail(busyPortsLine(busy, held), 1);
}

/**
 * Every busy port in one line, and a command that starts `pnpm dev` now: the variables the
 * person set (the same environment: the other ports, and the rest, such as a second stack's
 * SHOP_API_DATABASE, which a command of ports alone would lose when they were set on the
 * command line), each busy port moved to a free one, and a database of its own for a shop
 * moved off a busy port. A secret is named, not printed.
 */
function busyPortsLine(ports: typeof busy, databaseHeld: boolean): string {
  const which = ports.map(({ variable, port, host }) => `port ${port} (${variable}) on ${host}`);
  const suggestions = new Map(ports.map(({ variable, suggestion }) => [variable, suggestion]));
  const fixable = ports.every(({ suggestion }) => suggestion !== 0);
  const set = (name: string) => {
    const value = environment[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const portNames = Object.keys(portsShape);
  const others = Object.keys(environment)
    .filter((name) => SERVICE_VARIABLE.test(name) && !portNames.includes(name))
    .filter((name) => set(name) !== undefined)
    .sort();
  // A shop on another port is most likely a second stack's, whose database this one's default
  // (.data/shop-api) is: a second shop needs a database of its own, or it stops at start. So
  // does one whose SHOP_API_DATABASE a running shop holds: "<it>-<port>".
  // A shop whose port did not move but whose database another shop holds (a second pnpm dev
  // beside a first, another service's port busy) needs one of its own just the same.
  const shopPort =
    suggestions.get("SHOP_API_PORT") ??
    (databaseHeld
      ? listeners.find(({ variable }) => variable === "SHOP_API_PORT")?.port
      : undefined);
  const database = set("SHOP_API_DATABASE");
  const ownDatabase =
    shopPort === undefined
      ? undefined
      : database === undefined
        ? `.data/shop-api-${String(shopPort)}`
        : databaseHeld
          ? `${database.replace(/\/+$/, "")}-${String(shopPort)}`
          : undefined;
  const command = [...portNames, ...others.filter((name) => !SECRET_VARIABLE.test(name))].flatMap(
    (name) => {
      const value =
        name === "SHOP_API_DATABASE" && ownDatabase !== undefined
          ? ownDatabase
          : suggestions.has(name)
            ? String(suggestions.get(name))
            : set(name);
      return value === undefined ? [] : [`${name}=${shellWord(value)}`];
    },
  );
  if (ownDatabase !== undefined && database === undefined) {
    command.push(`SHOP_API_DATABASE=${ownDatabase}`);
  }
  const secrets = others.filter((name) => SECRET_VARIABLE.test(name));
  const kept = secrets.length === 0 ? "" : ` (with ${secrets.join(" and ")} set as now)`;
  const hint = fixable ? `, e.g. ${[...command, "pnpm dev"].join(" ")}${kept}` : "";
  return ports.length === 1
    ? `${which.join("")} is in use by another process: stop it, or choose another port${hint}`
    : `${which.join(", ")} are in use by other processes: stop them, or choose other ports${hint}`;
}

// Loaded once the ports are known to be free: the supervisor and its log formatting take time.
const { logLevelSchema } = await import("@ciba-testbed/shared/http");
const env = readEnv(
  z.object({
    ...portsShape,
    MOCK_AUTH0_APPROVER: z.string().default("manual"),
    MOCK_AUTH0_CONTROL_TOKEN: z.string().optional(),
    MOCK_AUTH0_TENANT: z.string().optional(),
    MOCK_AUTH0_USERS: z.string().optional(),
    MOCK_AUTH0_SETTINGS: z.string().optional(),
    // The stack keeps the tenant's CA in <repo>/.certs unless told: the person's folder wins.
    MOCK_AUTH0_CERT_DIR: z.string().optional(),
    // The web app's URL, read here for the tenant's callback (see `tenantFiles`).
    APP_BASE_URL: z.string().trim().optional(),
    LOG_LEVEL: logLevelSchema.default("info"),
  }),
);
const {
  INTERACTIVE_TENANT_SETTINGS,
  REPO_ROOT,
  agentEnvOf,
  ignoredLines,
  ignoredSettings,
  shopTenantEnv,
  startStack,
  webAppEnvOf,
} = await import("@ciba-testbed/stack");
const { loseWhatCannotBeWritten, makeScratchFolder, resolveFromInvocation, serverUrl } =
  await import("@ciba-testbed/shared/node");
/** The stack once it runs: what a stdout that cannot be written stops. */
const running: { stack?: { stop: () => Promise<void> } } = {};
// A reader that goes away (`| head`, a crashed `| tee`) or a full disk stops the stack, in order
// and saying why, rather than with an unhandled write error. Serving on would leave it with
// nobody to stop it: pnpm, which ran this, exits 0 at its own write error to that pipe, often
// before stopWithPnpm has found it, and the services would hold their ports for good.
process.stdout.once("error", (error: NodeJS.ErrnoException) => {
  process.stderr.write(
    `pnpm dev: stdout cannot be written (${error.code ?? error.message}): nothing would show what the services do, and the pnpm that ran it may be gone; stopping every service\n`,
  );
  void (running.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});
loseWhatCannotBeWritten();

/** What the web app gets over the shell and `.env`: this stack's tenant, shop and approver page. */
const webAppEnv = (agentEnv: AgentEnv) => ({ ...webAppEnvOf(agentEnv), LOG_LEVEL: env.LOG_LEVEL });

// The web app's own check of its configuration, on what it will read (the shell over `.env`,
// under `webAppEnv`: the tenant's and the shop's addresses follow from their hosts and ports, and
// the CA file, not made yet, is no setting it checks): a setting it would stop on (AGENT_PORT=0
// without APP_BASE_URL, a bad AGENT_MODE in .env) stops `pnpm dev` here, exit 2 with the web
// app's message, before the tenant and the shop start.
const { loadWebConfig } = await import("@ciba-testbed/agent/web-config");
configured(() =>
  loadWebConfig({
    ...fromEnvFile,
    ...process.env,
    ...webAppEnv(
      agentEnvOf(
        new URL(serverUrl("https", env.MOCK_AUTH0_HOST, env.MOCK_AUTH0_PORT)).host,
        serverUrl("http", env.SHOP_API_HOST, env.SHOP_API_PORT),
        "",
      ),
    ),
  }),
);
// The tenant's own check of its variables, on what it will read (the shell's, its port and host
// as checked above): a value it would stop on (a mistyped MOCK_AUTH0_APPROVER, a short
// MOCK_AUTH0_CONTROL_TOKEN) stops `pnpm dev` here, exit 2 with the tenant's message, as the
// tenant alone exits; started, the tenant stopped with it and `pnpm dev` exited 1.
const { loadConfig: loadTenantConfig } = await import("@ciba-testbed/mock-auth0/config");
const tenantEnv = {
  ...process.env,
  MOCK_AUTH0_PORT: String(env.MOCK_AUTH0_PORT),
  MOCK_AUTH0_HOST: env.MOCK_AUTH0_HOST,
  MOCK_AUTH0_APPROVER: env.MOCK_AUTH0_APPROVER,
};
configured(() => loadTenantConfig(tenantEnv));
// `pnpm dev` runs this script as pnpm -> node: pnpm killed (kill -9, an IDE's stop, a SIGHUP to
// its pid alone) leaves this process running, and every service with it. It stops then.
const { stopWithPnpm } = await import("@ciba-testbed/stack/stop-with-pnpm");
stopWithPnpm({
  intervalMs: 500,
  onGone: (pnpm) => {
    process.stderr.write(`pnpm dev: pnpm (pid ${pnpm.pid}) is gone; stopping every service\n`);
  },
});
const { SupervisedChild, ServiceStartError, SUPERVISED_ENTRIES, signalsStopCleanly, stopLine } =
  await import("@ciba-testbed/stack/supervisor");
// Ctrl-C is how `pnpm dev` is meant to end: exit 0 then, and pnpm says nothing of a failure.
signalsStopCleanly();
const { ENTRIES, watchBuild } = await import("./build.js");

/**
 * The servers run from a build of their own, in a scratch folder (one per `pnpm dev`, so two can
 * run side by side; one left by a `pnpm dev` that was killed goes at the next start), made now
 * and again at every change of a source they were built from: Node's watch mode then starts
 * again each server one of whose built files changed. The last build that compiled is kept in
 * node_modules/.cache/dev-build, and the next `pnpm dev` starts from a copy of it when no file
 * it was built from changed since (`watchBuild`'s `cacheDir`).
 */
const builtDir = await makeScratchFolder("ciba-dev-build-");
process.once("exit", () => {
  rmSync(builtDir, { recursive: true, force: true });
});
await watchBuild(
  {
    "mock-auth0": ENTRIES["mock-auth0"],
    "shop-api": ENTRIES["shop-api"],
    "agent-web": ENTRIES["agent-web"],
    ...SUPERVISED_ENTRIES,
  },
  builtDir,
  undefined,
  { cacheDir: path.join(REPO_ROOT, "node_modules", ".cache", "dev-build") },
).catch((error: unknown) => fail(`the build failed: ${(error as Error).message}`, 1));

/** A path the person named, relative to where the command was typed; undefined when unset. */
function resolved(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === ""
    ? undefined
    : resolveFromInvocation(value, process.env);
}

/**
 * The tenant the stack serves: MOCK_AUTH0_TENANT, MOCK_AUTH0_USERS and MOCK_AUTH0_SETTINGS as
 * mock-auth0 reads them (relative to where the command was typed), with one keyword set by the
 * web app: the tenant's login callback and logout URL are `##AGENT_WEB_URL##` (auth0/tenant.yaml),
 * and they must name the URL the web app runs on, APP_BASE_URL or http://localhost:<AGENT_PORT>
 * (the address of AGENT_HOST when localhost does not reach it, as the web app's own default).
 * A settings file in the scratch folder extends the tenant's own with that keyword. For the
 * repository's tenant, unless MOCK_AUTH0_SETTINGS names others, those are
 * INTERACTIVE_TENANT_SETTINGS: a person waits on each poll, so polls 1 s apart, not Auth0's 5 s.
 */
function tenantFiles() {
  const tenantFile = resolved(env.MOCK_AUTH0_TENANT) ?? path.join(REPO_ROOT, "auth0/tenant.yaml");
  const beside = statSync(tenantFile, { throwIfNoEntry: false })?.isDirectory()
    ? tenantFile
    : path.dirname(tenantFile);
  const reference = path.resolve(beside) === path.dirname(INTERACTIVE_TENANT_SETTINGS);
  const settings =
    resolved(env.MOCK_AUTH0_SETTINGS) ??
    (reference ? INTERACTIVE_TENANT_SETTINGS : path.join(beside, "mock-auth0.json"));
  const webAppUrl = (env.APP_BASE_URL ?? serverUrl("http", env.AGENT_HOST, env.AGENT_PORT)).replace(
    /\/+$/,
    "",
  );
  const tenantSettingsFile = path.join(builtDir, DEV_TENANT_SETTINGS_FILE);
  writeFileSync(
    tenantSettingsFile,
    JSON.stringify({
      // A file MOCK_AUTH0_SETTINGS names is extended even if missing, for mock-auth0 to say it
      // cannot read it: dropped, the tenant's keywords were named as missing instead.
      ...(existsSync(settings) || resolved(env.MOCK_AUTH0_SETTINGS) !== undefined
        ? { extends: settings }
        : {}),
      keywords: { AGENT_WEB_URL: webAppUrl },
    }),
  );
  const tenantUsersFile = resolved(env.MOCK_AUTH0_USERS);
  return {
    tenantFile,
    tenantSettingsFile,
    ...(tenantUsersFile === undefined ? {} : { tenantUsersFile }),
  };
}

// The tenant's ready record names its CA in this folder, and the shop and the web app are
// started trusting that file.
const certDir = resolved(env.MOCK_AUTH0_CERT_DIR);
const tenant = tenantFiles();
// The tenant's own reading of its files, as it will read them: a tenant file it would refuse
// (not valid YAML, a settings file that is not there) stops `pnpm dev` here, exit 2 with the
// tenant's message, as `pnpm mock-auth0` exits; started, the tenant stopped on it and `pnpm dev`
// exited 1.
const { loadTenantReport, TenantFileError } = await import("@ciba-testbed/mock-auth0/load-tenant");
try {
  loadTenantReport(
    loadTenantConfig({
      ...tenantEnv,
      MOCK_AUTH0_TENANT: tenant.tenantFile,
      MOCK_AUTH0_SETTINGS: tenant.tenantSettingsFile,
      MOCK_AUTH0_USERS: tenant.tenantUsersFile ?? "",
    }).tenant,
  );
} catch (error) {
  if (!(error instanceof TenantFileError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
/**
 * What `pnpm dev` says, once, when the tenant that Node's watcher started again after a change
 * serves another CA (the one before near its end, or its files changed): the shop and the web
 * app read the CA they trust as they started, and so did every agent started from the command
 * printed, whose bundle of CAs (with a shell's NODE_EXTRA_CA_CERTS) holds the old one. Nothing
 * but a new `pnpm dev` starts them all again trusting the new one.
 */
function caChangedLines(note: string | undefined, caCertPath: string): string {
  const bold = (text: string) => styleText("bold", text);
  return [
    "",
    bold("Note: the tenant started again with a new CA"),
    `  ${note ?? `mock-auth0 now serves with the CA in ${caCertPath}, another than the one this pnpm dev started with.`}`,
    "  This stack's shop and web app still trust the old CA, so every call they make to the tenant fails TLS from now on. Restart pnpm dev: Ctrl-C, then pnpm dev. Then start each agent started before again with the agent command it prints, and have a browser that trusted the old CA trust the new ca.pem (or accept the warning once).",
    "",
  ].join("\n");
}

let stack: Awaited<ReturnType<typeof startStack>>;
let webUrl = "";
try {
  stack = await startStack({
    ...(env.MOCK_AUTH0_CONTROL_TOKEN === undefined
      ? {}
      : { controlToken: env.MOCK_AUTH0_CONTROL_TOKEN }),
    mockAuth0Port: env.MOCK_AUTH0_PORT,
    mockAuth0Host: env.MOCK_AUTH0_HOST,
    ...(certDir === undefined ? {} : { certDir }),
    shopApiPort: env.SHOP_API_PORT,
    shopApiHost: env.SHOP_API_HOST,
    approver: env.MOCK_AUTH0_APPROVER,
    ...tenant,
    logLevel: env.LOG_LEVEL,
    watch: { builtDir },
    // Orders, stock and used approvals outlive the restarts that every change brings.
    shopApiData: "persistent",
    // Yet V8's baseline WebAssembly compiler alone: the shop starts again at every change of its
    // sources and serves a person's purchases, never a load, so the optimising tier would cost
    // about 0.9 s of CPU at every start and pay it back never.
    shopApiShortLived: true,
    // The quickstart's web app (`pnpm agent serve`, AGENT_PORT, default 3000: the tenant's
    // callback is http://localhost:3000/auth/callback), restarted on change like the others.
    // It starts beside the shop (on the default ports, or any but 0): neither waits for the
    // other.
    alsoStart: async (agentEnv) => {
      const web = await SupervisedChild.start({
        name: "agent-web",
        script: "apps/agent/src/web/main.ts",
        env: webAppEnv(agentEnv),
        runner: { watch: { builtDir } },
        output: { stream: process.stdout, color: "green" },
      });
      webUrl = web.ready.url;
      return [web.child];
    },
    output: process.stdout,
    onCaNote: (event) => {
      if (event.kind === "started") caNoteUnsaid = event.note;
      else process.stdout.write(caChangedLines(event.note, event.caCertPath));
    },
  });
} catch (error) {
  // The service's output is on the terminal above: the line names it and quotes its error.
  if (error instanceof ServiceStartError) fail(stopLine(error.stop), 1);
  fail((error as Error).message.split("\n")[0] ?? "", 1);
}
running.stack = stack;

// A service that stops on its own once the stack runs ends `pnpm dev` too, the others stopped
// first: a half stack would answer with errors that do not say why. One that Node's watcher
// started again with changed code and that failed to start with it waits for the next change,
// as the watcher does: the developer is fixing it. A listener runs at once for a service that
// stopped while the others started (`as boolean`: TypeScript does not see callbacks set it).
let ending = false as boolean;
for (const service of stack.services) {
  service.onStop((stop) => {
    if (stop.afterChange) {
      process.stderr.write(
        `pnpm dev: ${stopLine(stop)}; it starts again when its sources change\n`,
      );
      return;
    }
    if (ending) return;
    ending = true;
    void stack.stop().finally(() => {
      fail(`${stopLine(stop)}; the other services are stopped`, 1);
    });
  });
}

// Every variable that ties the agent to this stack, so that neither the shell nor a .env file
// (which may name a real tenant) points it elsewhere; the two the ports decide come first.
const FIRST = ["AUTH0_DOMAIN", "SHOP_API_URL"];
const agentCommand = [
  ...Object.entries(stack.agentEnv())
    .sort(([a], [b]) => Number(!FIRST.includes(a)) - Number(!FIRST.includes(b)))
    .map(([key, value]) => `${key}=${shellWord(value)}`),
  'pnpm agent "Buy 2 XYZ phones"',
];
// With a control token, the control API wants it, and the page takes it from its fragment.
const bearer =
  env.MOCK_AUTH0_CONTROL_TOKEN === undefined
    ? ""
    : ' -H "Authorization: Bearer $MOCK_AUTH0_CONTROL_TOKEN"';
const pageUrl = `${stack.issuer}approver${env.MOCK_AUTH0_CONTROL_TOKEN === undefined ? "" : "#token=<MOCK_AUTH0_CONTROL_TOKEN>"}`;
// The shell's and .env's own tenant and shop settings, named and never shown (a secret among
// them): the stack is always the local tenant, so its services were given its values instead.
// And .env's server settings, named from what each server's configuration reads: no server
// reads .env, and a .env written from an earlier .env.example holds some (MOCK_AUTH0_APPROVER).
const [tenantConfig, shopConfig, modelServerConfig] = await Promise.all([
  import("@ciba-testbed/mock-auth0/config"),
  import("@ciba-testbed/shop-api/config"),
  import("@ciba-testbed/model-server/config"),
]);
const ignored = ignoredSettings({
  shell: process.env,
  envFile: fromEnvFile,
  shop: shopTenantEnv(stack.issuer, stack.caCertPath),
  webApp: webAppEnvOf(stack.agentEnv()),
  servers: [
    {
      command: "pnpm dev",
      variables: [...Object.keys(tenantConfig.VARIABLES), ...Object.keys(shopConfig.VARIABLES)],
    },
    { command: "pnpm model-server", variables: Object.keys(modelServerConfig.VARIABLES) },
  ],
});
const bold = (text: string) => styleText("bold", text);
const dim = (text: string) => styleText("dim", text);
// Not when a service stopped while the others started: that ends `pnpm dev` (above).
if (!ending) {
  caNoteUnsaid = undefined;
  process.stdout.write(
    [
      "",
      bold("ciba-testbed is running"),
      `  mock-auth0   ${stack.issuer}   (approver: ${env.MOCK_AUTH0_APPROVER})`,
      `  shop-api     ${stack.shopApiUrl}   (catalog: ${stack.agentEnv().SHOP_CATALOG_URL})`,
      `  agent web    ${webUrl}   (the quickstart's chat)`,
      ...ignoredLines(ignored),
      // A new CA (the one before near its end): the browser that trusted the old one warns now.
      // The note's own advice is for every supervisor (the testkit's bundle): here, the command
      // below is the one to start an agent again with.
      ...(stack.caNote === undefined
        ? []
        : [
            "",
            bold("Note:"),
            `  ${stack.caNote}`,
            `  This stack's shop and web app trust the new CA, and the agent command below names it: start an agent started before again with that command.`,
          ]),
      "",
      bold(`Chat as in Auth0's quickstart: open ${webUrl}, log in as Test Buyer, ask away.`),
      dim(
        `  (Log in opens the tenant at ${stack.issuer}: your browser must trust ${stack.caCertPath}, or accept the warning once)`,
      ),
      "",
      bold("1. Ask the agent to buy something, in another terminal:"),
      agentCommand.map((part) => `  ${part}`).join(" \\\n"),
      "",
      bold("2. Answer the consent request on the approver page (what the phone would do):"),
      `  ${pageUrl}`,
      dim(`  (your browser must trust ${stack.caCertPath}, or accept the warning once)`),
      "  or with the control API:",
      `  curl -s --cacert ${shellWord(stack.caCertPath)}${bearer} '${stack.issuer}approver/api/requests?status=pending'`,
      `  curl -s --cacert ${shellWord(stack.caCertPath)}${bearer} -X POST ${stack.issuer}approver/api/requests/<auth_req_id>/approve`,
      "",
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
}
