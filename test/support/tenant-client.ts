import { readFileSync } from "node:fs";

import { CIBA_GRANT_TYPE, LOCAL_DEFAULTS, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { httpsJson } from "@ciba-testbed/stack";

export interface TenantAnswer {
  status: number;
  body: Record<string, unknown>;
}

export const AGENT_CLIENT = {
  client_id: LOCAL_DEFAULTS.clientId,
  client_secret: LOCAL_DEFAULTS.clientSecret,
};

/** Form POSTs to mock-auth0 over HTTPS, trusting its CA explicitly: a client of the tenant for tests. */
export class TenantClient {
  private readonly ca: Buffer;

  constructor(
    readonly issuer: string,
    caCertPath: string,
  ) {
    this.ca = readFileSync(caCertPath);
  }

  async post(endpoint: string, form: Record<string, string>): Promise<TenantAnswer> {
    const answer = await httpsJson(new URL(endpoint, this.issuer), { ca: this.ca, form });
    return { status: answer.status, body: answer.body as Record<string, unknown> };
  }

  /** Starts a CIBA request as the agent client; the tenant's approver decides it. */
  bcAuthorize(params: {
    user: string;
    scope: string;
    bindingMessage: string;
    authorizationDetails?: unknown[];
    /** `sample-shop-api` unless given; null asks for none (Auth0 then issues an opaque token). */
    audience?: string | null;
  }) {
    const audience = params.audience === undefined ? SHOP_API_AUDIENCE : params.audience;
    return this.post("bc-authorize", {
      ...AGENT_CLIENT,
      scope: params.scope,
      ...(audience === null ? {} : { audience }),
      login_hint: JSON.stringify({ format: "iss_sub", iss: this.issuer, sub: params.user }),
      binding_message: params.bindingMessage,
      ...(params.authorizationDetails
        ? { authorization_details: JSON.stringify(params.authorizationDetails) }
        : {}),
    });
  }

  grant(authReqId: string) {
    return this.post("oauth/token", {
      ...AGENT_CLIENT,
      grant_type: CIBA_GRANT_TYPE,
      auth_req_id: authReqId,
    });
  }

  /** A user access token through CIBA, for a request the approver answers at once with approve. */
  async userToken(params: Parameters<TenantClient["bcAuthorize"]>[0]): Promise<string> {
    const started = await this.bcAuthorize(params);
    if (started.status !== 200)
      throw new Error(`bc-authorize answered ${started.status}: ${JSON.stringify(started.body)}`);
    const granted = await this.grant(String(started.body.auth_req_id));
    if (granted.status !== 200)
      throw new Error(`token answered ${granted.status}: ${JSON.stringify(granted.body)}`);
    return String(granted.body.access_token);
  }
}
