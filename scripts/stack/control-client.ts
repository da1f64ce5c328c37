import { request } from "node:https";

export interface ConsentRecord {
  auth_req_id: string;
  status: "pending" | "approved" | "denied" | "expired" | "consumed";
  user: string;
  client_id: string;
  binding_message: string;
  scope: string;
  audience: string | null;
  authorization_details: Record<string, unknown>[] | null;
  expires_at: string;
  polls: number;
  decision: { decision: "approve" | "deny"; at: string; by: string } | null;
  timeline?: { at: string; type: string; answer?: string; by?: string }[];
}

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
  ) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, this.issuer),
        {
          method,
          ca: this.caPem,
          headers: payload ? { "content-type": "application/json" } : {},
        },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              reject(new Error(`${method} ${path} answered ${status}: ${text}`));
              return;
            }
            resolve(JSON.parse(text) as T);
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  async requests(status?: ConsentRecord["status"]): Promise<ConsentRecord[]> {
    const query = status === undefined ? "" : `?status=${status}`;
    return (await this.call<{ requests: ConsentRecord[] }>("GET", `approver/api/requests${query}`))
      .requests;
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
  async waitForPending(
    match: (record: ConsentRecord) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<ConsentRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.requests("pending")).find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`No pending consent request within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves once the request has been polled at least `polls` times. */
  async waitForPolls(authReqId: string, polls: number, timeoutMs = 15_000): Promise<ConsentRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.request(authReqId);
      if (record.polls >= polls) return record;
      if (Date.now() > deadline)
        throw new Error(`${authReqId} was not polled ${polls} times within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
