import { describe, expect, it } from "vitest";

import { serverEnv } from "./server-env.js";

describe("serverEnv", () => {
  it("sets each server's listen address to loopback, so the shell's cannot move it", () => {
    expect(serverEnv("mock-auth0", "warn", {}, {})).toMatchObject({ MOCK_AUTH0_HOST: "127.0.0.1" });
    expect(serverEnv("shop-api", "warn", {}, {})).toMatchObject({ SHOP_API_HOST: "127.0.0.1" });
    expect(serverEnv("model-server", "warn", {}, {})).toMatchObject({
      MODEL_SERVER_HOST: "127.0.0.1",
    });
  });

  it("lets the testbed's own variables for the server win", () => {
    expect(serverEnv("shop-api", "warn", { SHOP_API_HOST: "::1", LOG_LEVEL: "debug" }, {})).toEqual(
      {
        LOG_LEVEL: "debug",
        SHOP_API_HOST: "::1",
        SHOP_API_SHORT_LIVED: "true",
      },
    );
  });

  it("blanks each server's own settings from the shell, and leaves the rest of the shell alone", () => {
    const shell = {
      MODEL_SERVER_API_KEY: "the-shell-s-key",
      MOCK_AUTH0_SIGNING_KEYS: "/somewhere/keys.json",
      SHOP_API_TOKEN_CACHE_SIZE: "0",
      AUTH0_AUDIENCE: "https://api.example.com",
      PATH: "/usr/bin",
    };
    expect(serverEnv("model-server", "warn", {}, shell)).toEqual({
      MODEL_SERVER_API_KEY: "",
      LOG_LEVEL: "warn",
      MODEL_SERVER_HOST: "127.0.0.1",
    });
    expect(serverEnv("mock-auth0", "warn", {}, shell)).toEqual({
      MOCK_AUTH0_SIGNING_KEYS: "",
      LOG_LEVEL: "warn",
      MOCK_AUTH0_HOST: "127.0.0.1",
    });
    expect(serverEnv("shop-api", "warn", { AUTH0_DOMAIN: "localhost:1" }, shell)).toEqual({
      SHOP_API_TOKEN_CACHE_SIZE: "",
      AUTH0_AUDIENCE: "",
      AUTH0_DOMAIN: "localhost:1",
      LOG_LEVEL: "warn",
      SHOP_API_HOST: "127.0.0.1",
      SHOP_API_SHORT_LIVED: "true",
    });
  });
});
