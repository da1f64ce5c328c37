import { types } from "node:util";

import { classifyNetworkError } from "@ciba-testbed/shared/node";

import {
  RequestFilterError,
  WAIT_OPTION_KEYS,
  checkFilter,
  describeFilter,
  meantName,
  shownValue,
  describeRefusal,
  matches,
  mayBeRefusalOf,
  sinceMs,
} from "./request-filter.js";
import type { RequestFilter } from "./request-filter.js";
import { CLAIM_MAX_MS, childOf } from "./request-claims.js";
import type { RequestClaims } from "./request-claims.js";
import { untrustedFix } from "./untrusted-ca.js";
import type { ConsentRequest, TenantRefusal } from "./wire.js";
import { TestbedError } from "./testbed-error.js";

/** The tenant's CA, as a wait knows it. */
type TenantCa = Pick<WaitDeps, "caCertPath" | "caPem">;

export interface WaitOptions {
  /** How long to wait before failing; 15 s unless given (Vitest's own test timeout is 5 s). */
  timeoutMs?: number;
  /**
   * The agent's run, e.g. the promise of its child process: when it fails first, the wait fails
   * at once with its error (as `cause`); when it finishes without the request, with what it
   * returned. When the wait fails, the agent is its failed test's: a child process the run
   * carries (`promisify(execFile)`'s `child`, one a wrapper attached as `child`, execa's) is
   * ended, and what the agent still asks
   * that matches the filter is expired as it arrives (`RequestClaims`).
   */
  agent?: PromiseLike<unknown>;
  /** Ends the wait when aborted, with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Whether a `/bc-authorize` the tenant refuses while waiting fails the wait at once, when it
   * may have been the request waited for (same user, client and binding message, or a refusal
   * that names none, such as a tenant-wide rate limit); `true` unless `false`, for a test that
   * expects its agent to try again.
   */
  failOnRefusal?: boolean;
  /**
   * Whether the wait may hand out a request whose binding message does not name what its
   * `authorization_details` authorize (the tenant's `message_mismatch`): `false` unless `true`,
   * so such a request fails the wait with the tenant's sentence (the person would approve one
   * purchase while the token buys another), and is expired. `true` for a test that expects it.
   */
  allowMessageMismatch?: boolean;
}

/** What a wait reads and how it keeps time. */
export interface WaitDeps {
  /** The matching requests, oldest first; every request for `{}`. */
  requests(filter: RequestFilter): Promise<ConsentRequest[]>;
  /** The tenant's refused `/bc-authorize` calls after `afterSeq`, newest first. */
  refusals(afterSeq: number): Promise<TenantRefusal[]>;
  /** The requests handed out already, never again; the wait adds the one it returns. */
  handedOut: Set<string>;
  /**
   * For a timeout: what came close to `wanted` (handed out, another status, another user,
   * client or binding message); `before` holds the requests there when the wait began, with
   * their status then.
   */
  nearMisses(wanted: RequestFilter, before: ReadonlyMap<string, string>): Promise<string>;
  /** What failed waits claim: a wait that fails with an agent adds its claim. */
  claims: RequestClaims;
  /**
   * Expires the pending requests of `all` that a failed wait claims (and no wait had), and
   * returns `all` with each as it now is.
   */
  sweep(all: ConsentRequest[]): Promise<ConsentRequest[]>;
  now(): number;
  delay(ms: number): Promise<void>;
  /**
   * Why this process does not trust the tenant's certificate (its error code), or undefined
   * when it does: for an agent in this process that finished, having met `fetch failed`.
   */
  untrustedHere?(): Promise<string | undefined>;
  /** The tenant's CA file (testbed.caCertPath), named when the agent trusts another. */
  caCertPath?: string | undefined;
  /** The tenant's CA (PEM): what the file the agent trusts is to hold. */
  caPem?: string | undefined;
  /**
   * Ends a request the wait refuses to hand out (its binding message disagrees with its
   * authorization_details), so that no test approves it; resolves once it is no longer pending.
   */
  expire(authReqId: string): Promise<unknown>;
}

/** How often a wait looks at the tenant. */
const STEP_MS = 50;
/** Refusals a message names, at most. */
const NAMED_REFUSALS = 5;

