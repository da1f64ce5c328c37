import type { ConsentRequest, ConsentStatus, TenantRefusal } from "./wire.js";
import type { TestbedErrorCode } from "./testbed-error.js";

/** Every status a consent request may have. */
const STATUSES: readonly ConsentStatus[] = ["pending", "approved", "denied", "expired", "consumed"];

/**
 * Which consent requests a test means; every condition given must hold. Leave a key out to match
 * any value of it: a key given as `undefined` is refused (a misspelt property, an unset variable).
 */
export interface RequestFilter {
  /** One status or several; `waitForRequest` looks for `pending` unless told otherwise. */
  status?: ConsentStatus | ConsentStatus[];
  /** The person, by user id (`sub`). */
  user?: string;
  clientId?: string;
  /** The exact binding message, or a pattern it matches. */
  bindingMessage?: string | RegExp;
  /**
   * Only requests the tenant created at or after this time (a `Date`, milliseconds since the
   * epoch, or an ISO string such as a request's `created_at`), e.g. the start of the test.
   */
  since?: Date | number | string;
  /** Any other check: true or false, at once (a Promise is refused). */
  where?: (request: ConsentRequest) => boolean;
}

/** The filter's keys: a name not here is a typo that would otherwise match every request. */
const FILTER_KEYS = ["status", "user", "clientId", "bindingMessage", "since", "where"] as const;
/** What leaving a key out matches any of. */
const ANY: Record<string, string> = {
  status: "status",
  user: "person",
  clientId: "client",
  bindingMessage: "binding message",
};
/** The keys of `waitForRequest`'s options, its second argument. */
export const WAIT_OPTION_KEYS = [
  "timeoutMs",
  "agent",
  "signal",
  "failOnRefusal",
  "allowMessageMismatch",
] as const;

/** A value as a message shows it: strings quoted, so `"4000"` does not read as the number. */
export const shownValue = (value: unknown): string =>
  typeof value === "string"
    ? JSON.stringify(value)
    : typeof value === "function"
      ? "a function"
      : Array.isArray(value)
        ? `[${value.map(shownValue).join(", ")}]`
        : String(value);

/** The name among `known` that `name` misspells (case, `_`, `-`), if any. */
export function meantName(name: string, known: readonly string[]): string | undefined {
  const plain = (text: string) => text.toLowerCase().replace(/[_-]/g, "");
  return known.find((option) => plain(option) === plain(name));
}

/**
 * What is wrong with a filter as the caller wrote it (from JavaScript no type check catches a
 * typo, and a key the filter does not know would match every request): each problem names the
 * key and the fix. `call` names the method, e.g. `requests`.
 */
export function filterProblems(filter: unknown, call: string): string[] {
  if (filter === undefined) return [];
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
    return [
      `the filter must be an object such as { user: testbed.user }, not ${shownValue(filter)}`,
    ];
  }
  const given = filter as Record<string, unknown>;
  const problems: string[] = [];
  const waitKeys = Object.keys(given).filter((key) =>
    (WAIT_OPTION_KEYS as readonly string[]).includes(key),
  );
  for (const key of Object.keys(given)) {
    if ((FILTER_KEYS as readonly string[]).includes(key) || waitKeys.includes(key)) continue;
    const meant = meantName(key, FILTER_KEYS);
    problems.push(
      `${key} is no filter key: ` +
        (meant === undefined
          ? `a filter takes ${FILTER_KEYS.join(", ")}`
          : `did you mean ${meant}?`),
    );
  }
  if (waitKeys.length > 0) {
    problems.push(
      `${waitKeys.join(" and ")} ${waitKeys.length === 1 ? "is an option" : "are options"} of ` +
        `waitForRequest, not filter keys: give ${waitKeys.length === 1 ? "it" : "them"} as its ` +
        `second argument, ${call === "waitForRequest" ? "" : "to waitForRequest "}` +
        `(filter, { ${waitKeys.join(", ")} })`,
    );
  }
  // A key given as undefined (a misspelt `testbed.usr`, an unset environment variable) would
  // match any value of it, and for waitForRequest's status, overwrite its `pending`.
  for (const key of FILTER_KEYS) {
    if (Object.hasOwn(given, key) && given[key] === undefined) {
      problems.push(
        `${key} is undefined: leave ${key} out to ${
          key === "status" && call === "waitForRequest"
            ? "wait for a pending request"
            : key === "where" || key === "since"
              ? "match every request"
              : `match any ${ANY[key]}`
        }, or give the value you meant (a misspelt property, an unset environment variable?)`,
      );
    }
  }
  const { status, user, clientId, bindingMessage, since, where } = given;
  if (status !== undefined) {
    const statuses: unknown[] = Array.isArray(status) ? status : [status];
    const unknown = statuses.filter((one) => !(STATUSES as readonly unknown[]).includes(one));
    if (unknown.length > 0 || statuses.length === 0) {
      problems.push(
        `status must be one of ${STATUSES.join(", ")}, or a list of them, not ${shownValue(status)}`,
      );
    }
  }
  for (const [key, value] of [
    ["user", user],
    ["clientId", clientId],
  ] as const) {
    if (value !== undefined && typeof value !== "string") {
      problems.push(`${key} must be a string, not ${shownValue(value)}`);
    }
  }
  if (
    bindingMessage !== undefined &&
    typeof bindingMessage !== "string" &&
    !(bindingMessage instanceof RegExp)
  ) {
    problems.push(`bindingMessage must be a string or a RegExp, not ${shownValue(bindingMessage)}`);
  }
  if (since !== undefined) {
    const time =
      since instanceof Date || typeof since === "number" || typeof since === "string"
        ? new Date(since).getTime()
        : Number.NaN;
    if (Number.isNaN(time)) {
      problems.push(
        `since must be a Date, a time in ms or an ISO string, not ${shownValue(since)}`,
      );
    }
  }
  if (where !== undefined && typeof where !== "function") {
    problems.push(`where must be a function of the request, not ${shownValue(where)}`);
  }
  return problems;
}

