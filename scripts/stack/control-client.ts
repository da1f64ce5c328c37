import type {
  ControlRequestDetailJson,
  ControlRequestJson,
  ControlRequestPageJson,
} from "@ciba-testbed/mock-auth0";

import { httpsJson } from "./https-json.js";

/**
 * One consent request as the control API shows it; the timeline comes with `request(id)`.
 * The type is the one mock-auth0 serializes.
 */
export type ConsentRecord = ControlRequestJson & {
  timeline?: ControlRequestDetailJson["timeline"];
};

export interface ApproverPolicyText {
  default: string;
  rules?: { when: Record<string, string>; outcome: string }[];
}

/**
 * The mock-auth0 control API, for scripts and tests. It trusts the tenant's CA explicitly,
 * so the calling process needs no NODE_EXTRA_CA_CERTS.
 */
export class ControlClient {
  constructor(
    private readonly issuer: string,
    private readonly caPem: string,
    /** MOCK_AUTH0_CONTROL_TOKEN, when the tenant was started with one. */
    private readonly controlToken?: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await httpsJson(new URL(path, this.issuer), {
      method,
      ca: this.caPem,
      json: body,
      ...(this.controlToken === undefined
        ? {}
        : { headers: { authorization: `Bearer ${this.controlToken}` } }),
    });
    if (answer.status >= 400) {
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    }
    return answer.body as T;
  }

  /** Every request the tenant holds, oldest first, read page by page (the API pages newest first). */
  async requests(status?: ConsentRecord["status"]): Promise<ConsentRecord[]> {
    const all: ConsentRecord[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: "1000" });
      if (status !== undefined) query.set("status", status);
      if (cursor !== null) query.set("cursor", cursor);
      const page: ControlRequestPageJson = await this.call(
        "GET",
        `approver/api/requests?${query.toString()}`,
      );
      all.push(...page.requests);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return all.reverse();
  }

  request(authReqId: string): Promise<ConsentRecord> {
    return this.call("GET", `approver/api/requests/${encodeURIComponent(authReqId)}`);
  }

  approve(authReqId: string): Promise<ConsentRecord> {
    return this.call("POST", `approver/api/requests/${encodeURIComponent(authReqId)}/approve`);
  }

  deny(authReqId: string): Promise<ConsentRecord> {
    return this.call("POST", `approver/api/requests/${encodeURIComponent(authReqId)}/deny`);
  }

  setPolicy(policy: ApproverPolicyText): Promise<ApproverPolicyText> {
    return this.call("PUT", "approver/api/policy", policy);
  }

  /** Resolves with the first pending request that `match` accepts, polling the control API. */
  waitForPending(
    match: (record: ConsentRecord) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<ConsentRecord> {
    return until(
      async () => (await this.requests("pending")).find(match),
      timeoutMs,
      "No pending consent request",
    );
  }

  /**
   * Resolves once the request has `status`. The agent reckons expiry from before it sent the
   * request, so it gives up a little before the tenant ends the request: wait for the tenant.
   */
  waitForStatus(
    authReqId: string,
    status: ConsentRecord["status"],
    timeoutMs = 15_000,
  ): Promise<ConsentRecord> {
    return until(
      async () => {
        const record = await this.request(authReqId);
        return record.status === status ? record : undefined;
      },
      timeoutMs,
      `${authReqId} did not become ${status}`,
    );
  }

  /** Resolves once the request has been polled at least `polls` times. */
  waitForPolls(authReqId: string, polls: number, timeoutMs = 15_000): Promise<ConsentRecord> {
    return until(
      async () => {
        const record = await this.request(authReqId);
        return record.polls >= polls ? record : undefined;
      },
      timeoutMs,
      `${authReqId} was not polled ${polls} times`,
    );
  }
}

/** Asks `probe` every 50 ms until it answers, or fails after `timeoutMs`. */
async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  failure: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${failure} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