const listRefusals = (refusals: readonly TenantRefusal[]) =>
  refusals.slice(0, NAMED_REFUSALS).map(describeRefusal).join("; ") +
  (refusals.length > NAMED_REFUSALS ? `; and ${refusals.length - NAMED_REFUSALS} more` : "");

/** The agent's outcome, once it has one. */
type AgentState = { settled: false } | { settled: true; failed: boolean; value: unknown };

function shortJson(value: unknown): string {
  let text: string | undefined;
  try {
    // undefined for undefined and functions, whatever its type says.
    text = JSON.stringify(value);
  } catch {
    // A cycle or a BigInt: the plain text form below.
  }
  text ??= String(value);
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

/**
 * The agent's error as one line of text: its message, then its causes' ("fetch failed" says
 * nothing of what failed), and the fix when a cause is a certificate Node did not trust.
 */
function errorText(error: unknown, ca: TenantCa): string {
  if (!isError(error)) return shortJson(error);
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 5 && isError(cause); depth++, cause = cause.cause) {
    const { code } = cause as NodeJS.ErrnoException;
    const text =
      code === undefined || cause.message.includes(code)
        ? cause.message
        : `${code}: ${cause.message}`;
    if (!parts.includes(text)) parts.push(text);
  }
  // The project's one sorting of network failures says whether the chain was not trusted.
  const untrusted = classifyNetworkError(error)?.failure === "tls_untrusted";
  return `${parts.join(": ")}${untrusted ? ` (${untrustedFix(ca, process.env.NODE_EXTRA_CA_CERTS)})` : ""}`;
}

/**
 * Looks at the tenant every 50 ms until a request matches that was not handed out before, and
 * hands it out. Fails early, saying why no request will come: a refused `/bc-authorize` that may
 * have been the agent's, the agent's own failure or end, an aborted signal; else after
 * `timeoutMs`, naming what came close and what the tenant refused meanwhile.
 */
/**
 * What is wrong with `waitForRequest`'s options as the caller wrote them: a key it does not take
 * (a filter key given here), a timeout that is no finite time above 0 (NaN and Infinity would
 * wait for ever), an agent that is no promise, a signal that is no AbortSignal.
 */
export function waitOptionProblems(options: unknown): string[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    return [
      `the options must be an object such as { agent, timeoutMs: 20_000 }, not ${shownValue(options)}`,
    ];
  }
  const given = options as Record<string, unknown>;
  const problems = Object.keys(given)
    .filter((key) => !(WAIT_OPTION_KEYS as readonly string[]).includes(key))
    .map((key) => {
      const meant = meantName(key, WAIT_OPTION_KEYS);
      const filterKey = ["status", "user", "clientId", "bindingMessage", "since", "where"].includes(
        key,
      );
      return (
        `${key} is no option of waitForRequest: ` +
        (meant !== undefined
          ? `did you mean ${meant}?`
          : filterKey
            ? "it is a filter key: give it in the filter, the first argument"
            : `its options are ${WAIT_OPTION_KEYS.join(", ")}`)
      );
    });
  const { timeoutMs, agent, signal, failOnRefusal, allowMessageMismatch } = given;
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === "number" && Number.isFinite(timeoutMs) && timeoutMs > 0)
  ) {
    problems.push(
      `timeoutMs must be a finite number of milliseconds above 0, not ${shownValue(timeoutMs)}`,
    );
  }
  if (agent !== undefined && !hasMethod(agent, "then")) {
    problems.push(
      `agent must be the agent's run, a promise (of its child process, or of its function), ` +
        `not ${shownValue(agent)}`,
    );
  }
  if (signal !== undefined && !hasMethod(signal, "addEventListener")) {
    problems.push(`signal must be an AbortSignal, not ${shownValue(signal)}`);
  }
  if (failOnRefusal !== undefined && typeof failOnRefusal !== "boolean") {
    problems.push(`failOnRefusal must be true or false, not ${shownValue(failOnRefusal)}`);
  }
  if (allowMessageMismatch !== undefined && typeof allowMessageMismatch !== "boolean") {
    problems.push(
      `allowMessageMismatch must be true or false, not ${shownValue(allowMessageMismatch)}`,
    );
  }
  return problems;
}

