// oidc-provider ships no types: the little of it test/e2e/shop-other-issuer.e2e.test.ts uses.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface BackchannelRequest {
    clientId: string;
    accountId: string;
    params?: Record<string, unknown>;
  }
  export interface RarSource {
    rar?: object[];
  }
  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    Grant: new (init: { clientId: string; accountId: string }) => Grant;
    callback(): Handler;
    backchannelResult(
      request: BackchannelRequest,
      grant: Grant,
      options?: { rar?: object[] | undefined },
    ): Promise<void>;
  }
}
