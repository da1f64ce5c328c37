import { createServer } from "node:net";

import { CIBA_GRANT_TYPE, LOCAL_DEFAULTS } from "@ciba-testbed/shared";

import { ControlApiError } from "./approver.js";
import type { Approver } from "./approver.js";
import { httpsJson } from "./https-json.js";
import type { TestbedErrorCode } from "./testbed-error.js";
import type { RateLimits, TestbedOptions } from "./testbed.js";
import type { ApproverOutcome, ApproverPolicy } from "./wire.js";

/** The servers' own default host: where a fixed port must be free. */
const SERVER_HOST = "127.0.0.1";

/**
 * Marks a TestbedOptionsError of any copy of the testkit: the package's ESM and CommonJS builds
 * each define the class, and a test that imports one may meet an error thrown by the other.
 */
const OPTIONS_ERROR = Symbol.for("@ciba-testbed/testkit:TestbedOptionsError");

/** The error that lists every problem with the options, each naming its option. */
export class TestbedOptionsError extends Error {
  readonly [OPTIONS_ERROR] = true;
  /** Stable, as `TestbedError`'s codes are. */
  readonly code = "TESTBED_INVALID_OPTIONS" satisfies TestbedErrorCode;

  constructor(
    readonly problems: readonly string[],
    /** The function whose options they are. */
    of: "startTestbed" | "ensureTestbedCa" = "startTestbed",
  ) {
    super(`Invalid ${of} options:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "TestbedOptionsError";
  }

  /**
   * `instanceof` holds for the error of either build (ESM or CommonJS), not of this one only. A
   * subclass inherits this method: for it, `instanceof` is the ordinary prototype check, so that
   * an error of this class is no instance of a subclass.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TestbedOptionsError)
      return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[OPTIONS_ERROR] === true
    );
  }
}

/** A value as a message shows it: strings quoted, so `"4000"` does not read as the number. */
const shown = (value: unknown): string =>
  typeof value === "string" ? JSON.stringify(value) : String(value);

/** The servers' log levels: pino's, and `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The names of `T`'s members: a record with all of them and no other, checked by the compiler. */
const namesOf = <T>(members: Record<keyof T, true>): readonly string[] => Object.keys(members);

/**
 * Every option `startTestbed` takes, and the members of those that are objects: a name not here
 * is a typo that would otherwise change nothing (`modelserver: true` starting no model server, and
 * the agent then calling OpenAI itself).
 */
const KNOWN_OPTIONS = {
  "": namesOf<TestbedOptions>({
    tenant: true,
    users: true,
    settingsFile: true,
    settings: true,
    approver: true,
    rateLimits: true,
    shop: true,
    modelServer: true,
    client: true,
    user: true,
    ports: true,
    certDir: true,
    controlToken: true,
    logLevel: true,
    logs: true,
    startTimeoutMs: true,
    signal: true,
  }),
  rateLimits: namesOf<RateLimits>({
    perUserRequestsPerMinute: true,
    perIpRequestsPerMinute: true,
    authenticationApiRequestsPerSecond: true,
  }),
  shop: namesOf<NonNullable<TestbedOptions["shop"]>>({
    requireAuthorizationDetails: true,
    database: true,
    env: true,
  }),
  ports: namesOf<NonNullable<TestbedOptions["ports"]>>({
    mockAuth0: true,
    shopApi: true,
    modelServer: true,
  }),
};

/**
 * The shop's variables `startTestbed` sets itself, or that would override what it sets, each
 * with what to do instead: given in `shop.env`, one would be ignored (SHOP_API_PORT) or would
 * take the shop from the testbed (AUTH0_ISSUER_BASE_URL wins over AUTH0_DOMAIN, so the shop
 * trusted another tenant; SHOP_API_DATABASE_URL beside SHOP_API_DATABASE stopped the shop with
 * its own words, after the tenant had started).
 */
const SHOP_ENV_SET_BY_TESTBED: Readonly<Record<string, string>> = {
  SHOP_API_PORT: "give the port as ports.shopApi",
  SHOP_API_DATABASE: "give the database as shop.database",
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "use shop.requireAuthorizationDetails",
  LOG_LEVEL: "use logLevel",
  AUTH0_DOMAIN: "it is the testbed's tenant (the tenant option picks another)",
  SHOP_API_AUDIENCE: "it is the audience of the tenant's API with the product:buy scope",
  NODE_EXTRA_CA_CERTS: "it is the tenant's CA (the certDir option moves it)",
  SHOP_API_ADMIN_TOKEN: "testbed.shop reads the orders with a token of its own",
};

/** The shop's variables that would override one `startTestbed` sets, each with what to do. */
const SHOP_ENV_OVERRIDING_TESTBED: Readonly<Record<string, string>> = {
  AUTH0_ISSUER_BASE_URL:
    "the shop trusts the testbed's tenant as its issuer (the tenant option picks another)",
  SHOP_API_DATABASE_URL:
    "a testbed's shop keeps its orders in the embedded database shop.database names (a folder, or :memory:)",
};

/** The variables in `shop.env` that startTestbed sets itself, each with the option to use. */
function shopEnvProblems(env: unknown): string[] {
  if (env === undefined) return [];
  if (env === null || typeof env !== "object" || Array.isArray(env)) {
    return [`shop.env must be an object of variables, not ${shown(env)}`];
  }
  return Object.keys(env).flatMap((name) => {
    const set = Object.hasOwn(SHOP_ENV_SET_BY_TESTBED, name);
    if (!set && !Object.hasOwn(SHOP_ENV_OVERRIDING_TESTBED, name)) return [];
    const why = set
      ? `is set by startTestbed itself, so it may not be given here: ${SHOP_ENV_SET_BY_TESTBED[name] ?? ""}`
      : `would override what startTestbed sets, so it may not be given here: ${SHOP_ENV_OVERRIDING_TESTBED[name] ?? ""}`;
    return [`shop.env.${name} ${why}`];
  });
}

/** The names in `value` (an object) that `known` does not have, each with its fix. */
function unknownNames(
  value: object,
  known: readonly string[],
  prefix: string,
  of = "startTestbed",
): string[] {
  return Object.keys(value)
    .filter((name) => !known.includes(name))
    .map((name) => {
      const meant = known.find((option) => option.toLowerCase() === name.toLowerCase());
      const hint =
        meant === undefined ? `the options are ${known.join(", ")}` : `did you mean ${meant}?`;
      return `${prefix}${name} is no option of ${of}: ${hint}`;
    });
}

/** A `certDir` that is no folder's path: path.resolve() threw a TypeError naming no option. */
function certDirProblems(certDir: unknown): string[] {
  if (certDir === undefined || (typeof certDir === "string" && certDir.trim() !== "")) return [];
  return [
    "certDir must be the path of a folder (a string), such as " +
      `path.join(import.meta.dirname, ".testbed-certs"), not ${shown(certDir)}`,
  ];
}

/**
 * What is wrong with `ensureTestbedCa`'s options as the caller wrote them: no object (the
 * folder given as itself, which was taken as no option at all: the CA was made in the default
 * folder, not the one the tests give startTestbed), a name that is no option (`certdir`), a
 * `certDir` that is no path, a `timeoutMs` that is no time above 0.
 */
export function testbedCaOptionProblems(options: unknown): string[] {
  if (options === undefined) return [];
  if (typeof options === "string") {
    return [
      `the options must be an object, not the folder itself: ensureTestbedCa({ certDir: ${shown(options)} })`,
    ];
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    return [`the options must be an object such as { certDir }, not ${shown(options)}`];
  }
  const given = options as Record<string, unknown>;
  const problems = [
    ...unknownNames(given, ["certDir", "timeoutMs"], "", "ensureTestbedCa"),
    ...certDirProblems(given.certDir),
  ];
  const { timeoutMs } = given;
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs > 0)
  ) {
    problems.push(`timeoutMs must be a number of milliseconds above 0, not ${shown(timeoutMs)}`);
  }
  return problems;
}

/**
 * What is wrong with the options' names and plain values, found before anything starts: an
 * option name that is no option (at the top, or in `rateLimits`, `shop` and `ports`), and the
 * values the servers would refuse in words of their own variables (`logLevel` as LOG_LEVEL,
 * `controlToken` as MOCK_AUTH0_CONTROL_TOKEN), named by option here.
 */
export function optionShapeProblems(options: Readonly<Record<string, unknown>>): string[] {
  const problems = unknownNames(options, KNOWN_OPTIONS[""], "");
  for (const group of ["rateLimits", "shop", "ports"] as const) {
    const value = options[group];
    // `rateLimits: null` turns every limit off.
    if (value === undefined || (group === "rateLimits" && value === null)) continue;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${group} must be an object, not ${shown(value)}`);
    } else {
      problems.push(...unknownNames(value, KNOWN_OPTIONS[group], `${group}.`));
      if (group === "shop" && "env" in value) problems.push(...shopEnvProblems(value.env));
    }
  }
  problems.push(...certDirProblems(options.certDir));
  const { startTimeoutMs, logLevel, controlToken, modelServer, signal } = options;
  if (
    startTimeoutMs !== undefined &&
    !(typeof startTimeoutMs === "number" && Number.isFinite(startTimeoutMs) && startTimeoutMs > 0)
  ) {
    problems.push(
      `startTimeoutMs must be a number of milliseconds above 0, not ${shown(startTimeoutMs)}`,
    );
  }
  if (logLevel !== undefined && !(LOG_LEVELS as readonly unknown[]).includes(logLevel)) {
    problems.push(`logLevel must be one of ${LOG_LEVELS.join(", ")}, not ${shown(logLevel)}`);
  }
  if (controlToken !== undefined) {
    // The tenant's own rule for MOCK_AUTH0_CONTROL_TOKEN: a bearer secret, also safe in a cookie.
    if (typeof controlToken !== "string" || controlToken.length < 16) {
      problems.push(
        "controlToken must be a string of at least 16 characters, e.g. " +
          'randomBytes(24).toString("base64url")',
      );
    } else if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(controlToken)) {
      problems.push("controlToken may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =");
    }
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    problems.push(
      `signal must be an AbortSignal (new AbortController().signal, or node:test's t.signal), ` +
        `not ${shown(signal)}`,
    );
  }
  if (modelServer !== undefined && typeof modelServer !== "boolean") {
    problems.push(`modelServer must be true or false, not ${shown(modelServer)}`);
  }
  return problems;
}

/** An AbortSignal of any realm (a Jest test file's context has its own). */
function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    "aborted" in value &&
    typeof value.aborted === "boolean" &&
    "addEventListener" in value &&
    typeof value.addEventListener === "function" &&
    "throwIfAborted" in value &&
    typeof value.throwIfAborted === "function"
  );
}