/** Whether `value` is an object with a method `name`. */
const hasMethod = (value: unknown, name: string): boolean =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as Record<string, unknown>)[name] === "function";

export async function waitForRequest(
  deps: WaitDeps,
  filter: RequestFilter,
  options: WaitOptions,
): Promise<ConsentRequest> {
  checkFilter(filter, "waitForRequest");
  const wrongOptions = waitOptionProblems(options);
  if (wrongOptions.length > 0) {
    throw new RequestFilterError("waitForRequest", "options", wrongOptions);
  }
  const {
    timeoutMs = 15_000,
    agent,
    signal,
    failOnRefusal = true,
    allowMessageMismatch = false,
  } = options;
  const wanted: RequestFilter = { status: "pending", ...filter };
  const started = deps.now();
  const since = wanted.since === undefined ? undefined : sinceMs(wanted.since);
  let before: ReadonlyMap<string, string> | undefined;

  const run: { state: AgentState } = { state: { settled: false } };
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  agent?.then(
    (value) => {
      run.state = { settled: true, failed: false, value };
      wake();
    },
    (error: unknown) => {
      run.state = { settled: true, failed: true, value: error };
      wake();
    },
  );
  signal?.addEventListener("abort", wake, { once: true });
  // A wait again for the same agent, in its own test: what that agent asks is this wait's.
  if (agent !== undefined) deps.claims.release(agent);

  // Refusals after the first look count (with `since`, also those from that time on).
  let seenSeq: number | undefined;
  const refusedMeanwhile: TenantRefusal[] = [];
  let refusedBefore: TenantRefusal[] = [];
  const lookAtRefusals = async () => {
    const newest = await deps.refusals(seenSeq ?? 0);
    if (seenSeq === undefined) {
      const counts = (refusal: TenantRefusal) =>
        since !== undefined && Date.parse(refusal.at) >= since;
      refusedMeanwhile.push(...newest.filter(counts));
      // Earlier ones may be another test's: only those that may have been this request's.
      refusedBefore = newest.filter(
        (refusal) => !counts(refusal) && mayBeRefusalOf(refusal, wanted),
      );
    } else {
      refusedMeanwhile.unshift(...newest);
    }
    seenSeq = newest[0]?.seq ?? seenSeq ?? 0;
  };

  /** `why` follows the filter: " within 100 ms", ": the agent failed first ...". */
  const failure = (why: string, cause?: unknown) =>
    new TestbedError(
      "TESTBED_NO_REQUEST",
      `No consent request matching ${describeFilter(wanted)}${why}`,
      ...(cause === undefined ? [] : [{ cause }]),
    );

  try {
    for (;;) {
      if (signal?.aborted) {
        throw failure(`: the wait was aborted (${String(signal.reason)})`, signal.reason);
      }
      // The agent's state as of before this look: a request it made before it ended is found.
      const agentBefore = run.state;
      // Every request, read once a look (the tenant lists them all anyway): those there at the
      // first look are the ones a near miss may say came before the wait.
      const all = await deps.sweep(await deps.requests({}));
      before ??= new Map(all.map((request) => [request.auth_req_id, request.status]));
      const [found] = all.filter(
        (request) => matches(request, wanted) && !deps.handedOut.has(request.auth_req_id),
      );
      if (found !== undefined) {
        deps.handedOut.add(found.auth_req_id);
        if (found.message_mismatch === null || allowMessageMismatch) return found;
        throw await mismatchFailure(deps, found);
      }
      await lookAtRefusals();
      const refusedForIt = refusedMeanwhile.filter((refusal) => mayBeRefusalOf(refusal, wanted));
      if (failOnRefusal && refusedForIt.length > 0) {
        throw failure(`: the tenant refused /bc-authorize: ${listRefusals(refusedForIt)}`);
      }
      const refusedText =
        refusedMeanwhile.length > 0
          ? `; the tenant refused /bc-authorize meanwhile: ${listRefusals(refusedMeanwhile)}`
          : refusedBefore.length > 0
            ? `; the tenant refused /bc-authorize before the wait began: ${listRefusals(refusedBefore)}`
            : "";
      if (agentBefore.settled) {
        // What came close too: with an approver that decides at once, the agent's request is
        // already approved or consumed, which only the near misses say.
        const missed = `${await deps.nearMisses(wanted, before)}${refusedText}`;
        throw agentBefore.failed
          ? failure(
              `: the agent failed first: ${errorText(agentBefore.value, deps)}${missed}`,
              agentBefore.value,
            )
          : failure(
              `: the agent finished first, with ${shortJson(agentBefore.value)}` +
                `${await untrustedNote(deps, agentBefore.value)}${missed}`,
            );
      }
      if (deps.now() - started >= timeoutMs) {
        throw failure(
          ` within ${timeoutMs} ms${await deps.nearMisses(wanted, before)}${refusedText}`,
        );
      }
      await Promise.race([deps.delay(STEP_MS), woken]);
    }
  } catch (error) {
    if (agent === undefined || !(error instanceof Error)) throw error;
    throw await claimFor(deps, wanted, agent, run.state, error);
  } finally {
    signal?.removeEventListener("abort", wake);
  }
}

