import { sql } from "kysely";
import type { Insertable, Kysely, Selectable } from "kysely";

import type { ProductSeed } from "../catalog.js";
import type { Order } from "../order.js";
import type { OwnerPage, OwnerPageRequest, PlaceOutcome, ShopStore } from "./shop-store.js";
import type { OrdersTable, ShopTables } from "./tables.js";

/**
 * PostgreSQL text cannot hold U+0000, and node-postgres sends a lone surrogate as U+FFFD, so no
 * stored id, owner or key holds either: a lookup by such a value (`GET /api/purchases/%00`)
 * finds nothing, without asking the database (which would refuse the query, or compare another
 * value). The routes refuse a token whose claims hold one (`requireWellFormedClaims`).
 */
const unstorable = (...values: string[]) =>
  values.some((value) => value.includes("\u0000") || /\p{Cs}/u.test(value));

/** Postgres SQLSTATE 23505 (unique_violation), as node-postgres reports it. */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}

function toRow(order: Order): Insertable<OrdersTable> {
  return {
    id: order.id,
    product_id: order.productId,
    product_name: order.productName,
    quantity: order.quantity,
    unit_price_cents: order.unitPriceCents,
    total_cents: order.totalCents,
    currency: order.currency,
    status: order.status,
    created_at: new Date(order.createdAt),
    sub: order.authorization.sub,
    azp: order.authorization.azp,
    authorization_details_matched: order.authorization.authorizationDetailsMatched,
    approval_id: order.authorization.approvalId,
    idempotency_key: order.idempotency?.key ?? null,
    idempotency_fingerprint: order.idempotency?.fingerprint ?? null,
  };
}

function toOrder(row: Selectable<OrdersTable>): Order {
  const order: Order = {
    id: row.id,
    productId: row.product_id,
    productName: row.product_name,
    quantity: row.quantity,
    unitPriceCents: Number(row.unit_price_cents),
    totalCents: Number(row.total_cents),
    currency: "USD",
    status: "confirmed",
    createdAt: row.created_at.getTime(),
    authorization: {
      sub: row.sub,
      azp: row.azp,
      authorizationDetailsMatched: row.authorization_details_matched,
      approvalId: row.approval_id,
    },
  };
  if (row.idempotency_key !== null && row.idempotency_fingerprint !== null) {
    order.idempotency = { key: row.idempotency_key, fingerprint: row.idempotency_fingerprint };
  }
  return order;
}

/**
 * The rows of one page of `sub`'s orders: those after `afterSeq` (from the first when
 * undefined), oldest first, at most `rows`. The index shop_orders_sub_seq_idx answers it whole.
 */
export function ownerPageQuery(
  db: Kysely<ShopTables>,
  sub: string,
  afterSeq: string | undefined,
  rows: number,
) {
  const owned = db.selectFrom("shop_orders").selectAll().where("sub", "=", sub);
  return (afterSeq === undefined ? owned : owned.where("seq", ">", afterSeq))
    .orderBy("seq")
    .limit(rows);
}

/**
 * The embedded database's folder is gone under the running shop; the message says what to do.
 * Its code is PostgreSQL's for a file it cannot open (58P01), which the shop reads as a database
 * that cannot serve now (`isDatabaseUnavailable`).
 */
export class DatabaseFilesGoneError extends Error {
  override readonly name = "DatabaseFilesGoneError";
  readonly code = "58P01";
}

/** When this start found the record of spent approvals begun (`SqlShopStore.beginRecord`). */
export interface RecordStart {
  /** Epoch milliseconds. */
  beganAt: number;
  /**
   * The folder the record had begun in, when that was another one (null: none): it began
   * anew at this start.
   */
  movedFrom?: string | null;
  /** With `movedFrom`: whether the database holds orders (a copy of an empty one holds none). */
  heldOrders?: boolean;
}

/** The shop's store on a SQL database (PGlite or PostgreSQL), through Kysely. */
export class SqlShopStore implements ShopStore {
  /** `filesGone`: see `ShopStore.filesGone` (`ShopDatabase.filesGone`). */
  constructor(
    private readonly db: Kysely<ShopTables>,
    private readonly files: { filesGone?: () => string | undefined } = {},
  ) {}

