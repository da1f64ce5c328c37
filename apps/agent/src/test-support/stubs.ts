import { afterAll, beforeAll, beforeEach } from "vitest";

import type { AgentEvent } from "../agent-event.js";
import { loadConfig, type AgentConfig } from "../config.js";

// Test files share a worker's modules, so nock is on only during the files that isolate the
// network, and each leaves the network as it found it for the next file in the worker.

/**
 * Node's fetch sends through the dispatcher under the first symbol. nock sets its own under
 * both, and when restored a new Agent of the npm `undici`, not the one Node had: each is put
 * back by hand.
 */
const DISPATCHER_SYMBOLS = [
  Symbol.for("undici.globalDispatcher.1"),
  Symbol.for("undici.globalDispatcher.2"),
];
// Node makes its dispatcher on the first fetch; a data: URL makes it without any connection,
// so that the dispatcher exists to be saved before nock replaces it.
await fetch("data:,");
const dispatchers = DISPATCHER_SYMBOLS.map((symbol) => ({
  symbol,
  dispatcher: Reflect.get(globalThis, symbol) as unknown,
}));
// nock patches http, https and fetch as it is imported: only after the above is saved. Test
// files take `nock` from here rather than from "nock", which would load it first.
export const { default: nock } = await import("nock");
restoreNetwork();
// The npm `undici` defines the second symbol for good (Node 20 never reads it): from now on
// it keeps the value it has now.
for (const saved of dispatchers) saved.dispatcher ??= Reflect.get(globalThis, saved.symbol);

/** Turns nock off and puts back what it replaced: http, https, fetch, the dispatcher. */
function restoreNetwork(): void {
  nock.cleanAll();
  nock.enableNetConnect();
  nock.restore();
  for (const { symbol, dispatcher } of dispatchers) {
    if (dispatcher !== undefined) Reflect.set(globalThis, symbol, dispatcher);
  }
}

export const TENANT = "https://localhost:4010";
export const SHOP = "http://localhost:4020";

export function testConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return { ...loadConfig({ AGENT_STORE: "/nonexistent" }), ...overrides };
}

/**
 * Only stubs answer in the calling file's tests: nothing leaves the process, not even to
 * loopback servers. Called at the top of a test file; after its last test the network is
 * restored, so a later file in the same worker reaches real servers again.
 */
export function isolateNetwork(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
  });
  beforeEach(() => {
    nock.cleanAll();
    nock.disableNetConnect();
  });
  afterAll(restoreNetwork);
}

export function expectAllStubsUsed(): void {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  if (pending.length > 0) throw new Error(`Unused stubs: ${pending.join(", ")}`);
}

export interface Recorded {
  path: string;
  body: Record<string, string>;
}

/** The Auth0 endpoints the SDK calls; each call is recorded with its form body. */
export function stubAuth0() {
  const calls: Recorded[] = [];
  const scope = nock(TENANT);
  // nock 15 hands a reply function the fetch Request itself.
  const record = async (path: string, request: Request) => {
    calls.push({ path, body: Object.fromEntries(new URLSearchParams(await request.text())) });
  };
  let requests = 0;
  const stub = {
    calls,
    bcAuthorize(
      reply: { expires_in?: number; interval?: number | undefined } = {},
      authReqId = `req-${++requests}`,
    ) {
      scope.post("/bc-authorize").reply(async (request: Request) => {
        await record("/bc-authorize", request);
        return [200, { auth_req_id: authReqId, expires_in: 300, interval: 1, ...reply }];
      });
      return stub;
    },
    bcAuthorizeError(
      status: number,
      error: string,
      description: string,
      headers: Record<string, string> = {},
    ) {
      return stub.bcAuthorizeReply(status, { error, error_description: description }, headers);
    },
    /** Any answer to `/bc-authorize`: a body that is not JSON is sent as text. */
    bcAuthorizeReply(
      status: number,
      body: Record<string, unknown> | string,
      headers: Record<string, string> = {},
    ) {
      scope.post("/bc-authorize").reply(async (request: Request) => {
        await record("/bc-authorize", request);
        return [status, body, headers];
      });
      return stub;
    },
    token(
      status: number,
      body: Record<string, unknown>,
      headers: Record<string, string> = {},
      times = 1,
    ) {
      scope
        .post("/oauth/token")
        .times(times)
        .reply(async (request: Request) => {
          await record("/oauth/token", request);
          return [status, body, headers];
        });
      return stub;
    },
    /** One token answer, given after `effect` ran (e.g. the clock moved while it was out). */
    tokenAfter(effect: () => void, status: number, body: Record<string, unknown>) {
      scope.post("/oauth/token").reply(async (request: Request) => {
        await record("/oauth/token", request);
        effect();
        return [status, body];
      });
      return stub;
    },
    pending(times = 1) {
      return stub.token(
        400,
        {
          error: "authorization_pending",
          error_description: "The end-user authorization is pending",
        },
        {},
        times,
      );
    },
    approve(accessToken = "at-approved") {
      return stub.token(200, {
        access_token: accessToken,
        id_token: "id-token",
        expires_in: 86400,
        scope: "openid product:buy",
        token_type: "Bearer",
      });
    },
    deny() {
      return stub.token(400, {
        error: "access_denied",
        error_description: "The end-user denied the authorization request or it has been expired",
      });
    },
    count: (path: string) => calls.filter((call) => call.path === path).length,
  };
  return stub;
}

export const CATALOG = [
  { id: "xyz-phone", name: "XYZ phone", price: 499, currency: "USD", stock: 50 },
  { id: "usb-c-cable", name: "USB-C cable", price: 9.99, currency: "USD", stock: 500 },
];

export interface ShopCall {
  body: unknown;
  headers: Headers;
}

/**
 * The shop's purchase endpoint and its catalog. Without a catalog stub the lookup fails inside
 * the process (no connection is made), as with the shop stopped, and nobody is asked.
 */
export function stubShop() {
  const calls: ShopCall[] = [];
  const scope = nock(SHOP);
  const stub = {
    calls,
    /**
     * Answers every catalog read of the test (one per purchase), and must be read once; and the
     * purchase endpoint's check before anyone is asked (a POST with no token), as the shop
     * does: 401, or `purchaseUrlStatus`.
     */
    catalog(status = 200, products: Record<string, unknown>[] = CATALOG, purchaseUrlStatus = 401) {
      scope.get("/api/products").reply(status, { products }).persist();
      stub.purchaseUrl(purchaseUrlStatus);
      return stub;
    },
    /** Answers every POST without a token to the purchase endpoint; need not be used. */
    purchaseUrl(status: number) {
      nock(SHOP, { badheaders: ["authorization"] })
        .post("/api/purchases")
        .optionally()
        .reply(status, {
          error: status === 401 ? "invalid_request" : "not_found",
          error_description: status === 401 ? "Authorization header missing" : "No route",
        })
        .persist();
      return stub;
    },
    /** `meanwhile`: runs while the order is at the shop, before its answer. */
    order(
      status = 201,
      body: Record<string, unknown> = { id: "ord_1", total: 1998, currency: "USD" },
      meanwhile?: () => Promise<void>,
    ) {
      scope
        .post("/api/purchases")
        .matchHeader("authorization", /^Bearer /)
        .reply(async (request: Request) => {
          calls.push({ body: await request.json(), headers: request.headers });
          await meanwhile?.();
          return [status, body];
        });
      return stub;
    },
  };
  return stub;
}

export function recordEvents() {
  const events: AgentEvent[] = [];
  return { events, output: (event: AgentEvent) => events.push(event) };
}
