import path from "node:path";

import { loadTenant, startMockAuth0, DEFAULT_TENANT_FILE } from "@ciba-testbed/mock-auth0";
import type { ApproverOutcome, RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { DEFAULT_CERT_DIR, SHORT_LIVED_SHOP_ENV } from "@ciba-testbed/shared/node";
import { LOCAL_DEFAULTS, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import type { OrderJson, OrderListJson, ProductListJson } from "@ciba-testbed/shop-api";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { SupervisedChild } from "@ciba-testbed/stack/supervisor";

import { perWorker } from "./per-worker.js";
import { TenantClient } from "./tenant-client.js";

export const BUYER = LOCAL_DEFAULTS.userId;

/** Where a shop-api process keeps its data: an embedded database folder, or a PostgreSQL URL. */
export type ShopData = { folder: string } | { url: string };

/**
 * mock-auth0 in this process, on the repository's tenant with the end-to-end speed settings
 * (no per-user request limit: these tests ask for dozens of approvals), on `port` (0: a free
 * one), approving at once unless `approverDefault` says otherwise. Its certificates are the
 * repository's (.certs), or those in `certDir`, which shop-api trusts without restarting.
 */
export function startTenant(
  port = 0,
  approverDefault: ApproverOutcome = { action: "approve", afterMs: 0 },
  certDir: string = DEFAULT_CERT_DIR,
): Promise<RunningMockAuth0> {
  return startMockAuth0({
    tenant: loadTenant({
      tenant: DEFAULT_TENANT_FILE,
      settings: path.join(REPO_ROOT, "test/fixtures/e2e-tenant.mock-auth0.json"),
    }),
    port,
    host: "127.0.0.1",
    certDir,
    approverDefault,
  });
}

/**
 * The tenant of `startTenant`, shared by the test files of this Vitest worker (see `perWorker`),
 * for files that only need tokens for their shops (the shops are what they test): it saves a
 * tenant's start and the first requests' warm-up. No file closes it: it ends with the worker.
 */
export const sharedTenant = perWorker(startTenant);

/** A user access token for the shop through CIBA; with `approve`, one product_purchase entry. */
export function buyerToken(
  tenant: RunningMockAuth0,
  approve?: { product: string; quantity: number; maximumAmount: number },
): Promise<string> {
  return new TenantClient(tenant.issuer, tenant.caCertPath).userToken({
    user: BUYER,
    scope: "openid product:buy",
    bindingMessage: approve ? `Buy ${approve.quantity} ${approve.product}` : "List my orders",
    ...(approve
      ? {
          authorizationDetails: [
            {
              type: "product_purchase",
              product: approve.product,
              quantity: approve.quantity,
              maximum_amount: approve.maximumAmount,
              currency: "USD",
            },
          ],
        }
      : {}),
  });
}

/**
 * Every order of the person `token` is for, oldest first: `GET /api/purchases` at
 * `purchasesUrl`, page after page of 100 (`next_cursor`), whatever its `limit` (`?limit=2`).
 */
export async function allOrders(purchasesUrl: string, token: string): Promise<OrderJson[]> {
  const orders: OrderJson[] = [];
  const url = new URL(purchasesUrl);
  if (!url.searchParams.has("limit")) url.searchParams.set("limit", "100");
  for (;;) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${url.pathname}${url.search} answered ${res.status}`);
    const page = (await res.json()) as OrderListJson;
    orders.push(...page.orders);
    if (page.next_cursor === null) return orders;
    url.searchParams.set("after", page.next_cursor);
  }
}

/** The issuer a shop-api process trusts: mock-auth0, or any other issuer over HTTPS. */
export type ShopIssuer = Pick<RunningMockAuth0, "issuer" | "caCertPath">;

/** The environment of a shop-api process for `tenant`, keeping its data where `data` says. */
export function shopApiEnv(tenant: ShopIssuer, data: ShopData): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: tenant.caCertPath,
    // The exact issuer, trailing slash or none, as the tenant's tokens carry it.
    AUTH0_ISSUER_BASE_URL: tenant.issuer,
    SHOP_API_PORT: "0",
    SHOP_API_AUDIENCE,
    LOG_LEVEL: "warn",
    // Set or blank (unset): the shell's choice must not reach the test's shop.
    SHOP_API_DATABASE: "folder" in data ? data.folder : "",
    SHOP_API_DATABASE_URL: "url" in data ? data.url : "",
    // These tests are about orders surviving kills, restarts and replicas, many with one token:
    // the shop takes a token without authorization_details too, as a shop on a tenant without
    // RAR does. Its default refuses one (scenarios.e2e.test.ts).
    SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "false",
    // A test's shop lives for the test, as a stack's throw-away shop does.
    ...SHORT_LIVED_SHOP_ENV,
  };
}

/** One shop-api process, from the build: its pid is the app's, so SIGKILL hits it. */
export class ShopApiProcess {
  private constructor(
    readonly child: SupervisedChild,
    readonly url: string,
  ) {}

  /** `args`: the shop's own, such as `--reset`. */
  static async start(
    tenant: ShopIssuer,
    data: ShopData,
    name = "shop-api",
    args: string[] = [],
  ): Promise<ShopApiProcess> {
    const { child, ready } = await SupervisedChild.start({
      name,
      script: "apps/shop-api/src/main.ts",
      args,
      runner: {},
      env: shopApiEnv(tenant, data),
      // A new embedded database runs initdb (WebAssembly) first: seconds on a busy machine.
      readyTimeoutMs: 120_000,
    });
    return new ShopApiProcess(child, ready.url);
  }

  buy(
    token: string,
    body: { product: string; qty: number },
    key?: string,
  ): Promise<{ status: number; replayed: boolean; body: Record<string, unknown> }> {
    return fetch(`${this.url}/api/purchases`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
      body: JSON.stringify(body),
    }).then(async (res) => ({
      status: res.status,
      replayed: res.headers.get("idempotent-replayed") === "true",
      body: (await res.json()) as Record<string, unknown>,
    }));
  }

  orders(token: string): Promise<OrderJson[]> {
    return allOrders(`${this.url}/api/purchases`, token);
  }

  async stock(productId: string): Promise<number | undefined> {
    const res = await fetch(`${this.url}/api/products`);
    const { products } = (await res.json()) as ProductListJson;
    return products.find((product) => product.id === productId)?.stock;
  }

  /** SIGTERM: in-flight orders finish and the database closes. */
  stop(): Promise<void> {
    return this.child.stop();
  }

  /** SIGKILL: nothing finishes, nothing is flushed or closed. */
  async kill(): Promise<void> {
    this.child.killGroup("SIGKILL");
    await this.child.exited;
  }
}
