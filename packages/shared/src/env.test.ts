import { describe, expect, it } from "vitest";
import { z } from "zod";

import { ConfigError, hideCredentials, parseEnv, portSchema } from "./env.js";
import { logLevelSchema } from "./http/log-level.js";

const schema = z.object({
  PORT: portSchema.default(4020),
  NAME: z.string().default("shop"),
  LOG_LEVEL: logLevelSchema.default("info"),
});

describe("parseEnv", () => {
  it("applies defaults for unset, empty and blank variables", () => {
    expect(parseEnv(schema, { PORT: "", NAME: "  " }, { app: "shop-api" })).toEqual({
      PORT: 4020,
      NAME: "shop",
      LOG_LEVEL: "info",
    });
  });

  it("shows no secret's value, nor a URL's password: a terminal and a CI log keep the message", () => {
    const schema = z.object({
      AUTH0_SECRET: z.string().min(32, "must be at least 32 characters"),
      SHOP_API_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters"),
      SHOP_API_DATABASE: z.string().startsWith("file:", "must be a folder"),
    });
    expect(() =>
      parseEnv(
        schema,
        {
          AUTH0_SECRET: "0123456789abcdef0123456789abcde",
          SHOP_API_ADMIN_TOKEN: "short",
          SHOP_API_DATABASE: "postgres://shop:hunter2@db.example/shop?sslpassword=hunter3",
        },
        { app: "app" },
      ),
    ).toThrow(
      "Invalid app configuration:\n" +
        "  - AUTH0_SECRET must be at least 32 characters (got 31 characters, not shown)\n" +
        "  - SHOP_API_ADMIN_TOKEN must be at least 16 characters (got 5 characters, not shown)\n" +
        '  - SHOP_API_DATABASE must be a folder (got "postgres://***@db.example/shop?sslpassword=***")',
    );
  });

  it("lists every problem, naming the variable, the option and the value", () => {
    const attempt = () =>
      parseEnv(
        schema,
        { PORT: "70000", LOG_LEVEL: "loud" },
        { app: "shop-api", optionOf: { PORT: "--port" } },
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      [
        "Invalid shop-api configuration:",
        '  - PORT (or --port) must be 0 to 65535 (got "70000")',
        '  - LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
      ].join("\n"),
    );
  });

  it("shows a number whose name merely holds TOKEN", () => {
    const schema = z.object({
      SHOP_API_TOKEN_CACHE_SIZE: z.coerce.number({ invalid_type_error: "must be a count" }),
    });
    expect(() => parseEnv(schema, { SHOP_API_TOKEN_CACHE_SIZE: "abc" }, { app: "app" })).toThrow(
      'SHOP_API_TOKEN_CACHE_SIZE must be a count (got "abc")',
    );
  });

  it("writes a control character out as \\u{001B}, and leaves a backslash typed before u as typed", () => {
    const schema = z.object({ MODE: z.enum(["a"]) });
    expect(() => parseEnv(schema, { MODE: "x\u001b[31m" }, { app: "app" })).toThrow(
      '(got "x\\u{001B}[31m")',
    );
    expect(() => parseEnv(schema, { MODE: "x\\u001b" }, { app: "app" })).toThrow(
      '(got "x\\\\u001b")',
    );
  });
});

