import path from "node:path";
import { fileURLToPath } from "node:url";

import { ConfigError } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { defaultDatabaseDir, loadConfig } from "./config.js";

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

/** The one problem the configuration finds with SHOP_API_DATABASE_URL=`url`. */
function urlProblem(url: string): string | undefined {
  const found = problems({ SHOP_API_DATABASE_URL: url });
  expect(found).toHaveLength(1);
  return found[0];
}

describe("loadConfig", () => {
  it("needs no environment at all for the local demo", () => {
    expect(loadConfig({})).toEqual({
      port: 4020,
      host: "127.0.0.1",
      issuer: "https://localhost:4010/",
      audience: "sample-shop-api",
      requireAuthorizationDetails: true,
      logLevel: "info",
      database: { kind: "embedded", location: defaultDatabaseDir({}) },
      tokenCacheSize: 10_000,
      shortLived: false,
      issuerWaitMs: 0,
    });
  });

  it("waits for a refusing issuer at start only as long as SHOP_API_ISSUER_WAIT_MS says", () => {
    expect(loadConfig({ SHOP_API_ISSUER_WAIT_MS: " 30000 " }).issuerWaitMs).toBe(30_000);
    for (const bad of ["-1", "1.5", "30s", "600001"]) {
      expect(() => loadConfig({ SHOP_API_ISSUER_WAIT_MS: bad })).toThrow(
        /SHOP_API_ISSUER_WAIT_MS must be a whole number of milliseconds from 0 \(no wait\) to 600000/,
      );
    }
  });

  it("marks a shop short-lived with SHOP_API_SHORT_LIVED=true, and refuses another word", () => {
    expect(loadConfig({ SHOP_API_SHORT_LIVED: "true" }).shortLived).toBe(true);
    expect(loadConfig({ SHOP_API_SHORT_LIVED: "false" }).shortLived).toBe(false);
    // Its embedded database too (a small shared memory); PostgreSQL's is the server's own.
    expect(
      loadConfig({ SHOP_API_SHORT_LIVED: "true", SHOP_API_DATABASE: ":memory:" }).database,
    ).toEqual({ kind: "embedded", location: ":memory:", shortLived: true });
    expect(loadConfig({ SHOP_API_SHORT_LIVED: "false" }).database).not.toHaveProperty("shortLived");
    expect(
      loadConfig({ SHOP_API_SHORT_LIVED: "true", SHOP_API_DATABASE_URL: "postgres://db/shop" })
        .database,
    ).toEqual({ kind: "postgres", url: "postgres://db/shop" });
    expect(() => loadConfig({ SHOP_API_SHORT_LIVED: "yes" })).toThrow(
      /SHOP_API_SHORT_LIVED must be 'true' or 'false'/,
    );
  });

  it("sizes the verified-token cache with SHOP_API_TOKEN_CACHE_SIZE; 0 turns it off", () => {
    expect(loadConfig({ SHOP_API_TOKEN_CACHE_SIZE: "0" }).tokenCacheSize).toBe(0);
    expect(loadConfig({ SHOP_API_TOKEN_CACHE_SIZE: " 500 " }).tokenCacheSize).toBe(500);
    expect(loadConfig({ SHOP_API_TOKEN_CACHE_SIZE: "1000000" }).tokenCacheSize).toBe(1_000_000);
    for (const bad of ["-1", "1.5", "1e3", "ten", "1000001"]) {
      expect(() => loadConfig({ SHOP_API_TOKEN_CACHE_SIZE: bad })).toThrow(
        /SHOP_API_TOKEN_CACHE_SIZE must be a whole number from 0 \(no cache\) to 1000000/,
      );
    }
  });

  it("builds the issuer from AUTH0_DOMAIN like Auth0's SDKs do", () => {
    expect(loadConfig({ AUTH0_DOMAIN: "acme.us.auth0.com" }).issuer).toBe(
      "https://acme.us.auth0.com/",
    );
    // A local tenant on an IPv6 address, written as a URL writes it.
    expect(loadConfig({ AUTH0_DOMAIN: "[::1]:4010" }).issuer).toBe("https://[::1]:4010/");
  });

  it("prefers an explicit AUTH0_ISSUER_BASE_URL, kept byte for byte", () => {
    const config = loadConfig({
      AUTH0_DOMAIN: "ignored.example",
      AUTH0_ISSUER_BASE_URL: "https://login.example.com/tenant/",
    });
    expect(config.issuer).toBe("https://login.example.com/tenant/");
  });

  it("allows plain http for loopback issuers only", () => {
    expect(loadConfig({ AUTH0_ISSUER_BASE_URL: "http://127.0.0.1:4010/" }).issuer).toBe(
      "http://127.0.0.1:4010/",
    );
    for (const issuer of [
      "http://localhost:4010/",
      "http://127.0.0.2:4010/",
      "http://[::1]:4010/",
      "http://[0:0:0:0:0:0:0:1]:4010/",
    ]) {
      expect(loadConfig({ AUTH0_ISSUER_BASE_URL: issuer }).issuer).toBe(issuer);
    }
    for (const issuer of [
      "http://tenant.example/",
      "http://128.0.0.1/",
      "http://localhost.example/",
      "http://[::2]/",
    ]) {
      expect(problems({ AUTH0_ISSUER_BASE_URL: issuer })).toEqual([
        `AUTH0_ISSUER_BASE_URL must use https (plain http is allowed only for a loopback address: localhost, 127.0.0.0/8 or [::1]) (got "${issuer}")`,
      ]);
    }
  });

  it("reads every variable", () => {
    expect(
      loadConfig({
        SHOP_API_PORT: "5000",
        SHOP_API_HOST: "0.0.0.0",
        SHOP_API_AUDIENCE: "https://api.example.com",
        SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "true",
        LOG_LEVEL: "debug",
      }),
    ).toMatchObject({
      port: 5000,
      host: "0.0.0.0",
      audience: "https://api.example.com",
      requireAuthorizationDetails: true,
      logLevel: "debug",
    });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ SHOP_API_PORT: "", AUTH0_DOMAIN: "", LOG_LEVEL: "" })).toMatchObject({
      port: 4020,
      issuer: "https://localhost:4010/",
      logLevel: "info",
    });
  });

  it("treats AUTH0_DOMAIN= and SHOP_API_AUDIENCE=, empty or blank, as unset: the defaults apply", () => {
    for (const value of ["", "  ", "\t"]) {
      expect(
        loadConfig({
          AUTH0_DOMAIN: value,
          AUTH0_ISSUER_BASE_URL: value,
          SHOP_API_AUDIENCE: value,
          SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: value,
        }),
      ).toEqual(loadConfig({}));
    }
  });

  it("lists every problem at once, each with its variable", () => {
    const error = (() => {
      try {
        loadConfig({
          SHOP_API_PORT: "http",
          AUTH0_DOMAIN: "https://acme.us.auth0.com/",
          AUTH0_ISSUER_BASE_URL: "not a url",
          SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "yes",
          LOG_LEVEL: "loud",
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();

    expect(error.problems.map((p) => p.split(" ")[0])).toEqual([
      "SHOP_API_PORT",
      "AUTH0_DOMAIN",
      "AUTH0_ISSUER_BASE_URL",
      "SHOP_API_REQUIRE_AUTHORIZATION_DETAILS",
      "LOG_LEVEL",
    ]);
    expect(error.message).toContain(
      "Invalid shop-api configuration:\n  - SHOP_API_PORT must be a port number",
    );
    expect(error.message).toContain("AUTH0_DOMAIN must be a bare host[:port]");
    expect(error.message).toContain("set AUTH0_ISSUER_BASE_URL for a full URL");
    expect(error.message).toContain(
      `SHOP_API_REQUIRE_AUTHORIZATION_DETAILS must be 'true' or 'false' (got "yes")`,
    );
  });

  it.each(["70000", "-1", "80.5"])("refuses SHOP_API_PORT=%s", (port) => {
    expect(problems({ SHOP_API_PORT: port })[0]).toMatch(/^SHOP_API_PORT must be/);
  });

  it.each(["acme.us.auth0.com/", "acme.us.auth0.com/path", "user@host", "host:port", "::1:4010"])(
    "refuses AUTH0_DOMAIN=%s",
    (domain) => {
      expect(problems({ AUTH0_DOMAIN: domain })[0]).toMatch(/^AUTH0_DOMAIN must be a bare host/);
    },
  );

  it("refuses an issuer URL with credentials, a query or a fragment", () => {
    expect(problems({ AUTH0_ISSUER_BASE_URL: "https://u:p@t.example/" })[0]).toContain("user name");
    expect(problems({ AUTH0_ISSUER_BASE_URL: "https://t.example/?x=1" })[0]).toContain("query");
    expect(problems({ AUTH0_ISSUER_BASE_URL: "ftp://t.example/" })[0]).toContain("https");
  });
});

describe("loadConfig: the database", () => {
  it("keeps the embedded database in the repository's git-ignored .data folder by default", () => {
    const repo = fileURLToPath(new URL("../../..", import.meta.url));
    expect(loadConfig({ XDG_DATA_HOME: "/data/me" }).database).toEqual({
      kind: "embedded",
      location: path.join(repo, ".data", "shop-api"),
    });
  });

  // Installed, the default was dist/.data/shop-api inside node_modules: a reinstall deleted it,
  // and an approval already spent bought again.
  it.runIf(process.platform !== "win32")(
    "keeps it in the user's data folder, outside node_modules, when installed",
    () => {
      const installed = "/work/app/node_modules/@ciba-testbed/shop-api/dist";
      expect(defaultDatabaseDir({ HOME: "/home/me" }, installed)).toBe(
        "/home/me/.local/share/ciba-testbed/shop-api",
      );
      expect(defaultDatabaseDir({ HOME: "/home/me", XDG_DATA_HOME: "/data/me" }, installed)).toBe(
        "/data/me/ciba-testbed/shop-api",
      );
      // The XDG Base Directory specification: a relative path is ignored.
      expect(defaultDatabaseDir({ HOME: "/home/me", XDG_DATA_HOME: "data" }, installed)).toBe(
        "/home/me/.local/share/ciba-testbed/shop-api",
      );
    },
  );

  it("takes :memory: as it is, and a folder relative to where the command was run", () => {
    expect(loadConfig({ SHOP_API_DATABASE: ":memory:" }).database).toEqual({
      kind: "embedded",
      location: ":memory:",
    });
    expect(
      loadConfig({ SHOP_API_DATABASE: "data/shop", INIT_CWD: "/home/me/work" }).database,
    ).toEqual({ kind: "embedded", location: "/home/me/work/data/shop" });
  });

  it("uses PostgreSQL when SHOP_API_DATABASE_URL is set", () => {
    const url = "postgresql://shop:secret@db.internal:5432/shop";
    expect(loadConfig({ SHOP_API_DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
  });

  it("refuses a URL that is not PostgreSQL's without echoing its password", () => {
    const found = problems({ SHOP_API_DATABASE_URL: "mysql://shop:hunter2@db/shop" });
    expect(found).toEqual([
      "SHOP_API_DATABASE_URL must be a PostgreSQL URL: postgres:// or postgresql://",
    ]);
    expect(problems({ SHOP_API_DATABASE_URL: "shop:hunter2@db" }).join()).not.toContain("hunter2");
  });

  it.each(["postgresql:buyer:SECRET@127.0.0.1:5149/shop", "postgresql:\\\\buyer:SECRET@db/shop"])(
    "refuses a URL without // before its user and host, hiding it whole: %j",
    (value) => {
      const found = problems({ SHOP_API_DATABASE_URL: value });
      expect(found).toEqual([
        "SHOP_API_DATABASE_URL must begin with postgres:// or postgresql:// (two slashes before the user and host), such as 'postgres://shop:secret@db.internal:5432/shop'",
      ]);
      expect(found.join()).not.toContain("SECRET");
    },
  );

  it.each([
    "postgresql:///shop?host=/var/run/postgresql",
    "postgresql://%2Fvar%2Frun%2Fpostgresql/shop",
    "postgresql://shop@/shop?host=/tmp",
    "postgresql://shop:secret@/shop?host=/tmp&port=5433",
  ])("takes libpq's URL forms for a Unix socket: %j", (url) => {
    expect(loadConfig({ SHOP_API_DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
  });

  it("refuses a URL with no host, naming the socket forms node-postgres connects by, unless PGHOST names one", () => {
    for (const url of ["postgresql:///shop", "postgresql://shop:hunter2@/shop", "postgresql://"]) {
      const found = problems({ SHOP_API_DATABASE_URL: url });
      expect(found).toEqual([
        "SHOP_API_DATABASE_URL names no host, which libpq reads as its default Unix socket but node-postgres does not (it would connect to localhost:5432 over TCP): name the socket's folder, 'postgresql:///shop?host=/var/run/postgresql' or 'postgresql://%2Fvar%2Frun%2Fpostgresql/shop', or a host, 'postgresql://localhost/shop'",
      ]);
      expect(found.join()).not.toContain("hunter2");
    }
    const url = "postgresql:///shop";
    expect(
      loadConfig({ SHOP_API_DATABASE_URL: url, PGHOST: "/var/run/postgresql" }).database,
    ).toEqual({ kind: "postgres", url });
  });

  it.each([
    "postgresql://shop:hunter2@db1:5432,db2:5432/shop",
    "postgresql://shop:hunter2@db1,db2/shop",
    "postgresql://shop:hunter2@/shop?host=db1,db2",
  ])("refuses several hosts, which node-postgres cannot try in turn: %j", (url) => {
    expect(urlProblem(url)).toBe(
      "SHOP_API_DATABASE_URL names several hosts (host1:port1,host2:port2), which libpq tries in turn but node-postgres cannot: name one, such as 'postgresql://db.internal:5432/shop' (the primary, or a proxy in front of several)",
    );
  });

  it.each([
    "postgresql://shop:pa#SECRET@db:5432/shop",
    "postgresql://shop:pa?SECRET@db:5432/shop",
    "postgresql://shop:pa/SECRET@db:5432/shop",
    // Digits first: the URL parses, with the user as its host and the digits as its port.
    "postgresql://shop:12#SECRET@db:5432/shop",
    "postgresql://shop:12?SECRET@db:5432/shop",
    "postgresql://shop:12?x=SECRET@db/shop",
    "postgresql://shop:12/SECRET@db:5432/shop",
    "postgresql://shop:ab,c/SECRET==@db/shop",
  ])("refuses a password with / ? or # not percent-encoded, quoting none of it: %j", (url) => {
    // Quoting nothing of the URL: the message is this one, word for word.
    expect(urlProblem(url)).toBe(
      `SHOP_API_DATABASE_URL has a "/", "?" or "#" before its last "@": a URL's user name and password end at the first of these, so one in the password must be percent-encoded (/ as %2F, ? as %3F, # as %23, @ as %40), e.g. 'postgres://shop:p%40ss%2Fw%3Frd@db.internal:5432/shop'`,
    );
  });

  it.each([
    "postgresql://db.internal/shop?user=ops@example.com",
    "postgresql://shop@db.internal/shop?host=/tmp&application_name=shop@eu",
    "postgresql://shop:p%40ss%2Fw%3Frd%23@db.internal:5432/shop",
  ])("takes an @ in a query parameter's value, and a password percent-encoded: %j", (url) => {
    expect(loadConfig({ SHOP_API_DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
  });

  it("sizes the PostgreSQL pool with SHOP_API_DATABASE_POOL_SIZE, from 1 to 1000", () => {
    const url = "postgresql://shop@db.internal/shop";
    expect(
      loadConfig({ SHOP_API_DATABASE_URL: url, SHOP_API_DATABASE_POOL_SIZE: " 3 " }).database,
    ).toEqual({ kind: "postgres", url, poolSize: 3 });
    for (const bad of ["0", "-1", "2.5", "ten", "1001"]) {
      expect(problems({ SHOP_API_DATABASE_URL: url, SHOP_API_DATABASE_POOL_SIZE: bad })).toEqual([
        `SHOP_API_DATABASE_POOL_SIZE must be a whole number of connections from 1 to 1000 (got "${bad}")`,
      ]);
    }
    expect(problems({ SHOP_API_DATABASE_POOL_SIZE: "3" })).toEqual([
      "SHOP_API_DATABASE_POOL_SIZE is the size of the pool of PostgreSQL connections, set with SHOP_API_DATABASE_URL: the embedded database has one connection; unset it, or set SHOP_API_DATABASE_URL",
    ]);
  });

  it("refuses a numeric URL parameter node-postgres would misread, quoting it as written", () => {
    const url = (query: string) => ({
      SHOP_API_DATABASE_URL: `postgresql://shop:hunter2@127.0.0.1:5432/shop?${query}`,
    });
    const ms =
      "a whole number of milliseconds, such as 5000 (node-postgres reads only its leading " +
      "digits: a unit, 5s, is not understood)";
    for (const [query, problem] of [
      ["statement_timeout=abc", `has statement_timeout="abc": it must be ${ms}`],
      ["statement_timeout=5s", `has statement_timeout="5s": it must be ${ms}`],
      ["sslmode=disable&lock_timeout=-1", `has lock_timeout="-1": it must be ${ms}`],
      [
        "idle_in_transaction_session_timeout=1.5",
        `has idle_in_transaction_session_timeout="1.5": it must be ${ms}`,
      ],
      ["query_timeout=", `has query_timeout="": it must be ${ms}`],
      ["statement_timeout=99999999999", `has statement_timeout="99999999999": it must be ${ms}`],
      ["port=abc", 'has port="abc": it must be a port number from 1 to 65535'],
      ["port=70000", 'has port="70000": it must be a port number from 1 to 65535'],
    ] as const) {
      const found = problems(url(query));
      expect(found).toEqual([`SHOP_API_DATABASE_URL ${problem}`]);
      expect(found.join()).not.toContain("hunter2");
    }
    for (const query of [
      "statement_timeout=0",
      "statement_timeout=2000&lock_timeout=100",
      "port=5433",
    ]) {
      expect(loadConfig(url(query)).database.kind).toBe("postgres");
    }
  });

  it("refuses a URL in SHOP_API_DATABASE, which would otherwise become a folder named after it", () => {
    for (const value of [
      "postgres://shop:pw@localhost/shop",
      "postgresql://db/shop",
      "file:///tmp/x",
      "postgresql:/db.internal/shop",
      "postgres:shop",
      "POSTGRES://db/shop",
      "jdbc:postgresql://db.internal:5432/shop",
      "jdbc:postgresql://shop:pw@db.internal:5432/shop",
      "jdbc:postgresql:shop",
      "x:postgres:shop",
      "x:PostgreSQL:/db/shop",
      "jdbc:sqlite:shop.db",
      "mysql://db/shop",
    ]) {
      const shown = value.replace("shop:pw@", "***@");
      expect(problems({ SHOP_API_DATABASE: value })).toEqual([
        `SHOP_API_DATABASE is the embedded database's folder, not a URL (got "${shown}"): for PostgreSQL set SHOP_API_DATABASE_URL instead`,
      ]);
    }
    for (const folder of ["data/postgres:5432", "C:/data/shop", "./jdbc/postgresql:5432/shop"]) {
      expect(loadConfig({ SHOP_API_DATABASE: folder }).database, folder).toMatchObject({
        kind: "embedded",
      });
    }
  });

  it("refuses both variables at once, with the other problems", () => {
    expect(
      problems({
        SHOP_API_DATABASE: "/var/lib/shop",
        SHOP_API_DATABASE_URL: "postgres://db/shop",
        SHOP_API_PORT: "x",
      }),
    ).toEqual([
      'SHOP_API_PORT must be a port number (got "x")',
      "SHOP_API_DATABASE and SHOP_API_DATABASE_URL are both set: set SHOP_API_DATABASE for the embedded database, or SHOP_API_DATABASE_URL for PostgreSQL, not both",
    ]);
  });
});
