import { spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  constants,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { emptyShopDatabase } from "../../../../scripts/stack/shop-database.js";
import { Catalog } from "../catalog.js";
import { allOrdersOf } from "../test-support/test-orders.js";

import {
  connectionSettings,
  DatabaseOpenError,
  MAKING_MARKER,
  openDatabase,
  redactDatabaseUrl,
  type ShopDatabase,
} from "./open-database.js";
import { openShopStore } from "./open-shop-store.js";
import { SqlShopStore } from "./sql-shop-store.js";

describe("the embedded database", () => {
  let copy: Awaited<ReturnType<typeof emptyShopDatabase>>;
  let database: ShopDatabase;
  let confBefore: string;

  // A copy of an empty cluster, as the stack's shops open: initdb wrote 128 MB of shared
  // buffers into its postgresql.conf.
  beforeAll(async () => {
    copy = await emptyShopDatabase();
    confBefore = readFileSync(path.join(copy.folder, "postgresql.conf"), "utf8");
    database = await openDatabase({ kind: "embedded", location: copy.folder });
  });
  afterAll(async () => {
    await database.close();
    await copy.remove();
  });

  it("runs with 16 MB of shared buffers, set on the command line: the folder's postgresql.conf stays as it was", async () => {
    expect(confBefore).toMatch(/^shared_buffers = 128MB/m);
    const { rows } = await sql<{
      shared_buffers: string;
    }>`show shared_buffers`.execute(database.db);
    expect(rows).toEqual([{ shared_buffers: "16MB" }]);
    expect(readFileSync(path.join(copy.folder, "postgresql.conf"), "utf8")).toBe(confBefore);
  });

  it("starts a new WAL file without filling it with zeros first, which would stop every request in flight", async () => {
    const { rows } = await sql<{
      wal_init_zero: string;
    }>`show wal_init_zero`.execute(database.db);
    expect(rows).toEqual([{ wal_init_zero: "off" }]);
  });
});

describe("the embedded database of a short-lived shop", () => {
  let copy: Awaited<ReturnType<typeof emptyShopDatabase>>;
  let database: ShopDatabase;

  beforeAll(async () => {
    copy = await emptyShopDatabase();
    database = await openDatabase({ kind: "embedded", location: copy.folder, shortLived: true });
  });
  afterAll(async () => {
    await database.close();
    await copy.remove();
  });

  it("runs with 1 MB of shared buffers and 5 connections, and sells from tables larger than that", async () => {
    const setting = async (name: string) =>
      (await sql<{ value: string }>`select current_setting(${name}) as value`.execute(database.db))
        .rows[0]?.value;
    expect(await setting("shared_buffers")).toBe("1MB");
    expect(await setting("max_connections")).toBe("5");

    // 20,000 orders, several times what the buffers hold: PostgreSQL reads the rest back from
    // its files, and the store answers as from any other database.
    const store = new SqlShopStore(database.db);
    await store.addProducts([
      { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900, stock: 100_000 },
    ]);
    await sql`
      insert into shop_orders (
        id, product_id, product_name, quantity, unit_price_cents, total_cents, currency, status,
        created_at, sub, azp, authorization_details_matched, approval_id
      )
      select 'order-' || n, 'xyz-phone', 'XYZ phone', 1, 49900, 49900, 'USD', 'confirmed',
        now(), 'auth0|buyer-' || (n % 10), 'agent', true, 'approval-' || n
      from generate_series(1, 20000) as n
    `.execute(database.db);
    const { rows } = await sql<{
      bytes: string;
    }>`select pg_total_relation_size('shop_orders') as bytes`.execute(database.db);
    expect(Number(rows[0]?.bytes)).toBeGreaterThan(4 * 1024 * 1024);
    const orders = await allOrdersOf(store, "auth0|buyer-3");
    expect(orders).toHaveLength(2_000);
    expect(orders.every((order) => order.authorization.sub === "auth0|buyer-3")).toBe(true);
    expect(await store.findByApprovalId("approval-19993")).toMatchObject({ id: "order-19993" });
  });
});

describe("redactDatabaseUrl", () => {
  it("hides a password in the user part and in the query, which node-postgres reads too", () => {
    expect(
      redactDatabaseUrl(
        "postgres://shop:hunter2@db.example:5432/shop?password=hunter3&sslmode=require",
      ),
    ).toBe("postgres://shop:***@db.example:5432/shop?password=***&sslmode=require");
    expect(redactDatabaseUrl("postgres://shop@db.example/shop")).toBe(
      "postgres://shop@db.example/shop",
    );
  });

  it.each([
    ["postgresql://buyer:p@SECRET/w?rd@db:5432/shop", "postgresql://***"],
    ["postgresql://buyer:p@SE#CRET@db:5432/shop", "postgresql://***@db:5432/shop"],
    ["postgresql://buyer:pa@SE?CRET@db:5432/shop", "postgresql://***@db:5432/shop"],
    ["postgresql://buyer:12/SECRET@db/shop", "postgresql://***@db/shop"],
    ["postgresql:buyer:SECRET@127.0.0.1:5149/shop", "***@127.0.0.1:5149/shop"],
    ["postgresql:\\\\buyer:SECRET@db/shop", "***@db/shop"],
  ])("hides all of a password typed without encoding, %j", (url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });
});

describe("an embedded database folder that cannot be made", () => {
  it("is a DatabaseOpenError naming the folder and SHOP_API_DATABASE, for a file in the way", async () => {
    const copy = await emptyShopDatabase();
    try {
      const location = path.join(copy.folder, "postgresql.conf", "shop");
      await expect(openDatabase({ kind: "embedded", location })).rejects.toThrow(
        new DatabaseOpenError(
          `cannot make the embedded database's folder ${location} (ENOTDIR: ${path.join(copy.folder, "postgresql.conf")} is a file, not a folder): set SHOP_API_DATABASE to a folder this user may write`,
        ),
      );
    } finally {
      await copy.remove();
    }
  });

  // Node 20's recursive mkdir never ends there; /proc is Linux's.
  it.runIf(process.platform === "linux")(
    "is a DatabaseOpenError at once under /proc, which takes no new folders",
    async () => {
      await expect(openDatabase({ kind: "embedded", location: "/proc/shop" })).rejects.toThrow(
        new DatabaseOpenError(
          "cannot make the embedded database's folder /proc/shop (ENOENT: cannot make the folder /proc/shop: /proc exists but takes no new folders): set SHOP_API_DATABASE to a folder this user may write",
        ),
      );
    },
    5_000,
  );
});

describe("an embedded database folder this user may not write", () => {
  // /proc/sys is one even for root; for another user, a folder a run with sudo made. It was a
  // stack trace from the lock's socket ("listen EACCES") or from PostgreSQL's files.
  it.runIf(process.platform === "linux")(
    "is a DatabaseOpenError in one line naming the folder and the fix",
    async () => {
      await expect(openDatabase({ kind: "embedded", location: "/proc/sys" })).rejects.toThrow(
        new DatabaseOpenError(
          "cannot write the embedded database's folder /proc/sys (EACCES): set SHOP_API_DATABASE to a folder this user may write, or give this user the folder (one made by another user, such as a run with sudo, is theirs)",
        ),
      );
    },
  );
});

describe("a damaged embedded database", () => {
  it.each([
    [
      "global/pg_control",
      / PostgreSQL did not start on it \(.+\): the folder is damaged, it has no global\/pg_control\. Restore/,
    ],
    [
      "pg_wal",
      / PostgreSQL did not start on it \(.+\): the folder is damaged, it has no pg_wal\. Restore/,
    ],
    // The shop's own database's folder: nothing tells it is missing but PostgreSQL.
    [
      "base/5",
      / PostgreSQL did not start on it \(.+\): the folder is damaged, or a database of another PostgreSQL version than this PGlite's \(its PG_VERSION says \d+\)\. Restore/,
    ],
  ])("without %s is refused, saying what is missing and what to do", async (damage, said) => {
    const copy = await emptyShopDatabase();
    try {
      rmSync(path.join(copy.folder, damage), { recursive: true });
      const refused = openDatabase({ kind: "embedded", location: copy.folder });
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      await expect(refused).rejects.toThrow(
        new RegExp(`^cannot open the embedded database in ${copy.folder}:${said.source}`),
      );
      await expect(refused).rejects.toThrow(
        /Restore the folder from a backup \(.+\), or set SHOP_API_DATABASE to a new folder$/,
      );
    } finally {
      await copy.remove();
    }
  });
});

describe("shop-api --reset on an embedded database PostgreSQL does not start on", () => {
  // It said "Restore the folder from a backup ...", though the person had asked to empty it.
  it("empties it and makes it anew, saying why", async () => {
    const copy = await emptyShopDatabase();
    try {
      rmSync(path.join(copy.folder, "global/pg_control"));
      writeFileSync(path.join(copy.folder, ".gitkeep"), "");
      const opened = await openShopStore(
        { kind: "embedded", location: copy.folder },
        new Catalog(),
        { reset: true },
      );
      try {
        expect(opened.database.remadeBecause).toMatch(
          new RegExp(
            `^cannot open the embedded database in ${copy.folder}: PostgreSQL did not start on it \\(.+\\): the folder is damaged, it has no global/pg_control\\.`,
          ),
        );
        expect(await allOrdersOf(opened.store, "someone")).toEqual([]);
        expect(existsSync(path.join(copy.folder, "global/pg_control"))).toBe(true);
        // Hidden files are not the database's: left as they were.
        expect(existsSync(path.join(copy.folder, ".gitkeep"))).toBe(true);
      } finally {
        await opened.close();
      }
    } finally {
      await copy.remove();
    }
  }, 60_000);

  it("still refuses, and leaves as it was, a folder with files but no PG_VERSION", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "shop-db-not-a-database-"));
    try {
      writeFileSync(path.join(folder, "notes.txt"), "not a database");
      await expect(
        openShopStore({ kind: "embedded", location: folder }, new Catalog(), { reset: true }),
      ).rejects.toThrow(/it holds files \(notes\.txt\) but no PG_VERSION/);
      expect(readdirSync(folder)).toEqual(["notes.txt"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("is refused as before without --reset", async () => {
    const copy = await emptyShopDatabase();
    try {
      rmSync(path.join(copy.folder, "global/pg_control"));
      await expect(
        openShopStore({ kind: "embedded", location: copy.folder }, new Catalog()),
      ).rejects.toThrow(/Restore the folder from a backup/);
      expect(existsSync(path.join(copy.folder, "PG_VERSION"))).toBe(true);
    } finally {
      await copy.remove();
    }
  }, 60_000);
});

describe("an embedded database folder without PG_VERSION", () => {
  it("is refused when it holds anything, and left as it was: a new database would write over it", async () => {
    const copy = await emptyShopDatabase();
    try {
      // A database that lost its PG_VERSION: opened as a new one, it started empty, and every
      // approval its orders had spent bought again.
      rmSync(path.join(copy.folder, "PG_VERSION"));
      const before = readdirSync(copy.folder).sort();
      const refused = openDatabase({ kind: "embedded", location: copy.folder });
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      await expect(refused).rejects.toThrow(
        new RegExp(
          `^cannot open the embedded database in ${copy.folder}: it holds files \\(.+, \\.\\.\\.\\) but no PG_VERSION, .* Set SHOP_API_DATABASE to a new folder, or restore this one from a backup`,
        ),
      );
      expect(readdirSync(copy.folder).sort()).toEqual(before);
    } finally {
      await copy.remove();
    }
  });

  it("is made a new database when it holds hidden files only (a .gitkeep)", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "shop-db-gitkeep-"));
    try {
      writeFileSync(path.join(folder, ".gitkeep"), "");
      const database = await openDatabase({ kind: "embedded", location: folder });
      await database.close();
      expect(readdirSync(folder)).toContain("PG_VERSION");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.runIf(process.platform !== "win32")(
  "the embedded database's folder and other users",
  () => {
    const modes = (folder: string) =>
      [
        folder,
        ...readdirSync(folder, { recursive: true, encoding: "utf8" }).map((name) =>
          path.join(folder, name),
        ),
      ]
        .map((file) => {
          const { ino, mode } = lstatSync(file);
          return { file, ino, mode };
        })
        .filter(({ mode }) => (mode & constants.S_IFMT) !== constants.S_IFLNK);

    it("is made 0700, whatever the umask: PGlite writes its files 0666", async () => {
      const parent = mkdtempSync(path.join(tmpdir(), "shop-db-private-"));
      const before = process.umask(0o022);
      try {
        const folder = path.join(parent, "a", "shop-api");
        const database = await openDatabase({ kind: "embedded", location: folder });
        expect(database.closedToOthers).toBeUndefined();
        await database.close();
        expect(statSync(folder).mode & 0o777).toBe(0o700);
        expect(statSync(path.join(parent, "a")).mode & 0o777).toBe(0o700);
      } finally {
        process.umask(before);
        rmSync(parent, { recursive: true, force: true });
      }
    }, 60_000);

    it("is closed to others at start when an earlier version left it open, naming the mode it had", async () => {
      const copy = await emptyShopDatabase();
      try {
        // As earlier versions left it: a 0755 folder of 0666 files and 0777 folders.
        for (const { file, mode } of modes(copy.folder)) {
          chmodSync(file, (mode & constants.S_IFMT) === constants.S_IFDIR ? 0o777 : 0o666);
        }
        chmodSync(copy.folder, 0o755);
        const earlier = new Map(modes(copy.folder).map(({ file, ino }) => [file, ino]));
        const database = await openDatabase({ kind: "embedded", location: copy.folder });
        expect(database.closedToOthers).toBe(0o755);
        await database.close();
        // Every file that was there (PostgreSQL writes some anew, following the umask, in a folder
        // nobody else may enter).
        const open = modes(copy.folder).filter(
          ({ file, ino, mode }) => earlier.get(file) === ino && (mode & 0o077) !== 0,
        );
        expect(open.map(({ file }) => file)).toEqual([]);
        expect(statSync(copy.folder).mode & 0o777).toBe(0o700);

        const again = await openDatabase({ kind: "embedded", location: copy.folder });
        expect(again.closedToOthers).toBeUndefined();
        await again.close();
      } finally {
        await copy.remove();
      }
    }, 60_000);

    it.runIf(process.getuid?.() === 0)(
      "is left as it is when it is another user's",
      async () => {
        const copy = await emptyShopDatabase();
        try {
          chmodSync(copy.folder, 0o755);
          chownSync(copy.folder, 65534, 65534);
          const database = await openDatabase({ kind: "embedded", location: copy.folder });
          expect(database.closedToOthers).toBeUndefined();
          await database.close();
          expect(statSync(copy.folder).mode & 0o777).toBe(0o755);
        } finally {
          await copy.remove();
        }
      },
      60_000,
    );
  },
);

describe("an embedded database whose making was stopped", () => {
  // PGlite writes a new cluster's files over about two seconds, PG_VERSION among the last: a
  // first start or --reset stopped meanwhile (Ctrl-C in the first pnpm dev) left a folder that
  // both refused ("it holds files (pg_wal) but no PG_VERSION ... restore this one from a backup").
  it("is made anew by the next start after a kill while its files were written", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "shop-db-killed-"));
    try {
      await killedWhileMaking(folder);
      const names = readdirSync(folder);
      expect(names).not.toContain("PG_VERSION");
      expect(names.filter((name) => !name.startsWith(".")).length).toBeGreaterThan(0);

      const database = await openDatabase({ kind: "embedded", location: folder });
      try {
        expect(database.remadeUnfinished).toBe(true);
        expect(existsSync(path.join(folder, "PG_VERSION"))).toBe(true);
        expect(existsSync(path.join(folder, MAKING_MARKER))).toBe(false);
        const { rows } = await sql<{ n: number }>`select 1 as n`.execute(database.db);
        expect(rows).toEqual([{ n: 1 }]);
      } finally {
        await database.close();
      }
      // Made: the next start opens it as it is.
      const again = await openDatabase({ kind: "embedded", location: folder });
      expect(again.remadeUnfinished).toBeUndefined();
      await again.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it("is made anew by --reset, and by a start when PostgreSQL does not start on what was written", async () => {
    const copy = await emptyShopDatabase();
    try {
      // What a kill after PG_VERSION but before the last files leaves.
      writeFileSync(path.join(copy.folder, MAKING_MARKER), "");
      rmSync(path.join(copy.folder, "global/pg_control"));
      const opened = await openShopStore(
        { kind: "embedded", location: copy.folder },
        new Catalog(),
      );
      try {
        expect(opened.database.remadeUnfinished).toBe(true);
        expect(opened.database.remadeBecause).toBeUndefined();
        expect(existsSync(path.join(copy.folder, MAKING_MARKER))).toBe(false);
        expect(existsSync(path.join(copy.folder, "global/pg_control"))).toBe(true);
      } finally {
        await opened.close();
      }
      // What a kill of --reset before PG_VERSION leaves.
      rmSync(path.join(copy.folder, "PG_VERSION"));
      writeFileSync(path.join(copy.folder, MAKING_MARKER), "");
      const reset = await openShopStore(
        { kind: "embedded", location: copy.folder },
        new Catalog(),
        {
          reset: true,
        },
      );
      try {
        expect(reset.database.remadeUnfinished).toBe(true);
        expect(existsSync(path.join(copy.folder, "PG_VERSION"))).toBe(true);
      } finally {
        await reset.close();
      }
    } finally {
      await copy.remove();
    }
  }, 120_000);

  it("is never emptied once PostgreSQL started on it: its orders stay", async () => {
    const copy = await emptyShopDatabase();
    try {
      const first = await openShopStore({ kind: "embedded", location: copy.folder }, new Catalog());
      await sql`
        insert into shop_orders (
          id, product_id, product_name, quantity, unit_price_cents, total_cents, currency,
          status, created_at, sub, azp, authorization_details_matched, approval_id
        ) values ('order-1', 'xyz-phone', 'XYZ phone', 1, 49900, 49900, 'USD', 'confirmed',
          now(), 'auth0|buyer', 'agent', true, 'approval-1')
      `.execute(first.database.db);
      await first.close();
      // Left by a shop of a version that did not know it, say.
      writeFileSync(path.join(copy.folder, MAKING_MARKER), "");
      const opened = await openShopStore(
        { kind: "embedded", location: copy.folder },
        new Catalog(),
      );
      try {
        expect(opened.database.remadeUnfinished).toBeUndefined();
        expect(await opened.store.findByApprovalId("approval-1")).toMatchObject({ id: "order-1" });
        expect(existsSync(path.join(copy.folder, MAKING_MARKER))).toBe(false);
      } finally {
        await opened.close();
      }
    } finally {
      await copy.remove();
    }
  }, 60_000);
});

/** Makes a new embedded database in the folder its first argument names. */
const MAKER = `
const { openDatabase } = await import(${JSON.stringify(new URL("./open-database.ts", import.meta.url).pathname)});
await openDatabase({ kind: "embedded", location: process.argv[1] });
`;

/**
 * Starts another process that makes a new database in `folder`, and kills it with SIGKILL while
 * it writes the database's files: once the folder holds some, before PG_VERSION.
 */
async function killedWhileMaking(folder: string): Promise<void> {
  const maker = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", MAKER, "--", folder],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise((resolve) => maker.once("exit", resolve));
  try {
    for (;;) {
      const names = readdirSync(folder);
      if (names.includes("PG_VERSION") || maker.exitCode !== null) {
        throw new Error("the database was made before the kill");
      }
      if (names.some((name) => !name.startsWith("."))) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    maker.kill("SIGKILL");
    await exited;
  }
}

describe("connectionSettings", () => {
  it("takes a connection's settings from the URL, never the pool's own options", () => {
    const settings: object = connectionSettings(
      "postgres://shop:secret@db:5433/shop?max=abc&idleTimeoutMillis=1&connectionTimeoutMillis=0&application_name=mine&sslmode=disable",
    );
    expect(settings).toMatchObject({
      user: "shop",
      host: "db",
      port: 5433,
      database: "shop",
      application_name: "mine",
    });
    for (const name of ["max", "idleTimeoutMillis", "connectionTimeoutMillis"]) {
      expect(settings, name).not.toHaveProperty(name);
    }
  });
});