describe("hideCredentials", () => {
  it.each([
    ["ftp://host/v1?api_key=SECRET", "ftp://host/v1?api_key=***"],
    ["https://SECRET@api.example.com/v1", "https://***@api.example.com/v1"],
    ["https://u:SECRET@api.example.com:99999/v1", "https://***@api.example.com:99999/v1"],
    ["https://u:SE@C/RET@[::1/api", "https://***@[::1/api"],
    ["localhost:5898/api?token=SECRET", "localhost:5898/api?token=***"],
    ["redis://localhost/0?pass=SECRET&db=2", "redis://localhost/0?pass=***&db=***"],
    ["redis://localhost/0#SECRET", "redis://localhost/0#***"],
    ["rediss://[::1]:5880/0?SECRET#SECRET", "rediss://[::1]:5880/0?***#***"],
    ["u:SECRET@host", "***@host"],
    ["jdbc:postgresql://u:SECRET@db:5432/shop", "jdbc:postgresql://***@db:5432/shop"],
    ["approver?token=SECRET/", "approver?token=***"],
    [
      "postgres://shop:pw@db/shop?sslmode=require&password=SECRET",
      "postgres://***@db/shop?sslmode=***&password=***",
    ],
    // An "@" in the query or the fragment is theirs, not the end of a user part.
    [
      "http://127.0.0.1:5899/api/products?notify=ops@example.com&api_key=SECRET",
      "http://127.0.0.1:5899/api/products?notify=***&api_key=***",
    ],
    ["http://h/api/purchases?api_key=SE@CRET", "http://h/api/purchases?api_key=***"],
    ["http://u:SE@CRET@host/a?to=x@y", "http://***@host/a?to=***"],
    // A password typed without encoding may hold a "?" or "#" before the "@" that ends it.
    [
      "http://buyer:SECRET?x@127.0.0.1:5120/api/purchases",
      "http://***@127.0.0.1:5120/api/purchases",
    ],
    ["http://buyer:SE#CRET@127.0.0.1:5899/api/products", "http://***@127.0.0.1:5899/api/products"],
    ["redis://:SECRET?#x@redis.internal", "redis://***@redis.internal"],
    ["http://h?api_key=SE@CRET", "http://h?api_key=***"],
    // ... and a "/" before it, or stand alone, as a token does.
    [
      "http://buyer:SE/CRET?x@127.0.0.1:5120/api/purchases",
      "http://***@127.0.0.1:5120/api/purchases",
    ],
    [
      "http://buyer:SECRET/?x@127.0.0.1:5120/api/purchases",
      "http://***@127.0.0.1:5120/api/purchases",
    ],
    ["http://SECRET?x@127.0.0.1:5120/api/purchases", "http://***@127.0.0.1:5120/api/purchases"],
    ["http://buyer:1234?SECRET@db:5432/shop", "http://***@db:5432/shop"],
    [
      "postgres://u:SE?C/R#ET@db:5432/shop?sslmode=require",
      "postgres://***@db:5432/shop?sslmode=***",
    ],
    ["http://buyer:SE@C?RET@host/p", "http://***@host/p"],
    ["http://buyer:SE?C@R/ET@host/p", "http://***@host/p"],
    ["http://buyer:SE?CRET@host/p?notify=ops@example.com", "http://***@host/p?notify=***"],
    // A password that opens with "?": a ":" with no port after it is no host's.
    ["postgres://u:?SECRET=@db/shop", "postgres://***@db/shop"],
    ["redis://:?SECRET=x@h:1/0", "redis://***@h:1/0"],
    ["https://u:?a=SECRET@h/x", "https://***@h/x"],
    // Read either way (a token "SE/CRET?x", or a query "x@host"), nothing after the scheme shows.
    ["http://SE/CRET?x@127.0.0.1/api", "http://***"],
    ["http://h/a#SE@CRET", "http://***"],
    ["http://u:SECRET@host/a#tok@en", "http://***"],
    ["http://buyer:SE@CR/ET?x@127.0.0.1:5120/api/purchases", "http://***"],
    ["postgresql://buyer:SE@CR/E#T@db:5432/shop", "postgresql://***"],
    // JDBC's parameters after a ";".
    [
      "jdbc:sqlserver://db:1433;user=sa;password=SECRET",
      "jdbc:sqlserver://db:1433;user=***;password=***",
    ],
    // A braced value holds ";" and "}}"; one whose brace never closes runs to the end.
    ["jdbc:sqlserver://db;password={SEC;RET};user=sa", "jdbc:sqlserver://db;password=***;user=***"],
    ["jdbc:sqlserver://db;password={SE}}C;RET}", "jdbc:sqlserver://db;password=***"],
    ["jdbc:sqlserver://db;password={SEC;RET", "jdbc:sqlserver://db;password=***"],
    // ... and any other character, before the user part and the query are looked for.
    [
      "jdbc:sqlserver://db;password={SE?CRET;x};user=sa",
      "jdbc:sqlserver://db;password=***;user=***",
    ],
    ["jdbc:sqlserver://db;password={SE@CRET};user=sa", "jdbc:sqlserver://db;password=***;user=***"],
    [
      "jdbc:sqlserver://db;password = {SEC;RET};user=sa",
      "jdbc:sqlserver://db;password =***;user=***",
    ],
    // An unbraced value runs to the next ";", whatever it holds.
    ["jdbc:sqlserver://db;password=SE?C#RET;user=sa", "jdbc:sqlserver://db;password=***;user=***"],
    ["jdbc:sqlserver://db;password=SE@CRET;user=sa", "jdbc:sqlserver://***"],
  ])("hides what could be a credential in %j", (value, shown) => {
    expect(hideCredentials(value)).toBe(shown);
    expect(hideCredentials(value)).not.toContain("SECRET");
  });

  it("hides a JDBC password whole, whatever characters it holds, braced or not", () => {
    const specials = ["/", "?", "#", "@", ";", "{", "}", "=", "%", ":", " "];
    for (const a of specials) {
      for (const b of specials) {
        for (const password of [`SE${a}CR${b}ET`, `${a}SECRET${b}`, `${a}${b}SECRET`]) {
          const braced = `{${password.replaceAll("}", "}}")}}`;
          for (const [value, shown] of [
            [
              `jdbc:sqlserver://db;password=${braced};user=sa`,
              "jdbc:sqlserver://db;password=***;user=***",
            ],
            [
              `jdbc:sqlserver://db;password = ${braced};user=sa`,
              "jdbc:sqlserver://db;password =***;user=***",
            ],
            [
              `jdbc:sqlserver://db:1433;user=sa;password=${braced}`,
              "jdbc:sqlserver://db:1433;user=***;password=***",
            ],
          ]) {
            expect(hideCredentials(value ?? "")).toBe(shown);
          }
          // Unbraced, a value ends at the next ";" (and cannot start with "{").
          if (!password.includes(";") && !password.startsWith("{")) {
            expect(hideCredentials(`jdbc:sqlserver://db;password=${password};user=sa`)).not.toMatch(
              /[SECRT]/,
            );
          }
        }
      }
    }
  });

  it.each([
    ["http://localhost:4520/api/purchases"],
    ["/tmp/agent-store"],
    ["70000"],
    ["loud"],
    ["https://h/?"],
  ])("returns %j as typed: nothing in it could be a credential", (value) => {
    expect(hideCredentials(value)).toBe(value);
  });
});