/** Why `port` cannot be listened on at the servers' host, or undefined when it can. */
function portRefusal(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === "EADDRINUSE"
          ? "another process holds it"
          : `it cannot be listened on (${error.code ?? error.message})`,
      );
    });
    probe.listen(port, SERVER_HOST, () => {
      probe.close(() => {
        resolve(undefined);
      });
    });
  });
}

/**
 * The fixed ports asked for (`ports`) that are no port, or that another process holds: found
 * before any server starts, and named by option, where the server would name the variable it
 * reads (MOCK_AUTH0_PORT), which a testkit user never sets. A port taken in the instant between
 * this check and the server's start still fails, in the server's words.
 */
export async function portProblems(
  ports: Partial<Record<"mockAuth0" | "shopApi" | "modelServer", number>> = {},
): Promise<string[]> {
  // Each port probed once: two probes of one port at once would see each other's listen.
  const probes = new Map<number, Promise<string | undefined>>();
  const probe = (port: number) => {
    const refusal = probes.get(port) ?? portRefusal(port);
    probes.set(port, refusal);
    return refusal;
  };
  const problems = await Promise.all(
    Object.entries(ports).map(async ([name, port]) => {
      if (port === 0) return undefined;
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        return `ports.${name} must be a whole number from 0 to 65535 (0: a free port), not ${shown(port)}`;
      }
      const refusal = await probe(port);
      return refusal === undefined
        ? undefined
        : `ports.${name} is ${String(port)}, and ${refusal}: choose another, or leave ports.${name} out for a free one`;
    }),
  );
  // One port asked of two servers: the second's start would blame "another process".
  const byPort = new Map<unknown, string[]>();
  for (const [name, port] of Object.entries(ports)) {
    if (port !== 0) byPort.set(port, [...(byPort.get(port) ?? []), `ports.${name}`]);
  }
  const shared = [...byPort].flatMap(([port, names]) =>
    names.length < 2
      ? []
      : [`${names.join(" and ")} are both ${shown(port)}: give each server a port of its own`],
  );
  return [...shared, ...problems.filter((problem) => problem !== undefined)];
}

