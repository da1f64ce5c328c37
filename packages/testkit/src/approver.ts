import { request as httpsRequest } from "node:https";
import { performance as realClock } from "node:perf_hooks";
import * as timers from "node:timers";

import { classifyNetworkError } from "@ciba-testbed/shared/node";

import { httpsJson } from "./https-json.js";
import { TestbedError } from "./testbed-error.js";
import type { TestbedErrorCode } from "./testbed-error.js";
import { RequestFilterError, checkFilter, matches, shownValue } from "./request-filter.js";
import { RequestClaims } from "./request-claims.js";
import type { RequestFilter } from "./request-filter.js";
import { waitForAgent } from "./wait-for-agent.js";
import type { AgentWaitOptions } from "./wait-for-agent.js";
import { waitForRequest } from "./wait-for-request.js";
import type { WaitOptions } from "./wait-for-request.js";
import type {
  ApproverPolicy,
  ConsentEvent,
  ConsentRequest,
  TenantRefusal,
  TenantUser,
} from "./wire.js";

/** The simulated person behind the tenant: what a test approves, denies, expires and asks. */
export interface Approver {
  /** Every consent request the tenant holds that matches, oldest first. */
  requests(filter?: RequestFilter): Promise<ConsentRequest[]>;
  /** One request with its timeline: created, every poll and its answer, the decision. */
  request(authReqId: string): Promise<ConsentRequest & { timeline: ConsentEvent[] }>;
  /**
   * The oldest matching request (pending by default) once there is one, that no earlier call
   * has handed out: each request is handed out once, so a test never gets a request an earlier
   * test waited for and left undecided, and two tests waiting at once get one each. Fails
   * before its timeout when no such request can come: the tenant refused the agent's
   * `/bc-authorize`, or the agent (`options.agent`) failed or finished first. A wait given an
   * agent that fails ends that agent's child process, when its run carries one, and expires
   * what the agent asks later that matches the filter, so no later test approves it. A request
   * whose binding message does not name what its `authorization_details` authorize (the
   * tenant's `message_mismatch`) fails the wait with the tenant's sentence, and is expired,
   * unless `options.allowMessageMismatch` is true.
   */
  waitForRequest(filter?: RequestFilter, options?: WaitOptions): Promise<ConsentRequest>;
  /**
   * Waits for the agent's run (the promise of its child process or function) and resolves or
   * rejects as it does; when it has not finished within `timeoutMs` (15 s unless given), fails
   * saying how it polled `authReqId` meanwhile: too fast for the tenant (`slow_down` after
   * `slow_down`), not since the person answered, or never.
   */
  waitForAgent<T>(agent: PromiseLike<T>, authReqId: string, options?: AgentWaitOptions): Promise<T>;
  /** The `/bc-authorize` calls the tenant refused lately (its newest 100), newest first. */
  refusals(): Promise<TenantRefusal[]>;
  /** The person approves: the agent's next poll gets its tokens. */
  approve(authReqId: string): Promise<ConsentRequest>;
  /** The person denies: the agent's next poll gets `access_denied`. */
  deny(authReqId: string): Promise<ConsentRequest>;
  /**
   * The tenant ends the request now, as it ends one nobody answered: the agent's next poll
   * gets Auth0's answer for expiry, `access_denied`, which is its answer for a denial too, so a
   * quickstart agent reports a denial (`AccessDeniedInterrupt`). For the agent's own timeout
   * (`AuthorizationRequestExpiredInterrupt`), let nobody answer: the `ignore` outcome and a
   * short `requestedExpiry`.
   */
  expire(authReqId: string): Promise<ConsentRequest>;
  /**
   * Expires every pending request that matches (all by default) and resolves with them: what an
   * earlier test left undecided ends, and its agent gets the tenant's expiry answer. For
   * `afterEach`.
   */
  expirePending(filter?: Omit<RequestFilter, "status">): Promise<ConsentRequest[]>;
  /** The tenant's people: whom a `login_hint` may name. */
  users(): Promise<TenantUser[]>;
  /** Replaces the rules and default outcome for requests that come in from now on. */
  setPolicy(policy: ApproverPolicy): Promise<ApproverPolicy>;
  policy(): Promise<ApproverPolicy>;
}

