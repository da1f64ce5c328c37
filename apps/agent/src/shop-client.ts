import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { Order } from "./purchase-result.js";

export type OrderResponse =
  { ok: true; order: Order } | { ok: false; status: number; error: string; description: string };

/**
 * Places the order with the approved access token. The Idempotency-Key is the tool call id, so
 * a purchase repeated after a crash is the same order to the shop, not a second one.
 */
export async function placeOrder(options: {
  fetch: typeof fetch;
  url: string;
  accessToken: string;
  idempotencyKey: string;
  purchase: PurchaseRequest;
}): Promise<OrderResponse> {
  const response = await options.fetch(options.url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.accessToken}`,
      "content-type": "application/json",
      accept: "application/json",
      "idempotency-key": options.idempotencyKey,
    },
    body: JSON.stringify(options.purchase),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const json = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};

  if (response.ok) return { ok: true, order: json };
  // RFC 6750 section 3: a 401/403 may carry its error only in WWW-Authenticate.
  const challenge = response.headers.get("www-authenticate") ?? "";
  const fromChallenge = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
  const error = (typeof json.error === "string" ? json.error : undefined) ?? fromChallenge("error");
  const description =
    (typeof json.error_description === "string" ? json.error_description : undefined) ??
    fromChallenge("error_description");
  return {
    ok: false,
    status: response.status,
    error: error ?? `http_${response.status}`,
    description:
      description ?? `The shop answered ${response.status} ${response.statusText}`.trim(),
  };
}
