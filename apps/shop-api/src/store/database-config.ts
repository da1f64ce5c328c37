/**
 * Where the shop's data lives, as the configuration names it. Apart from `open-database.ts`, so
 * that reading the configuration (and `--help`, and a start that stops at a configuration error)
 * loads no database driver.
 */

/** `SHOP_API_DATABASE` for a database that lives and dies with the process. */
export const IN_MEMORY = ":memory:";

export type DatabaseConfig =
  /**
   * PGlite (PostgreSQL compiled to WebAssembly) in this process: a folder, or `:memory:`.
   * `shortLived` (`SHOP_API_SHORT_LIVED=true`): opened for one test, demo or testbed, with a
   * small shared memory (`SHORT_LIVED_START_PARAMS` in open-database.ts).
   */
  | { kind: "embedded"; location: string; shortLived?: boolean }
  /**
   * A PostgreSQL server, shared by any number of shop-api processes. `poolSize`
   * (`SHOP_API_DATABASE_POOL_SIZE`): how many connections this process holds at most; unset,
   * `DEFAULT_POOL_SIZE`.
   */
  | { kind: "postgres"; url: string; poolSize?: number };

/**
 * How many PostgreSQL connections a shop holds at most unless SHOP_API_DATABASE_POOL_SIZE says
 * otherwise: node-postgres' own default.
 */
export const DEFAULT_POOL_SIZE = 10;

/** The largest SHOP_API_DATABASE_POOL_SIZE taken. */
export const MAX_POOL_SIZE = 1000;