interface RequestPage {
  requests: ConsentRequest[];
  next_cursor: string | null;
}

/** How the approver reaches the tenant, and the time it waits by. */
export interface ControlApiOptions {
  /** The tenant's issuer, `https://localhost:<port>/`. */
  issuer: string;
  /** The tenant's CA certificate (PEM), trusted for these calls only. */
  caPem: string;
  /** Where that certificate is: a wait's failure names it when the agent trusts another. */
  caCertPath?: string;
  controlToken?: string | undefined;
  /**
   * The time in ms, for timeouts; Node's monotonic clock unless given. Neither it nor the timer
   * below is the global one that `vi.useFakeTimers()` replaces: with fake timers, a wait never
   * ended nor timed out, and the test failed at Vitest's own timeout without a word of why.
   */
  now?: () => number;
  /** Waits between two looks at the tenant; a timer unless given. */
  delay?: (ms: number) => Promise<void>;
  /** The wall clock in ms, as the tenant's `created_at`; this process's real one unless given. */
  wallNow?: () => number;
  /** The error to throw for a call that reached no tenant (e.g. "mock-auth0 exited ..."). */
  unreachable?: (error: unknown) => Promise<unknown>;
}

/**
 * The control API's refusal of a call, with its HTTP status and its description, and the
 * testkit's stable code for it: a request the tenant does not have, one no longer pending, or
 * another refusal.
 */
export class ControlApiError extends TestbedError {
  constructor(
    readonly status: number,
    readonly description: string,
    message: string,
    code: TestbedErrorCode = "TESTBED_TENANT_REFUSED",
  ) {
    super(code, message);
    this.name = "ControlApiError";
  }
}

/** What a call about one request may be: what the message names it by. */
type RequestCall = "approve" | "deny" | "expire" | "request";

/**
 * The id a call about one request was given, when it is no id: the request itself (`approve(
 * request)`, from JavaScript) was sent as `[object Object]`, which the tenant answered with 404
 * for a request it does not have.
 */
function checkAuthReqId(call: RequestCall, authReqId: unknown): asserts authReqId is string {
  if (typeof authReqId === "string" && authReqId !== "") return;
  const given =
    typeof authReqId === "object" && authReqId !== null && "auth_req_id" in authReqId
      ? "the request itself"
      : authReqId === ""
        ? "an empty string"
        : shownValue(authReqId);
  throw new RequestFilterError(call, "argument", [
    `authReqId must be the request's auth_req_id, a string, not ${given}: ` +
      `${call}(request.auth_req_id), with the request waitForRequest or requests() gave`,
  ]);
}

/**
 * The tenant's refusal of a call about one request, with what to do: a request it does not
 * have (404) was never this tenant's or came from another testbed, one no longer pending (409)
 * was decided or expired before (by an approver policy, another call, its own expiry).
 */
function requestRefusal(call: RequestCall, authReqId: string, error: unknown): unknown {
  if (!(error instanceof ControlApiError)) return error;
  const named = `approver.${call}(${JSON.stringify(authReqId)})`;
  if (error.status === 404) {
    return new ControlApiError(
      error.status,
      error.description,
      `${named}: the tenant has no consent request ${authReqId} (${error.description}): pass ` +
        "the auth_req_id of a request this testbed's tenant holds, as waitForRequest or " +
        "requests() give it; a request of another testbed, or of one started before, is not " +
        "this tenant's",
      "TESTBED_NO_SUCH_REQUEST",
    );
  }
  if (error.status === 409) {
    return new ControlApiError(
      error.status,
      error.description,
      `${named}: ${error.description}. It was decided or expired before this call: by an ` +
        "approver policy that decides at once (startTestbed's approver option, setPolicy), an " +
        "earlier call, or its own expiry; approver.request(id) shows its timeline, and a test " +
        "that decides a request itself keeps the approver on manual",
      "TESTBED_REQUEST_NOT_PENDING",
    );
  }
  return error;
}

/**
 * Node's own `setTimeout`, taken when this module loads: fake timers replace the global one
 * (Vitest's, Jest's), and node:test's `mock.timers` replaces `node:timers`' own property too, which
 * a call read at each wait would find (the CommonJS build's, or any build loaded after they were
 * enabled).
 */