  filesGone(): string | undefined {
    return this.files.filesGone?.();
  }

  /**
   * A purchase's statement that writes nothing (`where false`): PostgreSQL checks the privileges
   * it needs and refuses it on a read-only server all the same, and opens the tables' files.
   */
  async ready(): Promise<void> {
    const gone = this.filesGone();
    if (gone !== undefined) throw new DatabaseFilesGoneError(gone);
    await sql`
      with taken as (
        update shop_stock set stock = stock where false returning product_id
      )
      insert into shop_orders (
        id, product_id, product_name, quantity, unit_price_cents, total_cents, currency,
        status, created_at, sub, authorization_details_matched
      )
      select product_id, product_id, product_id, 1, 0, 0, 'USD', 'confirmed', now(), product_id,
        false
      from taken
    `.execute(this.db);
    await this.db.selectFrom("shop_orders").select("id").limit(1).execute();
    await this.stock();
  }

  /**
   * Gives products the database has never seen their configured starting stock. Products it
   * knows keep theirs: a restart does not refill the shelves.
   */
  async addProducts(seed: readonly ProductSeed[]): Promise<void> {
    if (seed.length === 0) return;
    await this.db
      .insertInto("shop_stock")
      .values(seed.map((product) => ({ product_id: product.id, stock: product.stock })))
      .onConflict((conflict) => conflict.column("product_id").doNothing())
      .execute();
  }

  /**
   * Starts the record of spent approvals at `now` (to the millisecond, on the shop's clock; an
   * approval issued in the second it began in is refused, since `iat` counts whole seconds) unless
   * this database's record has begun already, in this same `folder`: a database made since the
   * last start (the first start, `--reset`, a folder deleted or made anew, `:memory:`) has none,
   * and one in another folder than it began in is a copy or was moved (a copy of an empty
   * database made once, or a copy that took orders beside its original): its record may not be
   * whole. Replicas starting together on one PostgreSQL database agree on the first start.
   */
  async beginRecord(now: number, folder: string | null): Promise<RecordStart> {
    const began = new Date(now);
    const found = await this.db
      .selectFrom("shop_record_start")
      .select(["began_at", "folder"])
      .executeTakeFirst();
    if (found === undefined) {
      await this.db
        .insertInto("shop_record_start")
        .values({ began_at: began, folder })
        .onConflict((conflict) => conflict.column("only_row").doNothing())
        .execute();
    } else if (found.folder !== folder) {
      await this.db
        .updateTable("shop_record_start")
        .set({ began_at: began, folder })
        .where("only_row", "=", true)
        .execute();
    }
    const row = await this.db
      .selectFrom("shop_record_start")
      .select("began_at")
      .executeTakeFirstOrThrow();
    if (found === undefined || found.folder === folder) return { beganAt: row.began_at.getTime() };
    const held = await this.db.selectFrom("shop_orders").select("id").limit(1).executeTakeFirst();
    return {
      beganAt: row.began_at.getTime(),
      movedFrom: found.folder,
      heldOrders: held !== undefined,
    };
  }

  async recordBegan(): Promise<number | undefined> {
    const row = await this.db.selectFrom("shop_record_start").select("began_at").executeTakeFirst();
    return row?.began_at.getTime();
  }

  async stock(): Promise<ReadonlyMap<string, number>> {
    const rows = await this.db.selectFrom("shop_stock").selectAll().execute();
    return new Map(rows.map((row) => [row.product_id, row.stock]));
  }