/**
 * A request the wait found whose binding message disagrees with its authorization_details: the
 * person would approve what the message says while the token authorizes the details. It is
 * expired (the agent's next poll gets access_denied, and no test approves it), and the error
 * gives the tenant's sentence and both sides.
 */
async function mismatchFailure(deps: WaitDeps, found: ConsentRequest): Promise<Error> {
  await deps.expire(found.auth_req_id);
  return new TestbedError(
    "TESTBED_MESSAGE_MISMATCH",
    `Consent request ${found.auth_req_id} asks the person to approve ` +
      `${JSON.stringify(found.binding_message)} for authorization_details ` +
      `${shortJson(found.authorization_details)}: ${found.message_mismatch ?? ""} The testkit ` +
      "expired it. Make the binding message name the product, quantity and limit the details " +
      "authorize; a test that expects this passes { allowMessageMismatch: true } to waitForRequest",
  );
}

/**
 * For an agent that finished first with a network failure in what it returned (`@auth0/ai`
 * reports a tool's `fetch failed` as its result, not a rejection): when this process does not
 * trust the tenant's certificate, that an agent in this process could not reach the tenant,
 * and the fix, as for an agent that failed so.
 */
async function untrustedNote(deps: WaitDeps, value: unknown): Promise<string> {
  if (deps.untrustedHere === undefined || !/fetch failed|certificate/i.test(shortJson(value))) {
    return "";
  }
  const code = await deps.untrustedHere();
  if (code === undefined) return "";
  return (
    `; this process does not trust the tenant's certificate (${code}): if the agent runs in ` +
    `it, ${untrustedFix(deps, process.env.NODE_EXTRA_CA_CERTS)}`
  );
}

/** How long a failed wait waits for the agent it ended with SIGKILL to be gone. */
const KILLED_AGENT_WAIT_MS = 2_000;

/**
 * A wait given an agent failed, and the test with it: the agent is not to buy anything for a
 * later test to approve. A child process the run carries is ended (SIGKILL), and whatever the
 * agent still asks that matches the filter is this wait's, expired as it arrives
 * (`RequestClaims`). The error says so.
 */
async function claimFor(
  deps: WaitDeps,
  wanted: RequestFilter,
  agent: PromiseLike<unknown>,
  state: AgentState,
  error: Error,
): Promise<Error> {
  deps.claims.add(wanted, agent);
  if (state.settled) return error;
  const child = childOf(agent);
  if (child?.kill("SIGKILL") === true) {
    const gone = Promise.resolve(agent).then(
      () => true,
      () => true,
    );
    await Promise.race([gone, deps.delay(KILLED_AGENT_WAIT_MS)]);
    error.message +=
      "; its agent's process was ended (SIGKILL), and a request matching this filter that it " +
      "sent before it ended is expired as it arrives, so that no later test approves it";
  } else {
    error.message +=
      `; until its agent ends (${CLAIM_MAX_MS / 1000} s at most), a request matching this ` +
      "filter is expired as it arrives, so that no later test approves it (a wait for the same " +
      "agent takes it instead)";
  }
  return error;
}

/**
 * An error of any realm: Jest runs a test file in a context of its own, whose `Error` is not the
 * one Node's own errors (fetch's, child_process') are made from, so `instanceof` misses them.
 */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}