/**
 * The options the running tenant judges: the approver policy (its control API validates it, as
 * it validates the tenant's own), and the person `user` names (one of the tenant's people, or
 * every consent request would get `unknown_user_id`). The policy is in force once this returns
 * no problem.
 */
export async function tenantProblems(
  approver: Approver,
  options: { approver?: ApproverPolicy | ApproverOutcome | undefined; user?: string | undefined },
): Promise<string[]> {
  const problems: string[] = [];
  if (options.approver !== undefined) {
    const policy: ApproverPolicy =
      typeof options.approver === "string" ? { default: options.approver } : options.approver;
    try {
      await approver.setPolicy({ rules: [], ...policy });
    } catch (error) {
      if (!(error instanceof ControlApiError && error.status === 400)) throw error;
      problems.push(`approver: ${error.description}`);
    }
  }
  if (options.user !== undefined) {
    const users = await approver.users();
    if (!users.some((user) => user.user_id === options.user)) {
      const known = users.map(
        (user) => `${user.user_id}${user.push_enrolled ? "" : " (not enrolled in push)"}`,
      );
      problems.push(
        `user: ${JSON.stringify(options.user)} is not one of the tenant's people, so each of ` +
          `its consent requests would be refused (unknown_user_id); they are ` +
          `${known.join(", ")}, or add the person to the users file (the users option)`,
      );
    }
  }
  return problems;
}