  /**
   * One statement, so one transaction and one round trip: a conditional UPDATE takes the stock
   * (`stock >= quantity`) and the INSERT adds the order only if it did. PostgreSQL re-checks that
   * condition on the newest row version when another transaction changed it first (READ
   * COMMITTED, which each PostgreSQL connection of the shop sets at its start whatever the
   * database's default, `SHOP_ISOLATION_OPTION`), so concurrent orders, from any number of processes, never take more than is
   * left. A unique key that another request holds (its Idempotency-Key or approval) fails the
   * statement, stock update included, and the winner is named.
   */
  async place(order: Order): Promise<PlaceOutcome> {
    const row = toRow(order);
    let inserted: bigint | undefined;
    try {
      ({ numAffectedRows: inserted } = await sql`
        with taken as (
          update shop_stock set stock = stock - ${row.quantity}::integer
          where product_id = ${row.product_id} and stock >= ${row.quantity}::integer
          returning product_id
        )
        insert into shop_orders (
          id, product_id, product_name, quantity, unit_price_cents, total_cents, currency,
          status, created_at, sub, azp, authorization_details_matched, approval_id,
          idempotency_key, idempotency_fingerprint
        )
        select
          ${row.id}::text, taken.product_id, ${row.product_name}::text, ${row.quantity}::integer,
          ${row.unit_price_cents}::bigint, ${row.total_cents}::bigint, ${row.currency}::text,
          ${row.status}::text, ${row.created_at}::timestamptz, ${row.sub}::text, ${row.azp}::text,
          ${row.authorization_details_matched}::boolean, ${row.approval_id}::text,
          ${row.idempotency_key}::text, ${row.idempotency_fingerprint}::text
        from taken
      `.execute(this.db));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.heldBy(order);
      if (winner) return winner;
      throw error;
    }
    if (inserted === 1n) return { outcome: "placed" };
    // No stock taken. A request that raced this one may have placed this key's or this
    // approval's order with the last units: that answer comes first, as in placeOrder.
    return (
      (await this.heldBy(order)) ?? {
        outcome: "out-of-stock",
        left: (await this.stock()).get(order.productId) ?? 0,
      }
    );
  }

  /** The order that holds this order's Idempotency-Key, else its approval (placeOrder's order). */
  private async heldBy(order: Order): Promise<PlaceOutcome | undefined> {
    const { sub, approvalId } = order.authorization;
    const byKey =
      order.idempotency && (await this.findByIdempotencyKey(sub, order.idempotency.key));
    if (byKey) return { outcome: "idempotency-key-taken", earlier: byKey };
    const byApproval = approvalId === null ? undefined : await this.findByApprovalId(approvalId);
    if (byApproval) return { outcome: "approval-spent", earlier: byApproval };
    return undefined;
  }

  async getById(id: string): Promise<Order | undefined> {
    if (unstorable(id)) return undefined;
    const row = await this.db
      .selectFrom("shop_orders")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toOrder(row);
  }

  /**
   * Keyset paging on the index (sub, seq): the page starts after the `seq` of the order `after`
   * names, looked up by its primary key and its owner, and reads `limit + 1` rows to learn
   * whether more follow. No OFFSET: the thousandth page costs what the first does.
   */
  async listByOwner(sub: string, { limit, after }: OwnerPageRequest): Promise<OwnerPage> {
    let afterSeq: string | undefined;
    if (after !== undefined) {
      if (unstorable(sub, after)) return { outcome: "after-unknown" };
      const anchor = await this.db
        .selectFrom("shop_orders")
        .select("seq")
        .where("id", "=", after)
        .where("sub", "=", sub)
        .executeTakeFirst();
      if (anchor === undefined) return { outcome: "after-unknown" };
      afterSeq = anchor.seq;
    } else if (unstorable(sub)) {
      return { outcome: "listed", orders: [], more: false };
    }
    const rows = await ownerPageQuery(this.db, sub, afterSeq, limit + 1).execute();
    return {
      outcome: "listed",
      orders: rows.slice(0, limit).map(toOrder),
      more: rows.length > limit,
    };
  }

  async findByIdempotencyKey(sub: string, key: string): Promise<Order | undefined> {
    if (unstorable(sub, key)) return undefined;
    const row = await this.db
      .selectFrom("shop_orders")
      .selectAll()
      .where("sub", "=", sub)
      .where("idempotency_key", "=", key)
      .executeTakeFirst();
    return row && toOrder(row);
  }

  async findByApprovalId(approvalId: string): Promise<Order | undefined> {
    if (unstorable(approvalId)) return undefined;
    const row = await this.db
      .selectFrom("shop_orders")
      .selectAll()
      .where("approval_id", "=", approvalId)
      .executeTakeFirst();
    return row && toOrder(row);
  }
}