const realSetTimeout = timers.setTimeout;

const realDelay = (ms: number) =>
  new Promise<void>((resolve) => {
    realSetTimeout(resolve, ms);
  });
const realNow = () => realClock.now();
const realWallNow = () => realClock.timeOrigin + realClock.now();

/** How often the requests failed waits claim are looked for while no wait looks. */
const SWEEP_MS = 100;

/** Near misses a timeout names of each kind, newest first, at most. */
const NAMED_NEAR_MISSES = 3;

/** The approver over mock-auth0's control API (`/approver/api/...`), trusting the tenant's CA. */
export function controlApiApprover(options: ControlApiOptions): Approver {
  const {
    issuer,
    caPem,
    controlToken,
    now = realNow,
    delay = realDelay,
    wallNow = realWallNow,
  } = options;
  const unreachable = options.unreachable ?? ((error: unknown) => Promise.resolve(error));
  /** What `waitForRequest` has handed out: never again. */
  const handedOut = new Set<string>();
  /** What the waits that failed with their agent running claim: expired as it arrives. */
  const claims = new RequestClaims({ now, wallNow });
  const call = async <T>(method: string, path: string, json?: unknown): Promise<T> => {
    const answer = await httpsJson(new URL(path, issuer), {
      method,
      ca: caPem,
      json,
      ...(controlToken === undefined
        ? {}
        : { headers: { authorization: `Bearer ${controlToken}` } }),
    }).catch(async (error: unknown) => {
      throw await unreachable(error);
    });
    if (answer.status >= 400) {
      const body = answer.body as { error_description?: string };
      const description = body.error_description ?? JSON.stringify(body);
      throw new ControlApiError(
        answer.status,
        description,
        `${method} ${path}: ${answer.status} ${description}`,
      );
    }
    return answer.body as T;
  };
  const id = (authReqId: string) => encodeURIComponent(authReqId);
  /** A call about one request: its id checked, and a refusal that names what to do. */
  const aboutRequest = async <T>(
    which: RequestCall,
    authReqId: unknown,
    method: string,
    action = "",
  ): Promise<T> => {
    checkAuthReqId(which, authReqId);
    try {
      return await call<T>(method, `approver/api/requests/${id(authReqId)}${action}`);
    } catch (error) {
      throw requestRefusal(which, authReqId, error);
    }
  };

  const requests = async (filter: RequestFilter = {}, caller = "requests") => {
    checkFilter(filter, caller);
    const all: ConsentRequest[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: "1000" });
      if (cursor !== null) query.set("cursor", cursor);
      const page: RequestPage = await call("GET", `approver/api/requests?${query.toString()}`);
      all.push(...page.requests);
      cursor = page.next_cursor;
    } while (cursor !== null);
    // The API pages newest first.
    return all.reverse().filter((request) => matches(request, filter));
  };

  /**
   * For a timeout: the requests that match but were handed out already, match but for their
   * status (an approver policy that decided at once, a request answered before the wait began,
   * another test's), or are waited for but for one of the filter's user, client or binding
   * message (an agent that words its message otherwise, or asks for another person).
   */
  const nearMisses = async (
    wanted: RequestFilter,
    before: ReadonlyMap<string, string>,
  ): Promise<string> => {
    const all = await requests();
    const close = (filter: RequestFilter) =>
      all.filter((request) => matches(request, filter) && !matches(request, wanted));
    const named = (found: readonly ConsentRequest[], say: (request: ConsentRequest) => string) =>
      found
        .slice(-NAMED_NEAR_MISSES)
        .reverse()
        .map(
          (request) =>
            `${request.auth_req_id} ${say(request)}${before.has(request.auth_req_id) ? ", there before the wait began" : ""}`,
        )
        .join(", ") +
      (found.length > NAMED_NEAR_MISSES ? `, and ${found.length - NAMED_NEAR_MISSES} more` : "");
    let said = "";
    const taken = all.filter(
      (request) => handedOut.has(request.auth_req_id) && matches(request, wanted),
    );
    if (taken.length > 0) {
      const which = taken.map((r) => `${r.auth_req_id} "${r.binding_message}" (${r.status})`);
      said +=
        `; ${taken.length} match but an earlier waitForRequest had them already, and each ` +
        `request is handed out once: ${which.join(", ")}`;
    }
    const { status, ...anyStatus } = wanted;
    const anyOtherStatus = status === undefined ? [] : close(anyStatus);
    // Expired by the testkit as they arrived: an earlier wait failed while its agent could ask.
    const claimed = anyOtherStatus.filter((request) => claims.expired.has(request.auth_req_id));
    if (claimed.length > 0) {
      said +=
        `; ${claimed.length} match but the testkit expired them as they arrived: each matched ` +
        "the filter of an earlier wait that failed while its agent ran on (its test's agent may " +
        "have asked for it; when this test's agent asked at the same time, wait in a test after " +
        "that agent has ended): " +
        named(
          claimed,
          (request) =>
            `"${request.binding_message}" (claimed by ${claims.expired.get(request.auth_req_id) ?? "?"})`,
        );
    }
    // Handed out by an earlier wait and decided since: the test that wait returned to decided it.
    const takenAndDecided = anyOtherStatus.filter(
      (request) => handedOut.has(request.auth_req_id) && !claims.expired.has(request.auth_req_id),
    );
    if (takenAndDecided.length > 0) {
      said +=
        `; ${takenAndDecided.length} match but an earlier waitForRequest had them, and they ` +
        "were decided since by the test it returned to (a wait from an earlier test that " +
        "outlived it, one Vitest stopped at its timeout: pass the test's signal as { signal })" +
        ": " +
        named(takenAndDecided, (request) => `"${request.binding_message}" (${request.status})`);
    }
    const otherStatus = anyOtherStatus.filter(
      (request) => !claims.expired.has(request.auth_req_id) && !handedOut.has(request.auth_req_id),
    );
    if (otherStatus.length > 0) {
      const statuses = [...new Set(otherStatus.map((request) => request.status))].join(", ");
      // Decided before the wait began: each had the status it has now at the wait's first look.
      const hint = otherStatus.every(
        (request) => before.get(request.auth_req_id) === request.status,
      )
        ? "decided before the wait began: at once by an approver policy, or another test's request, which a filter with since leaves out"
        : "an approver policy that decides at once?";
      said +=
        `; ${otherStatus.length} match but for the status: ${statuses} (${hint}): ` +
        named(otherStatus, (request) => `"${request.binding_message}" (${request.status})`);
    }
    const fields = [
      ["user", "user", (request: ConsentRequest) => `for ${request.user}`],
      ["clientId", "client", (request: ConsentRequest) => `from ${request.client_id}`],
      ["bindingMessage", "binding message", () => ""],
    ] as const;
    for (const [field, name, whose] of fields) {
      if (wanted[field] === undefined) continue;
      const loosened: RequestFilter = { ...wanted, [field]: undefined };
      // With nothing else left to tell requests apart, every pending request of the testbed
      // (other tests', other people's) would differ from the filter in that field: only those
      // made during the wait are named.
      const telling = (["user", "clientId", "bindingMessage", "since", "where"] as const).some(
        (name) => loosened[name] !== undefined,
      );
      const found = close(loosened).filter(
        (request) =>
          !handedOut.has(request.auth_req_id) && (telling || !before.has(request.auth_req_id)),
      );
      if (found.length === 0) continue;
      said +=
        `; ${found.length} match but for the ${name}: ` +
        named(found, (request) =>
          [whose(request), `"${request.binding_message}" (${request.status})`]
            .filter((part) => part !== "")
            .join(" "),
        );
    }
    return said;
  };

  const refusals = async (afterSeq = 0) =>
    (
      await call<{ refusals: TenantRefusal[] }>(
        "GET",
        `approver/api/refusals?after=${String(afterSeq)}`,
      )
    ).refusals;

  const oneRequest = (authReqId: string) =>
    aboutRequest<ConsentRequest & { timeline: ConsentEvent[] }>("request", authReqId, "GET");

  /**
   * Why this process does not trust the tenant's certificate (the error's code), or undefined:
   * a HEAD of the issuer's discovery document with this process's own CAs, as an agent in it
   * would reach the tenant.
   */
  const untrustedHere = () =>
    new Promise<string | undefined>((resolve) => {
      const asked = httpsRequest(
        new URL(".well-known/openid-configuration", issuer),
        { method: "HEAD", agent: false, timeout: 5_000 },
        (answer) => {
          answer.resume();
          resolve(undefined);
        },
      );
      asked.on("timeout", () => asked.destroy());
      asked.on("error", (error: NodeJS.ErrnoException) => {
        const untrusted = classifyNetworkError(error)?.failure === "tls_untrusted";
        resolve(untrusted ? (error.code ?? error.message) : undefined);
      });
      asked.end();
    });

  const expire = (authReqId: string) =>
    aboutRequest<ConsentRequest>("expire", authReqId, "POST", "/expire");

  /** Expires what failed waits claim among `all`, and returns `all` as it now is. */
  const sweep = async (all: ConsentRequest[]): Promise<ConsentRequest[]> => {
    const swept: ConsentRequest[] = [];
    for (const request of all) {
      const claimedBy = handedOut.has(request.auth_req_id) ? undefined : claims.claimOf(request);
      if (claimedBy === undefined) {
        swept.push(request);
        continue;
      }
      claims.expired.set(request.auth_req_id, claimedBy);
      swept.push(
        await expire(request.auth_req_id).catch((error: unknown) => {
          // Decided meanwhile (409), or expired by another look: as it is now.
          if (error instanceof ControlApiError && error.status === 409) {
            return oneRequest(request.auth_req_id);
          }
          throw error;
        }),
      );
    }
    return swept;
  };

  /**
   * While a claim holds, its requests are expired as they arrive even when no wait looks (a
   * test that lists requests and approves one itself): a timer that keeps no process alive,
   * ending with the claims or with the tenant.
   */
  let sweeping = false;
  const keepSweeping = () => {
    if (sweeping || !claims.active) return;
    sweeping = true;
    const next = () => {
      if (!claims.active) {
        sweeping = false;
        return;
      }
      realSetTimeout(() => {
        requests()
          .then(sweep)
          .then(next, () => {
            // The tenant is gone (the testbed stopped): nothing left to approve.
            sweeping = false;
          });
      }, SWEEP_MS).unref();
    };
    next();
  };

  return {
    requests,
    request: oneRequest,
    waitForRequest: (filter = {}, waitOptions = {}) =>
      waitForRequest(
        {
          requests,
          refusals,
          handedOut,
          nearMisses,
          claims,
          sweep,
          now,
          delay,
          untrustedHere,
          caCertPath: options.caCertPath,
          caPem,
          expire: (authReqId) =>
            expire(authReqId).catch((error: unknown) => {
              // Decided or expired meanwhile (409): no longer pending, which is what was asked.
              if (!(error instanceof ControlApiError && error.status === 409)) throw error;
            }),
        },
        filter,
        waitOptions,
      ).finally(keepSweeping),
    waitForAgent: (agent, authReqId, agentOptions) =>
      waitForAgent({ request: oneRequest, now, delay }, agent, authReqId, agentOptions),
    refusals: () => refusals(),
    approve: (authReqId) => aboutRequest("approve", authReqId, "POST", "/approve"),
    deny: (authReqId) => aboutRequest("deny", authReqId, "POST", "/deny"),
    expire,
    async expirePending(filter = {}) {
      if (typeof filter === "object" && "status" in filter) {
        throw new RequestFilterError("expirePending", "filter", [
          "status is no key of expirePending's filter: it expires pending requests only",
        ]);
      }
      checkFilter(filter, "expirePending");
      const expired: ConsentRequest[] = [];
      for (const request of await requests({ ...filter, status: "pending" }, "expirePending")) {
        try {
          expired.push(await expire(request.auth_req_id));
        } catch (error) {
          // Answered or expired meanwhile (409): no longer pending, which is what was asked.
          if (!(error instanceof ControlApiError && error.status === 409)) throw error;
        }
      }
      return expired;
    },
    users: async () => (await call<{ users: TenantUser[] }>("GET", "approver/api/users")).users,
    setPolicy: (policy) => call("PUT", "approver/api/policy", policy),
    policy: () => call("GET", "approver/api/policy"),
  };
}
