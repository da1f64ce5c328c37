export interface OrderAuthorization {
  /** The token's `sub`: the person the order belongs to. */
  sub: string;
  /** The token's `azp`: the client (agent) that placed the order, when the token names one. */
  azp: string | null;
  /** Whether the token carried purchase authorization_details and the order matched one. */
  authorizationDetailsMatched: boolean;
  /**
   * The approval this order used up (`approvalKeyOf`: issuer and signed content, not the
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

/**
 * Where orders live. Synchronous on purpose (see `Catalog`): the in-memory store needs no I/O,
 * and a database-backed one would wrap stock and insert in a single transaction instead.
 */
export interface OrderStore {
  /** Throws when the id, or the owner's idempotency key, is already taken. */
  insert(order: Order): void;
  getById(id: string): Order | undefined;
  /** The owner's orders, oldest first. */
  listByOwner(sub: string): Order[];
  findByIdempotencyKey(sub: string, key: string): Order | undefined;
  /** The order that used this approval, if any. */
  findByApprovalId(approvalId: string): Order | undefined;
}

export class InMemoryOrderStore implements OrderStore {
  private readonly byId = new Map<string, Order>();
  private readonly byIdempotencyKey = new Map<string, Order>();
  private readonly byApprovalId = new Map<string, Order>();

  get size(): number {
    return this.byId.size;
  }

  insert(order: Order): void {
    if (this.byId.has(order.id)) throw new Error(`order ${order.id} already exists`);
    const idempotencyKey =
      order.idempotency && keyOf(order.authorization.sub, order.idempotency.key);
    if (idempotencyKey !== undefined && this.byIdempotencyKey.has(idempotencyKey)) {
      throw new Error("idempotency key already used by this owner");
    }
    const { approvalId } = order.authorization;
    if (approvalId !== null && this.byApprovalId.has(approvalId)) {
      throw new Error("approval already used");
    }
    const stored = structuredClone(order);
    this.byId.set(order.id, stored);
    if (idempotencyKey !== undefined) this.byIdempotencyKey.set(idempotencyKey, stored);
    if (approvalId !== null) this.byApprovalId.set(approvalId, stored);
  }

  findByApprovalId(approvalId: string): Order | undefined {
    const order = this.byApprovalId.get(approvalId);
    return order && structuredClone(order);
  }

  getById(id: string): Order | undefined {
    const order = this.byId.get(id);
    return order && structuredClone(order);
  }

  listByOwner(sub: string): Order[] {
    return [...this.byId.values()]
      .filter((order) => order.authorization.sub === sub)
      .map((order) => structuredClone(order));
  }

  findByIdempotencyKey(sub: string, key: string): Order | undefined {
    const order = this.byIdempotencyKey.get(keyOf(sub, key));
    return order && structuredClone(order);
  }
}

// JSON encoding keeps ("a|b", "c") and ("a", "b|c") apart.
const keyOf = (sub: string, key: string) => JSON.stringify([sub, key]);
