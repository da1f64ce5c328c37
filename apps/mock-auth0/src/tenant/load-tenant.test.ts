import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  CIBA_GRANT_TYPE,
  LOCAL_DEFAULTS,
  PRODUCT_BUY_SCOPE,
  PURCHASE_AUTHORIZATION_DETAILS_TYPE,
  SHOP_API_AUDIENCE,
} from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { TenantFileError, loadTenant, parseTenant } from "./load-tenant.js";

describe("tenant files", () => {
  it("loads the shipped default tenant that matches .env.example", () => {
    const tenant = loadTenant();
    expect(tenant.clients.find((c) => c.clientId === "ciba-testbed-agent")?.clientSecret).toBe(
      "ciba-testbed-agent-secret",
    );
    expect(tenant.users.find((u) => u.sub === "auth0|testbed-user")?.pushEnrolled).toBe(true);
    expect(tenant.apis[0]).toMatchObject({
      identifier: "sample-shop-api",
      scopes: ["product:buy"],
      authorizationDetailsTypes: ["product_purchase"],
    });
    expect(tenant.ciba.perUserRequestsPerMinute).toBeNull();
    expect(tenant.approver.default).toEqual({ action: "manual" });
  });

  it("agrees with the local defaults every other app starts with (LOCAL_DEFAULTS)", () => {
    const tenant = loadTenant();
    const agent = tenant.clients.find((c) => c.clientId === LOCAL_DEFAULTS.clientId);
    expect(agent?.clientSecret).toBe(LOCAL_DEFAULTS.clientSecret);
    expect(agent?.grantTypes).toContain(CIBA_GRANT_TYPE);
    expect(tenant.users.find((u) => u.sub === LOCAL_DEFAULTS.userId)?.pushEnrolled).toBe(true);
    const api = tenant.apis.find((a) => a.identifier === SHOP_API_AUDIENCE);
    expect(api?.scopes).toContain(PRODUCT_BUY_SCOPE);
    expect(api?.authorizationDetailsTypes).toContain(PURCHASE_AUTHORIZATION_DETAILS_TYPE);
  });

  it("names every problem of an invalid tenant at once", () => {
    const json = JSON.stringify({
      name: "broken",
      clients: [
        { clientId: "a", clientSecret: "short", name: "A", grantTypes: ["password"] },
        {
          clientId: "a",
          clientSecret: "long-enough",
          name: "A2",
          grantTypes: ["client_credentials"],
          clientGrants: [{ audience: "shop", scopes: ["product:sell"] }],
        },
      ],
      users: [{ sub: "u", name: "U", email: "not-an-email", pushEnrolled: "yes" }],
      apis: [{ identifier: "shop", name: "Shop", scopes: ["product:buy"] }],
      ciba: { intervalSeconds: 0 },
      approver: { default: "sometimes" },
      extra: true,
    });
    let error: TenantFileError | undefined;
    try {
      parseTenant(json, "broken.json");
    } catch (e) {
      error = e as TenantFileError;
    }
    expect(error).toBeInstanceOf(TenantFileError);
    const text = error!.problems.join("\n");
    expect(text).toMatch(/clients\.0\.clientSecret: clientSecret must be at least 8 characters/);
    expect(text).toMatch(/clients\.0\.grantTypes\.0/);
    expect(text).toMatch(/users\.0\.email/);
    expect(text).toMatch(/users\.0\.pushEnrolled/);
    expect(text).toMatch(/ciba\.intervalSeconds/);
    expect(text).toMatch(/approver\.default: "sometimes" is not an approver outcome/);
    expect(text).toMatch(/Unrecognized key\(s\) in object: 'extra'/);
    expect(error!.message).toMatch(/^Invalid tenant file broken\.json:\n {2}- /);
  });

  it("checks references between clients and APIs", () => {
    const tenant = loadTenant();
    const json = JSON.stringify({
      ...tenant,
      approver: { default: "manual" },
      clients: [
        ...tenant.clients,
        {
          clientId: "m2m-2",
          clientSecret: "long-enough",
          name: "M2M",
          grantTypes: ["client_credentials"],
          clientGrants: [
            { audience: "nope", scopes: [] },
            { audience: "sample-shop-api", scopes: ["product:sell"] },
          ],
        },
        { ...tenant.clients[0], name: "dup" },
      ],
    });
    const problems = (() => {
      try {
        parseTenant(json);
        return [];
      } catch (e) {
        return (e as TenantFileError).problems;
      }
    })();
    expect(problems).toEqual([
      "clients: duplicate clientId ciba-testbed-agent",
      "clients.2.clientGrants.0: unknown API nope",
      "clients.2.clientGrants.1: scope product:sell is not defined on API sample-shop-api",
    ]);
  });

  it("reports a file that is not JSON or cannot be read", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tenant-"));
    const file = path.join(dir, "t.json");
    writeFileSync(file, "{ nope");
    expect(() => loadTenant(file)).toThrow(/not valid JSON/);
    expect(() => loadTenant(path.join(dir, "missing.json"))).toThrow(/cannot read the file/);
  });
});
