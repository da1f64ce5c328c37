import { describe, expect, it } from "vitest";
import { z } from "zod";

import { ConfigError, parseEnv, portSchema } from "./env.js";
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
        '  - SHOP_API_DATABASE must be a folder (got "postgres://shop:***@db.example/shop?sslpassword=***")',
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
});
