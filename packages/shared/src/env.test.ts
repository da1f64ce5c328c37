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
