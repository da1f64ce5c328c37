import { randomBytes } from "node:crypto";

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Catalog } from "../apps/shop-api/src/catalog.js";
import { openShopStore } from "../apps/shop-api/src/store/open-shop-store.js";
import type { OpenedShopStore } from "../apps/shop-api/src/store/open-shop-store.js";
import {
  FIXED_NOW,
  TEST_PRODUCTS,
  createTestApp,
} from "../apps/shop-api/src/test-support/test-app.js";
import type { TestApp } from "../apps/shop-api/src/test-support/test-app.js";
import { startTestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";
import type { MintOptions, TestIssuer } from "../apps/shop-api/src/test-support/test-issuer.js";
import { ManualClock } from "@ciba-testbed/shared";
import { sharedPostgres } from "./support/postgres.js";

// A token whose sub, azp or client_id PostgreSQL cannot hold as sent (U+0000), or would store as
// another value (a lone surrogate becomes U+FFFD), is refused as a bad token before anything is
// looked up or stored, on either database: not a 500, and not another person's orders.
describe.each(["embedded", "PostgreSQL"] as const)("a token's unstorable claims (%s)", (kind) => {
  let issuer: TestIssuer;
  let shop: TestApp;
  let postgres: OpenedShopStore | undefined;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    const clock = new ManualClock(FIXED_NOW);
    if (kind === "PostgreSQL") {
      const url = await (await sharedPostgres()).createDatabase();
      postgres = await openShopStore({ kind: "postgres", url }, new Catalog(TEST_PRODUCTS), {
        clock,
      });
    }
    shop = await createTestApp(issuer, {
      deps: { clock, ...(postgres && { store: postgres.store }) },
    });
  }, 120_000);
  afterAll(async () => {
    await postgres?.close();
    await issuer.close();
  });

  const bearer = async (token: MintOptions) => `Bearer ${await issuer.mint(token)}`;
  const buy = async (token: MintOptions) =>
    request(shop.app)
      .post("/api/purchases")
      .set("Authorization", await bearer(token))
      .send({ product: "USB-C cable", qty: 1 });
  const list = async (token: MintOptions) =>
    request(shop.app)
      .get("/api/purchases")
      .set("Authorization", await bearer(token));
  const refusal = (claim: string, because: string) => ({
    error: "invalid_token",
    error_description:
      `The access token's ${claim} claim ${because}, which this API cannot store or compare ` +
      `as an identifier; ask the authorization server for a token whose ${claim} is ` +
      "well-formed Unicode without U+0000, at most 1024 bytes long",
  });
  const NUL = "holds U+0000 (a NUL character)";
  // Random, so PostgreSQL cannot compress it below its B-tree's 2,704-byte limit for an entry.
  const longId = (bytes: number) =>
    `auth0|${randomBytes(bytes).toString("base64url")}`.slice(0, bytes);
  const LONE = "holds a lone surrogate (U+D800), so it is not a well-formed Unicode string";

  it.each([
    ["sub", { sub: "auth0|x\u0000y" }, NUL],
    ["azp", { azp: "a\u0000b" }, NUL],
    ["client_id", { azp: null, claims: { client_id: "a\u0000b" } }, NUL],
    ["sub", { sub: "auth0|x\ud800y" }, LONE],
    ["azp", { azp: "agent\ud800" }, LONE],
    // The audit: a sub of 3,000 bytes (random, as a digest would be) failed the order's INSERT
    // on PostgreSQL's index size limit (54000), a 500 on both databases.
    ["sub", { sub: longId(3000) }, "is 3000 bytes long in UTF-8, over 1024"],
    ["sub", { sub: `auth0|${"é".repeat(600)}` }, "is 1206 bytes long in UTF-8, over 1024"],
    ["azp", { azp: longId(1025) }, "is 1025 bytes long in UTF-8, over 1024"],
  ] as const)("refuses a purchase whose %s is %#", async (claim, token, because) => {
    const response = await buy(token);
    expect({ status: response.status, body: response.body as unknown }).toEqual({
      status: 401,
      body: refusal(claim, because),
    });
    expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
    const stock = await (postgres?.store ?? shop.store).stock();
    expect(stock.get("usb-c-cable")).toBe(500);
  });

  it.each([
    ["azp", { azp: ["a\u0000"] as unknown as string }, "an array"],
    ["azp", { azp: null, claims: { azp: { x: "\u0000" } } }, "an object"],
    ["azp", { azp: null, claims: { azp: 123 } }, "a number"],
  ] as const)("refuses a purchase whose %s is %#, not a string", async (claim, token, type) => {
    const response = await buy(token);
    expect({ status: response.status, body: response.body as unknown }).toEqual({
      status: 401,
      body: {
        error: "invalid_token",
        error_description: `The access token's ${claim} claim is ${type}, not a string, which this API cannot store or compare as an identifier; ask the authorization server for a token whose ${claim} is a string`,
      },
    });
    const stock = await (postgres?.store ?? shop.store).stock();
    expect(stock.get("usb-c-cable")).toBe(500);
  });

  it("stores a sub of the longest length, with the longest Idempotency-Key", async () => {
    const longest = { sub: longId(1024) };
    const response = await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", await bearer(longest))
      .set("Idempotency-Key", "k".repeat(255))
      .send({ product: "USB-C cable", qty: 1 });
    expect(response.status).toBe(201);
    expect(((await list(longest)).body as { orders: unknown[] }).orders).toHaveLength(1);
  });

  it("lists nobody's orders for a sub with a lone surrogate, which PostgreSQL would read as U+FFFD", async () => {
    const other = { sub: "auth0|x\ufffdy" };
    expect((await buy(other)).status).toBe(201);
    const response = await list({ sub: "auth0|x\ud800y" });
    expect({ status: response.status, body: response.body as unknown }).toEqual({
      status: 401,
      body: refusal("sub", LONE),
    });
    expect(((await list(other)).body as { orders: unknown[] }).orders).toHaveLength(1);
  });
});
