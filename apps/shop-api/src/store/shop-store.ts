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

/** Which page of a person's orders `ShopStore.listByOwner` reads. */
export interface OwnerPageRequest {
  /** The most orders on the page (the routes allow 1 to 100). */
  limit: number;
  /** The id of the order the page starts after (the last of the page before); none: the first. */
  after?: string;
}

/** A page of a person's orders, oldest first, or why there is none. */
export type OwnerPage =
  /** `more`: orders of this person follow the page's last. */
  | { outcome: "listed"; orders: Order[]; more: boolean }
  /** `after` names no order of this person (another's, or none). */
  | { outcome: "after-unknown" };

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
  /**
   * A page of the owner's orders, oldest first (in the order the database took them), from the
   * one after `page.after`: a read of at most `limit + 1` rows along the index, however many
   * orders the owner has.
   */
  listByOwner(sub: string, page: OwnerPageRequest): Promise<OwnerPage>;
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
