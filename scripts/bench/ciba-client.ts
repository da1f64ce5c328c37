import { Agent, request } from "node:https";

import { CIBA_GRANT_TYPE, LOCAL_DEFAULTS, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";

export interface TenantAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Seconds, from the `Retry-After` header of a 429. */
  retryAfter: number | undefined;
  ms: number;
}

export const BENCH_CLIENT = {
  clientId: LOCAL_DEFAULTS.clientId,
  clientSecret: LOCAL_DEFAULTS.clientSecret,
  user: LOCAL_DEFAULTS.userId,
  audience: SHOP_API_AUDIENCE,
};

/**
 * A CIBA client over HTTPS with keep-alive connections, trusting the tenant's CA explicitly
 * (not through NODE_EXTRA_CA_CERTS, so the benchmark process itself stays unchanged).
 */
export class CibaClient {
  private readonly agent: Agent;
  private readonly connections: CibaClient[] = [];

  /**
   * `maxSockets`: connections at most (the default: as many as requests in flight). With 1,
   * the client is one agent process's kept-alive connection, reused by every flow it runs.
   */
  constructor(
    private readonly issuer: string,
    private readonly ca: string,
    maxSockets = Infinity,
  ) {
    this.agent = new Agent({
      ca,
      keepAlive: true,
      maxSockets,
      // Idle sockets close before the tenant's 5 s keep-alive timeout, so none is reused just
      // as the server closes it (ECONNRESET). Node 20 applies the server's Keep-Alive hint only
      // to lower an explicit timeout.
      timeout: 4_000,
    });
  }

  /**
   * A client of its own connection, as one agent process has: the load's slots each take one,
   * so that no request waits for a TLS handshake in the middle of the load just because every
   * other connection was busy. Closed with this client.
   */
  connection(): CibaClient {
    const client = new CibaClient(this.issuer, this.ca, 1);
    this.connections.push(client);
    return client;
  }

  close(): void {
    for (const client of this.connections.splice(0)) client.close();
    this.agent.destroy();
  }

  backchannelAuthorize(bindingMessage: string): Promise<TenantAnswer> {
    return this.post("bc-authorize", {
      client_id: BENCH_CLIENT.clientId,
      client_secret: BENCH_CLIENT.clientSecret,
      scope: "openid product:buy",
      audience: BENCH_CLIENT.audience,
      login_hint: JSON.stringify({ format: "iss_sub", iss: this.issuer, sub: BENCH_CLIENT.user }),
      binding_message: bindingMessage,
    });
  }

  poll(authReqId: string): Promise<TenantAnswer> {
    return this.post("oauth/token", {
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: authReqId,
      client_id: BENCH_CLIENT.clientId,
      client_secret: BENCH_CLIENT.clientSecret,
    });
  }

  private post(path: string, form: Record<string, string>): Promise<TenantAnswer> {
    const payload = new URLSearchParams(form).toString();
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.issuer),
        {
          method: "POST",
          agent: this.agent,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(payload),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
            } catch {
              // A body that is not JSON is reported by its status alone.
            }
            const retryAfter = Number(res.headers["retry-after"]);
            resolve({
              status: res.statusCode ?? 0,
              body,
              retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
              ms: performance.now() - started,
            });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${path}: no answer within 30 s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }
}
