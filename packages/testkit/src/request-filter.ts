import type { ConsentRequest, ConsentStatus, TenantRefusal } from "./wire.js";

/** Which consent requests a test means; every condition given must hold. */
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
  /** Any other check. */
  where?: (request: ConsentRequest) => boolean;
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
  return where === undefined || where(request);
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
