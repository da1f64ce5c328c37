import type { Order } from "../order.js";

/** What became of an order handed to `ShopStore.place`; only `placed` wrote anything. */
export type PlaceOutcome =
  | { outcome: "placed" }
  /** Fewer than the ordered units were left; `left` is the stock after the attempt. */
  | { outcome: "out-of-stock"; left: number }
  /** The buyer's Idempotency-Key already names `earlier` (placed meanwhile by another request). */
  | { outcome: "idempotency-key-taken"; earlier: Order }
  /** The approval already bought `earlier`. */
  | { outcome: "approval-spent"; earlier: Order };

/**
 * Where the shop's state lives: orders, their idempotency keys and used approvals, and stock.
 * Exactly-once is the store's job, not the process's: `place` inserts the order and takes its
 * stock in one transaction, and the database's unique keys (order id, approval, buyer and
 * Idempotency-Key) decide between concurrent requests, whichever process sent them.
 */
export interface ShopStore {
  /** Units left, by product id. */
  stock(): Promise<ReadonlyMap<string, number>>;
  /** Inserts the order and takes its stock, both or neither. */
  place(order: Order): Promise<PlaceOutcome>;
  getById(id: string): Promise<Order | undefined>;
  /** The owner's orders, oldest first. */
  listByOwner(sub: string): Promise<Order[]>;
  findByIdempotencyKey(sub: string, key: string): Promise<Order | undefined>;
  /** The order that used this approval, if any. */
  findByApprovalId(approvalId: string): Promise<Order | undefined>;
  /**
   * When the record of the approvals spent began (epoch milliseconds, a whole second): the
   * database's first start or `--reset` (`SqlShopStore.beginRecord`). An approval issued
   * before it may have bought in a database the shop has forgotten. Undefined when the
   * database holds no start.
   */
  recordBegan(): Promise<number | undefined>;
  /**
   * Resolves when the store can take an order now (`GET /ready`): its tables read, and a
   * purchase's writes tried with nothing written, so that a read-only server, a privilege taken
   * away or a database whose files are gone is found, which a read the database's cache answers
   * does not find. Rejects with the database's error.
   */
  ready(): Promise<void>;
  /** What to tell whoever runs the shop when its database's files are gone, if they are. */
  filesGone?(): string | undefined;
}
