import type { ColumnType, Generated } from "kysely";

/** `bigint` columns: node-postgres reads int8 as a string (it may exceed 2^53); written as numbers. */
type Int8 = ColumnType<string, number, number>;

export interface StockTable {
  product_id: string;
  stock: number;
}

export interface OrdersTable {
  id: string;
  /** Insertion order, for "oldest first"; never shown. */
  seq: Generated<string>;
  product_id: string;
  product_name: string;
  quantity: number;
  unit_price_cents: Int8;
  total_cents: Int8;
  currency: string;
  status: string;
  created_at: ColumnType<Date, Date, never>;
  sub: string;
  azp: string | null;
  authorization_details_matched: boolean;
  approval_id: string | null;
  idempotency_key: string | null;
  idempotency_fingerprint: string | null;
}

/** One row: when the record of spent approvals began (migration 0002_record_start). */
export interface RecordStartTable {
  only_row: Generated<boolean>;
  /** Whole seconds. */
  began_at: Date;
  /** The embedded database's folder (real path) it began in; null on PostgreSQL and in memory. */
  folder: string | null;
}

/** The shop's tables, as the migrations in `migrations.ts` create them. */
export interface ShopTables {
  shop_stock: StockTable;
  shop_orders: OrdersTable;
  shop_record_start: RecordStartTable;
}
