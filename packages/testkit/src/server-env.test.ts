import { describe, expect, it } from "vitest";

import { serverEnv } from "./server-env.js";

describe("serverEnv", () => {
  it("sets each server's listen address to loopback, so the shell's cannot move it", () => {
    expect(serverEnv("mock-auth0", "warn", {})).toMatchObject({ MOCK_AUTH0_HOST: "127.0.0.1" });
    expect(serverEnv("shop-api", "warn", {})).toMatchObject({ SHOP_API_HOST: "127.0.0.1" });
    expect(serverEnv("model-server", "warn", {})).toMatchObject({
      MODEL_SERVER_HOST: "127.0.0.1",
    });
  });

  it("lets the testbed's own variables for the server win", () => {
    expect(serverEnv("shop-api", "warn", { SHOP_API_HOST: "::1", LOG_LEVEL: "debug" })).toEqual({
      LOG_LEVEL: "debug",
      SHOP_API_HOST: "::1",
      SHOP_API_SHORT_LIVED: "true",
    });
  });
});