/** Throws, naming every problem, when the filter is not one `call` can use. */
export function checkFilter(filter: unknown, call: string): void {
  const problems = filterProblems(filter, call);
  if (problems.length > 0) throw new RequestFilterError(call, "filter", problems);
}

/**
 * Marks a RequestFilterError of any copy of the testkit: the package's ESM and CommonJS builds
 * each define the class, and a test that imports one may meet an error thrown by the other.
 */
const FILTER_ERROR = Symbol.for("@ciba-testbed/testkit:RequestFilterError");

/** A filter or options a call refused: each problem names its key and the fix. */
export class RequestFilterError extends TypeError {
  readonly [FILTER_ERROR] = true;
  /** Stable, as `TestbedError`'s codes are. */
  readonly code = "TESTBED_INVALID_ARGUMENTS" satisfies TestbedErrorCode;

  constructor(
    call: string,
    what: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${call} ${what}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "RequestFilterError";
  }

  /**
   * `instanceof` holds for the error of either build (ESM or CommonJS), not of this one only. A
   * subclass inherits this method: for it, `instanceof` is the ordinary prototype check, so that
   * an error of this class is no instance of a subclass.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== RequestFilterError)
      return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[FILTER_ERROR] === true
    );
  }
}

/** `since` in milliseconds since the epoch; a value that is no time is an error, not "always". */
export function sinceMs(since: Date | number | string): number {
  const ms = new Date(since).getTime();
  if (Number.isNaN(ms)) {
    throw new TypeError(
      `since must be a Date, a time in ms or an ISO string, not ${String(since)}`,
    );
  }
  return ms;
}

/**
 * Whether `text` is the exact string or matches the pattern. A global or sticky pattern
 * (`/XYZ/g`) keeps a `lastIndex` between two `test` calls and would skip every other match: it
 * is tested as the same pattern without those flags.
 */
function sameOrMatches(expected: string | RegExp, text: string): boolean {
  if (typeof expected === "string") return text === expected;
  const stateful = expected.global || expected.sticky;
  return (
    stateful ? new RegExp(expected.source, expected.flags.replace(/[gy]/g, "")) : expected
  ).test(text);
}

export function matches(request: ConsentRequest, filter: RequestFilter): boolean {
  const { status, user, clientId, bindingMessage, since, where } = filter;
  if (status !== undefined && ![status].flat().includes(request.status)) return false;
  if (user !== undefined && request.user !== user) return false;
  if (clientId !== undefined && request.client_id !== clientId) return false;
  if (bindingMessage !== undefined && !sameOrMatches(bindingMessage, request.binding_message))
    return false;
  if (since !== undefined && Date.parse(request.created_at) < sinceMs(since)) return false;
  if (where === undefined) return true;
  const answer: unknown = where(request);
  if (typeof answer !== "boolean") {
    throw new TypeError(
      `where must return true or false, not ${
        answer instanceof Promise ||
        typeof (answer as { then?: unknown } | null)?.then === "function"
          ? "a Promise (an async function): where is asked of each request and answers at once"
          : shownValue(answer)
      }`,
    );
  }
  return answer;
}

export const describeFilter = (filter: RequestFilter) =>
  JSON.stringify(filter, (_key, value: unknown) =>
    value instanceof RegExp ? String(value) : typeof value === "function" ? "<where>" : value,
  );

/**
 * Whether a refused `/bc-authorize` may have been the request a filter waits for: its user,
 * client and binding message match the filter's, or the refusal could not tell them (a rate
 * limit that answered before the body was read). Status, `since` and `where` are the request's.
 */
export function mayBeRefusalOf(refusal: TenantRefusal, filter: RequestFilter): boolean {
  const { user, clientId, bindingMessage } = filter;
  const unknownOr = (value: string | null, test: (value: string) => boolean) =>
    value === null || test(value);
  return (
    (user === undefined || unknownOr(refusal.user, (value) => value === user)) &&
    (clientId === undefined || unknownOr(refusal.client_id, (value) => value === clientId)) &&
    (bindingMessage === undefined ||
      unknownOr(refusal.binding_message, (value) => sameOrMatches(bindingMessage, value)))
  );
}

/** One refusal as a person reads it: the answer, then whom the request was for. */
export function describeRefusal(refusal: TenantRefusal): string {
  const about = [
    refusal.user === null ? undefined : `user ${refusal.user}`,
    refusal.client_id === null ? undefined : `client ${refusal.client_id}`,
    refusal.audience === null ? undefined : `audience ${refusal.audience}`,
    refusal.binding_message === null ? undefined : `binding message "${refusal.binding_message}"`,
  ].filter((part) => part !== undefined);
  return (
    `${refusal.status} ${refusal.error} "${refusal.error_description}"` +
    (about.length === 0 ? "" : ` (${about.join(", ")})`) +
    ` at ${refusal.at}`
  );
}
