import { httpsJson } from "./https-json.js";
import type { ApproverPolicy, ConsentEvent, ConsentRequest, ConsentStatus } from "./wire.js";

/** Which consent requests a test means; every condition given must hold. */
export interface RequestFilter {
  /** One status or several; `waitForRequest` looks for `pending` unless told otherwise. */
  status?: ConsentStatus | ConsentStatus[];
  /** The person, by user id (`sub`). */
  user?: string;
  clientId?: string;
  /** The exact binding message, or a pattern it matches. */
  bindingMessage?: string | RegExp;
  /** Any other check. */
  where?: (request: ConsentRequest) => boolean;
}

export interface WaitOptions {
  /** How long to wait before failing; 15 s unless given. */
  timeoutMs?: number;
}

/** The simulated person behind the tenant: what a test approves, denies, expires and asks. */
export interface Approver {
  /** Every consent request the tenant holds that matches, oldest first. */
  requests(filter?: RequestFilter): Promise<ConsentRequest[]>;
  /** One request with its timeline: created, every poll and its answer, the decision. */
  request(authReqId: string): Promise<ConsentRequest & { timeline: ConsentEvent[] }>;
  /** The oldest matching request (pending by default) once there is one. */
  waitForRequest(filter?: RequestFilter, options?: WaitOptions): Promise<ConsentRequest>;
  /** The person approves: the agent's next poll gets its tokens. */
  approve(authReqId: string): Promise<ConsentRequest>;
  /** The person denies: the agent's next poll gets `access_denied`. */
  deny(authReqId: string): Promise<ConsentRequest>;
  /** The request expires now, as when nobody answers in time. */
  expire(authReqId: string): Promise<ConsentRequest>;
  /** Replaces the rules and default outcome for requests that come in from now on. */
  setPolicy(policy: ApproverPolicy): Promise<ApproverPolicy>;
  policy(): Promise<ApproverPolicy>;
}

interface RequestPage {
  requests: ConsentRequest[];
  next_cursor: string | null;
}

function matches(request: ConsentRequest, filter: RequestFilter): boolean {
  const { status, user, clientId, bindingMessage, where } = filter;
  if (status !== undefined && ![status].flat().includes(request.status)) return false;
  if (user !== undefined && request.user !== user) return false;
  if (clientId !== undefined && request.client_id !== clientId) return false;
  if (typeof bindingMessage === "string" && request.binding_message !== bindingMessage)
    return false;
  if (bindingMessage instanceof RegExp && !bindingMessage.test(request.binding_message))
    return false;
  return where === undefined || where(request);
}

const describeFilter = (filter: RequestFilter) =>
  JSON.stringify(filter, (_key, value: unknown) =>
    value instanceof RegExp ? String(value) : typeof value === "function" ? "<where>" : value,
  );

/** The approver over mock-auth0's control API (`/approver/api/...`), trusting the tenant's CA. */
export function controlApiApprover(issuer: string, caPem: string, controlToken?: string): Approver {
  const call = async <T>(method: string, path: string, json?: unknown): Promise<T> => {
    const answer = await httpsJson(new URL(path, issuer), {
      method,
      ca: caPem,
      json,
      ...(controlToken === undefined
        ? {}
        : { headers: { authorization: `Bearer ${controlToken}` } }),
    });
    if (answer.status >= 400) {
      const body = answer.body as { error_description?: string };
      throw new Error(
        `${method} ${path}: ${answer.status} ${body.error_description ?? JSON.stringify(body)}`,
      );
    }
    return answer.body as T;
  };
  const id = (authReqId: string) => encodeURIComponent(authReqId);

  const requests = async (filter: RequestFilter = {}) => {
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
   * For a timeout: the requests that match but for their status, which usually means the
   * approver's policy decided at once, or the request was answered before the wait began.
   */
  const otherStatuses = async (wanted: RequestFilter): Promise<string> => {
    const { status, ...anyStatus } = wanted;
    if (status === undefined) return "";
    const near = await requests(anyStatus);
    if (near.length === 0) return "";
    const statuses = [...new Set(near.map((request) => request.status))].join(", ");
    return (
      `; ${near.length} match but for the status: ${statuses} (an approver policy that ` +
      `decides at once, or a request answered before the wait began?)`
    );
  };

  return {
    requests,
    request: (authReqId) => call("GET", `approver/api/requests/${id(authReqId)}`),
    async waitForRequest(filter = {}, options = {}) {
      const timeoutMs = options.timeoutMs ?? 15_000;
      const wanted: RequestFilter = { status: "pending", ...filter };
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [found] = await requests(wanted);
        if (found !== undefined) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `No consent request matching ${describeFilter(wanted)} within ${timeoutMs} ms` +
              (await otherStatuses(wanted)),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    approve: (authReqId) => call("POST", `approver/api/requests/${id(authReqId)}/approve`),
    deny: (authReqId) => call("POST", `approver/api/requests/${id(authReqId)}/deny`),
    expire: (authReqId) => call("POST", `approver/api/requests/${id(authReqId)}/expire`),
    setPolicy: (policy) => call("PUT", "approver/api/policy", policy),
    policy: () => call("GET", "approver/api/policy"),
  };
}
