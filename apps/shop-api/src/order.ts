export interface OrderAuthorization {
  /** The token's `sub`: the person the order belongs to. */
  sub: string;
  /** The token's `azp`: the client (agent) that placed the order, when the token names one. */
  azp: string | null;
  /** Whether the token carried purchase authorization_details and the order matched one. */
  authorizationDetailsMatched: boolean;
  /**
   * The approval this order used up (`approvalKeysOf`: issuer and jti or signed content, not the
   * token's spelling) when its authorization_details matched, else null. One approval buys once.
   */
  approvalId: string | null;
}

export interface Order {
  id: string;
  productId: string;
  productName: string;
  quantity: number;
  unitPriceCents: number;
  totalCents: number;
  currency: "USD";
  status: "confirmed";
  /** When it was placed, in epoch milliseconds (`Clock.now()`); the JSON shows ISO 8601. */
  createdAt: number;
  authorization: OrderAuthorization;
  /** Present when the request carried an `Idempotency-Key`; scoped to `authorization.sub`. */
  idempotency?: { key: string; fingerprint: string };
}
