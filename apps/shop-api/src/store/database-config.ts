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
  /** A PostgreSQL server, shared by any number of shop-api processes. */
  | { kind: "postgres"; url: string };