/**
 * Whether the running tenant takes `client` (the `client` option) for what the agent does with
 * it: authenticate with its secret and use the CIBA grant. Asked as the agent's first poll
 * would be, with an `auth_req_id` no request has: the tenant authenticates the client, then
 * checks its grant types, and only then the id, so a client it accepts gets `invalid_grant`
 * and nothing else happens (no consent request, no refusal in the control API's list). Found
 * here, a wrong secret or application fails `startTestbed`, instead of the first consent
 * request of the first test.
 */
export async function clientProblems(
  issuer: string,
  ca: string,
  client: { id: string; secret: string } | undefined,
): Promise<string[]> {
  if (client === undefined) return [];
  const named = JSON.stringify(client.id);
  if (typeof client.id !== "string" || client.id === "" || typeof client.secret !== "string") {
    return [`client must be { id, secret }, two strings, the application's Client ID and secret`];
  }
  const answer = await httpsJson(new URL("oauth/token", issuer), {
    method: "POST",
    ca,
    json: {
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: "startTestbed-client-check",
      client_id: client.id,
      client_secret: client.secret,
    },
  });
  const { error, error_description: description } = (answer.body ?? {}) as {
    error?: unknown;
    error_description?: unknown;
  };
  const said = `${String(answer.status)} ${String(error)} "${String(description)}"`;
  if (answer.status === 401) {
    return [
      `client: the tenant does not take ${named} with that secret (its token endpoint answered ` +
        `${said}), so it would refuse every consent request the agent sends; give an ` +
        `application of the tenant and its secret, or leave client out for the reference ` +
        `tenant's agent (${LOCAL_DEFAULTS.clientId})`,
    ];
  }
  if (error === "unauthorized_client") {
    return [
      `client: ${named} may not use CIBA (the tenant answered ${said}): add ` +
        `${CIBA_GRANT_TYPE} to that application's grant_types, or give another application`,
    ];
  }
  return [];
}
