import { SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { loadConfig as loadShopConfig } from "@ciba-testbed/shop-api";
import { describe, expect, it } from "vitest";

import { overriddenVariables, shopTenantEnv } from "../scripts/stack/stack.js";

const ISSUER = "https://localhost:4010/";
const CA = "/repo/.certs/ca.pem";

/** A shell set up for a real tenant, as a person who also uses one has it. */
const REAL_TENANT_SHELL = {
  AUTH0_DOMAIN: "acme.us.auth0.com",
  AUTH0_ISSUER_BASE_URL: "https://login.acme.example/",
  SHOP_API_AUDIENCE: "https://shop.acme.example",
};

// The stack's services inherit this process's environment (`pnpm dev`'s shell): what the stack
// sets goes over it.
describe("the stack's shop", () => {
  it("trusts the stack's own tenant and audience whatever tenant the shell names", () => {
    const config = loadShopConfig({ ...REAL_TENANT_SHELL, ...shopTenantEnv(ISSUER, CA) });
    expect(config).toMatchObject({ issuer: ISSUER, audience: SHOP_API_AUDIENCE });
  });
});

describe("overriddenVariables", () => {
  const shop = shopTenantEnv(ISSUER, CA);
  const agent = { AUTH0_DOMAIN: "localhost:4010", AUTH0_CLIENT_SECRET: "local-secret" };

  it("names each variable of the shell that a service was given another value for", () => {
    expect(
      overriddenVariables({ ...REAL_TENANT_SHELL, AUTH0_CLIENT_SECRET: "real" }, [shop, agent]),
    ).toEqual([
      "AUTH0_CLIENT_SECRET",
      "AUTH0_DOMAIN",
      "AUTH0_ISSUER_BASE_URL",
      "SHOP_API_AUDIENCE",
    ]);
  });

  it("leaves out the values the stack would give anyway, blank ones and the CA file", () => {
    const shell = {
      AUTH0_DOMAIN: "localhost:4010",
      AUTH0_ISSUER_BASE_URL: " ",
      NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
      SHOP_API_PORT: "4021",
    };
    expect(overriddenVariables(shell, [shop, agent])).toEqual([]);
  });
});
