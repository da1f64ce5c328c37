import { isOAuthErrorBody, type PurchaseRequest } from "@ciba-testbed/shared";
import type { OrderJson, ProductJson, ShopApiErrorCode } from "@ciba-testbed/shop-api";
import { classifyNetworkError } from "@ciba-testbed/shared/node";

/** The shop's answer to an order: the order, or its OAuth-style error. */
export type OrderAnswer =
  | { ok: true; order: OrderJson }
  | {
      ok: false;
      status: number;
      /** The shop's code, else `http_<status>` when it sent none. */
      error: ShopApiErrorCode | `http_${number}`;
      description: string;
      /** The answer's Retry-After in seconds, when it gave one as a number. */
      retryAfterSeconds?: number;
    };

/**
 * Places the order with the approved access token. The Idempotency-Key is the purchase's own
 * (the journal's `purchaseId`), so a purchase repeated after a crash is the same order to the
 * shop, not a second one.
 */
export async function placeOrder(options: {
  fetch: typeof fetch;
  url: string;
  accessToken: string;
  idempotencyKey: string;
  purchase: PurchaseRequest;
  /** No answer (headers and body) within this counts as a broken connection. */
  timeoutMs: number;
}): Promise<OrderAnswer> {
  const response = await options.fetch(options.url, {
    method: "POST",
    signal: AbortSignal.timeout(options.timeoutMs),
    headers: {
      authorization: `Bearer ${options.accessToken}`,
      "content-type": "application/json",
      accept: "application/json",
      "idempotency-key": options.idempotencyKey,
    },
    body: JSON.stringify(options.purchase),
  });
  const body = parseJson(await response.text());

  // The order is passed on as the shop wrote it; the agent reads it defensively (`orderSummary`).
  if (response.ok) return { ok: true, order: (isObject(body) ? body : {}) as OrderJson };
  // RFC 6750 section 3: a 401/403 may carry its error only in WWW-Authenticate.
  const challenge = response.headers.get("www-authenticate") ?? "";
  const fromChallenge = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
  const oauth = isOAuthErrorBody(body) ? body : undefined;
  const error = oauth?.error ?? fromChallenge("error");
  const description = oauth?.error_description ?? fromChallenge("error_description");
  const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
  return {
    ok: false,
    status: response.status,
    error: (error as ShopApiErrorCode | undefined) ?? `http_${response.status}`,
    description:
      description ?? `The shop answered ${response.status} ${response.statusText}`.trim(),
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}

/** Failures that happen before a request reaches the shop: nothing can have been ordered. */
export const NEVER_SENT: ReadonlySet<string> = new Set([
  "connection_refused",
  "dns",
  "tls_untrusted",
  "tls_hostname",
  "blocked_port",
]);

/** How the purchase URL answered a request with no token: its status, or why none came. */
export type EndpointProbe = { ok: true; status: number } | { ok: false; error: unknown };

/**
 * Asks the purchase URL whether it is there, before anyone is asked to approve a purchase: a
 * POST with no token and no body, which can buy nothing. A shop that takes orders there
 * refuses it (an OAuth-protected API with 401, RFC 6750 section 3.1: no authentication
 * information); a URL that takes none answers 404 or 405. The answer's body is read to the
 * end, so its connection goes back to the pool for the requests that follow.
 */
export async function probePurchaseEndpoint(options: {
  fetch: typeof fetch;
  url: string;
  timeoutMs: number;
}): Promise<EndpointProbe> {
  try {
    const response = await options.fetch(options.url, {
      method: "POST",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return { ok: true, status: response.status };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The shop's catalog as read, or what kept it from being read. */
export type CatalogRead =
  { ok: true; products: Partial<ProductJson>[] } | { ok: false; problem: string };

/**
 * The shop's catalog. Each product is typed by the shop's contract but read as possibly
 * incomplete: the agent uses it to understand and check requests, the shop still decides.
 */
export async function fetchProducts(options: {
  fetch: typeof fetch;
  url: string;
  /** A shop that does not answer in time counts as unreachable. */
  timeoutMs: number;
}): Promise<CatalogRead> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { ok: false, problem: networkProblem(error, options.timeoutMs) };
  }
  if (!response.ok) return { ok: false, problem: `it answered ${response.status}` };
  const body = parseJson(await response.text().catch(() => ""));
  const products = isObject(body) ? body.products : undefined;
  return Array.isArray(products)
    ? { ok: true, products: products as Partial<ProductJson>[] }
    : { ok: false, problem: "its answer is not a product list" };
}

function networkProblem(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeoutMs} ms`;
  }
  const network = classifyNetworkError(error);
  if (network?.code !== undefined) return network.code;
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
