import type { Server } from "node:http";

import { decodeJwt } from "jose";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { SqlShopStore } from "../store/sql-shop-store.js";
import { orderSchema } from "../schemas.js";
import { FIXED_NOW, createTestApp } from "../test-support/test-app.js";
import type { TestApp } from "../test-support/test-app.js";
import { testDatabase } from "../test-support/test-database.js";
import {
  TEST_CLIENT_ID,
  TEST_USER,
  close,
  nowSeconds,
  startTestIssuer,
} from "../test-support/test-issuer.js";
import type { MintOptions, TestIssuer } from "../test-support/test-issuer.js";

let issuer: TestIssuer;
let shop: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer);
});

const buy = async (body: object, token: MintOptions = {}, key?: string) => {
  const bearer = await issuer.mint(token);
  const req = request(shop.app).post("/api/purchases").set("Authorization", `Bearer ${bearer}`);
  return (key === undefined ? req : req.set("Idempotency-Key", key)).send(body);
};

const get = async (path: string, token?: MintOptions) =>
  request(shop.app)
    .get(path)
    .set("Authorization", `Bearer ${await issuer.mint(token)}`);

const stockOf = (id: string) => shop.stockOf(id);

const purchaseDetail = (detail: Record<string, unknown>) => ({
  type: "product_purchase",
  currency: "USD",
  ...detail,
});

const withDetails = (...details: unknown[]): MintOptions => ({
  claims: { authorization_details: details },
});

describe("POST /api/purchases", () => {
  it("answers 201 with the order, a Location header, and takes the stock", async () => {
    const res = await buy({ product: "XYZ phone", qty: 2 });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe("/api/purchases/ord-0001");
    expect(res.headers["idempotent-replayed"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toEqual({
      id: "ord-0001",
      status: "confirmed",
      product: { id: "xyz-phone", name: "XYZ phone" },
      qty: 2,
      unit_price: 499,
      total: 998,
      currency: "USD",
      created_at: new Date(FIXED_NOW).toISOString(),
      authorization: { sub: TEST_USER, azp: TEST_CLIENT_ID, authorization_details_matched: false },
    });
    expect(orderSchema.parse(res.body)).toEqual(res.body);
    expect(await stockOf("xyz-phone")).toBe(48);
  });

  it.each(["xyz-phone", "XYZ phones", "  xyz   PHONE ", "Xyz Phone"])(
    "finds the product from %j",
    async (product) => {
      const res = await buy({ product, qty: 1 });
      expect(res.status).toBe(201);
      expect(res.body.product.id).toBe("xyz-phone");
    },
  );

  it("accepts a total exactly at priceLimit", async () => {
    const res = await buy({ product: "XYZ phone", qty: 2, priceLimit: 998 });
    expect(res.status).toBe(201);
  });

  it.each([9.985, 9.989999999])(
    "never rounds a limit up to the next cent: %s does not allow 9.99",
    async (limit) => {
      const over = await buy({ product: "USB-C cable", qty: 1, priceLimit: limit });
      expect(over.status).toBe(422);
      expect(over.body).toEqual({
        error: "price_limit_exceeded",
        error_description: expect.stringContaining("above the priceLimit of 9.98 USD") as unknown,
      });
      const approvedOver = await buy(
        { product: "USB-C cable", qty: 1 },
        withDetails(purchaseDetail({ product: "usb-c-cable", quantity: 1, maximum_amount: limit })),
      );
      expect(approvedOver.status).toBe(403);
      expect(approvedOver.body.error).toBe("insufficient_authorization_details");
      expect(await shop.orderCount()).toBe(0);
      expect((await buy({ product: "USB-C cable", qty: 1, priceLimit: 9.99 })).status).toBe(201);
    },
  );

  it("records a null azp when the token has none", async () => {
    const res = await buy({ product: "XYZ phone", qty: 1 }, { azp: null });
    expect(res.body.authorization.azp).toBeNull();
  });

  it("writes nothing and answers 500 without details when the store fails", async () => {
    class FailingStore extends SqlShopStore {
      override place(): Promise<never> {
        return Promise.reject(new Error("disk full at /var/secret/path"));
      }
    }
    const failing = await createTestApp(issuer, {
      deps: { store: new FailingStore((await testDatabase()).db) },
    });
    const res = await request(failing.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint()}`)
      .send({ product: "XYZ phone", qty: 3 });

    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: "server_error",
      error_description: "The server hit an unexpected error; try again later",
    });
    expect(JSON.stringify(res.body)).not.toContain("disk full");
    expect(await failing.stockOf("xyz-phone")).toBe(50);
  });

  it("rolls the stock back when the order cannot be inserted after it was taken", async () => {
    // Two orders under one id: the second fails inside the transaction, on the primary key.
    const clash = await createTestApp(issuer, { deps: { newOrderId: () => "ord-same" } });
    const send = async (qty: number) =>
      request(clash.app)
        .post("/api/purchases")
        .set("Authorization", `Bearer ${await issuer.mint()}`)
        .send({ product: "XYZ phone", qty });

    expect((await send(1)).status).toBe(201);
    const res = await send(3);

    expect(res.status).toBe(500);
    expect(res.body.error).toBe("server_error");
    expect(await clash.stockOf("xyz-phone")).toBe(49);
    expect(await clash.orderCount()).toBe(1);
  });
});

describe("authorization_details (RFC 9396)", () => {
  const refused = (description: string) =>
    `Bearer realm="api", error="insufficient_authorization_details", error_description="${description}"`;

  it("accepts an order that matches the approved purchase and says so", async () => {
    const token = withDetails(
      purchaseDetail({ product: "XYZ phone", quantity: 2, maximum_amount: 998 }),
    );
    const res = await buy({ product: "XYZ phones", qty: 2 }, token);
    expect(res.status).toBe(201);
    expect(res.body.authorization.authorization_details_matched).toBe(true);
  });

  it("resolves both sides through the catalog (id in the token, name in the body)", async () => {
    const token = withDetails(purchaseDetail({ product: "xyz-phone", quantity: 1 }));
    const res = await buy({ product: "xyz PHONE", qty: 1 }, token);
    expect(res.status).toBe(201);
  });

  it("accepts fewer units than approved", async () => {
    const res = await buy(
      { product: "XYZ phone", qty: 1 },
      withDetails(purchaseDetail({ product: "XYZ phone", quantity: 3 })),
    );
    expect(res.status).toBe(201);
  });

  it.each([
    [
      "one of which matches",
      [
        purchaseDetail({ product: "XYZ phone", quantity: 1 }),
        { type: "account_information", actions: ["read"] },
        purchaseDetail({ product: "ABC laptop", quantity: 1, maximum_amount: 1300 }),
      ],
      2,
    ],
    [
      "none of which matches",
      [
        purchaseDetail({ product: "XYZ phone", quantity: 1 }),
        purchaseDetail({ product: "ABC laptop", quantity: 5 }),
        purchaseDetail({ product: "USB-C cable", quantity: 1 }),
      ],
      3,
    ],
  ])(
    "refuses an approval with several product_purchase entries, %s, and keeps it unspent",
    async (_name, details, count) => {
      const bearer = await issuer.mint(withDetails(...details));
      const res = await request(shop.app)
        .post("/api/purchases")
        .set("Authorization", `Bearer ${bearer}`)
        .send({ product: "ABC laptop", qty: 1 });

      const description =
        `this approval covers ${count} purchases (${count} 'product_purchase' authorization_details ` +
        "entries), but this shop places one product per order and an approval buys once: ask the " +
        "person for one approval per purchase, each with a single entry";
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: "insufficient_authorization_details",
        error_description: description,
      });
      expect(res.headers["www-authenticate"]).toBe(refused(description));
      expect(await shop.orderCount()).toBe(0);
      expect(await shop.stockList()).toEqual([50, 10, 500, 1]);
    },
  );

  it("ignores entries of other types (nothing item-by-item was approved)", async () => {
    const res = await buy(
      { product: "XYZ phone", qty: 1 },
      withDetails({ type: "account_information", actions: ["read"] }),
    );
    expect(res.status).toBe(201);
    expect(res.body.authorization.authorization_details_matched).toBe(false);
  });

  it.each([
    [
      "another product",
      { product: "ABC laptop", qty: 1 },
      [purchaseDetail({ product: "XYZ phone", quantity: 1 })],
      "the order does not match the purchase the person approved: approved product 'XYZ phone', ordered 'abc-laptop'",
    ],
    [
      "a product the catalog does not know",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "Flux capacitor", quantity: 1 })],
      "the order does not match the purchase the person approved: approved product 'Flux capacitor', ordered 'xyz-phone'",
    ],
    [
      "more units than approved",
      { product: "XYZ phone", qty: 3 },
      [purchaseDetail({ product: "XYZ phone", quantity: 2 })],
      "the order does not match the purchase the person approved: approved quantity 2, ordered 3",
    ],
    [
      "a total one cent above maximum_amount",
      { product: "XYZ phone", qty: 2 },
      [purchaseDetail({ product: "XYZ phone", quantity: 2, maximum_amount: 997.99 })],
      "the order does not match the purchase the person approved: approved at most 997.99 USD, the order totals 998.00 USD",
    ],
    [
      "a malformed entry (quantity as a string)",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "XYZ phone", quantity: "1" })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (quantity: Expected number, received string)",
    ],
    [
      "a product name padded with figure spaces, which a consent screen cannot show",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: `XYZ phone${"\u2007".repeat(90)}`, quantity: 1 })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (product: product holds characters a person cannot see on the consent screen (invisible or unusual spacing, control or direction characters): name it as a person reads it)",
    ],
    [
      "a product name reversed by a right-to-left override",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "\u202eenohp ZYX", quantity: 1 })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (product: product holds characters a person cannot see on the consent screen (invisible or unusual spacing, control or direction characters): name it as a person reads it)",
    ],
    [
      "a product name with Hangul fillers, which draw nothing",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: `XYZ phone${"\u3164".repeat(40)}actually 1000`, quantity: 1 })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (product: product holds characters a person cannot see on the consent screen (invisible or unusual spacing, control or direction characters): name it as a person reads it)",
    ],
    [
      "a product name with a combining grapheme joiner, which draws nothing",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "XYZ phone\u034F", quantity: 1 })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (product: product holds characters a person cannot see on the consent screen (invisible or unusual spacing, control or direction characters): name it as a person reads it)",
    ],
    [
      "a product name with a stack of combining marks, drawn over the rows around it",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: `XYZ phone${"\u0327".repeat(30)}`, quantity: 1 })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (product: product holds characters a person cannot see on the consent screen (invisible or unusual spacing, control or direction characters): name it as a person reads it)",
    ],
    [
      "another currency",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "XYZ phone", quantity: 1, currency: "EUR" })],
      'the order does not match the purchase the person approved: the approved purchase is malformed (currency: Invalid literal value, expected "USD")',
    ],
    [
      "an entry with a member this API does not understand",
      { product: "XYZ phone", qty: 1 },
      [purchaseDetail({ product: "XYZ phone", quantity: 1, not_after: "2020-01-01" })],
      "the order does not match the purchase the person approved: the approved purchase is malformed (Unrecognized key(s) in object: 'not_after')",
    ],
  ])("refuses %s with 403 and writes nothing", async (_name, body, details, description) => {
    const res = await buy(body, withDetails(...details));

    expect(res.status).toBe(403);
    // RFC 6750 section 3: the header's error_description cannot hold a double quote.
    expect(res.headers["www-authenticate"]).toBe(refused(description.replace(/"/g, "'")));
    expect(res.body).toEqual({
      error: "insufficient_authorization_details",
      error_description: description,
    });
    expect(await shop.orderCount()).toBe(0);
    expect(await shop.stockList()).toEqual([50, 10, 500, 1]);
  });

  it.each(['"order-7"', "order\\7"])(
    "refuses an approval whose purchase_id (%s) would read otherwise as an Idempotency-Key, naming the rule",
    async (purchaseId) => {
      // Sent bare, as the agent sends its key: '"order-7"' would be the quoted key order-7.
      const res = await buy(
        { product: "XYZ phone", qty: 1 },
        withDetails(purchaseDetail({ product: "XYZ phone", quantity: 1, purchase_id: purchaseId })),
        purchaseId,
      );
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: "insufficient_authorization_details",
        error_description:
          "the order does not match the purchase the person approved: the approved purchase is " +
          "malformed (purchase_id: purchase_id must be 1 to 255 visible ASCII characters other " +
          "than '\"' and '\\' (no spaces): an Idempotency-Key sent bare or quoted then reads the same)",
      });
      expect(await shop.orderCount()).toBe(0);
    },
  );

  it("refuses a claim that is not an array", async () => {
    const res = await buy(
      { product: "XYZ phone", qty: 1 },
      { claims: { authorization_details: { type: "product_purchase" } } },
    );
    expect(res.status).toBe(403);
    expect(res.body.error_description).toBe(
      "the token's authorization_details claim is not an array",
    );
  });

  it("keeps the WWW-Authenticate header valid whatever the token's product name", async () => {
    const res = await buy(
      { product: "XYZ phone", qty: 1 },
      withDetails(purchaseDetail({ product: 'Caf\u00e9 "deluxe" \\ \u{1F642}', quantity: 1 })),
    );
    expect(res.status).toBe(403);
    expect(res.headers["www-authenticate"]).toMatch(/^[\x20-\x7e]+$/);
    expect(res.headers["www-authenticate"]).toContain("approved product 'Caf? 'deluxe' ? ??'");
  });

  describe("with SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=true", () => {
    beforeEach(async () => {
      shop = await createTestApp(issuer, { config: { requireAuthorizationDetails: true } });
    });

    it.each([
      ["no authorization_details", {}],
      ["only entries of other types", withDetails({ type: "account_information" })],
      ["an empty array", withDetails()],
    ])("refuses a token with %s", async (_name, token) => {
      const res = await buy({ product: "XYZ phone", qty: 1 }, token);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe("insufficient_authorization_details");
      expect(res.headers["www-authenticate"]).toBe(
        refused(
          "This API requires the access token to carry RFC 9396 authorization_details of type 'product_purchase' describing the purchase the person approved",
        ),
      );
      expect(await shop.orderCount()).toBe(0);
    });

    it("accepts a token whose authorization_details match", async () => {
      const res = await buy(
        { product: "XYZ phone", qty: 1 },
        withDetails(purchaseDetail({ product: "XYZ phone", quantity: 1 })),
      );
      expect(res.status).toBe(201);
    });

    it("still lets the person read their orders without authorization_details", async () => {
      const res = await get("/api/purchases");
      expect(res.status).toBe(200);
    });
  });
});

describe("one approval, one purchase", () => {
  const approvedTwo = withDetails(purchaseDetail({ product: "XYZ phone", quantity: 2 }));

  const buyWith = (bearer: string, body: object, key?: string) => {
    const req = request(shop.app).post("/api/purchases").set("Authorization", `Bearer ${bearer}`);
    return (key === undefined ? req : req.set("Idempotency-Key", key)).send(body);
  };

  it("refuses a second order with the same approval, even within what was approved", async () => {
    const bearer = await issuer.mint(approvedTwo);
    const first = await buyWith(bearer, { product: "XYZ phone", qty: 1 }, "call-1");
    expect(first.status).toBe(201);

    const second = await buyWith(bearer, { product: "XYZ phone", qty: 1 }, "call-2");
    expect(second.status).toBe(403);
    expect(second.body).toEqual({
      error: "insufficient_authorization_details",
      error_description: expect.stringMatching(
        `^This approval was already used for order ${first.body.id}; a new purchase needs a new approval \\(`,
      ),
    });
    expect(second.headers["www-authenticate"]).toMatch(
      /error="insufficient_authorization_details"/,
    );
    expect(await shop.orderCount()).toBe(1);
    expect(await stockOf("xyz-phone")).toBe(49);
  });

  it("still answers a retry of the approved call with its first order", async () => {
    const bearer = await issuer.mint(approvedTwo);
    const first = await buyWith(bearer, { product: "XYZ phone", qty: 2 }, "call-1");
    const retry = await buyWith(bearer, { product: "XYZ phone", qty: 2 }, "call-1");
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
  });

  it("answers a key's first order to no token whose approval does not cover it", async () => {
    const first = await buyWith(
      await issuer.mint(approvedTwo),
      { product: "XYZ phone", qty: 2 },
      "call-1",
    );
    expect(first.status).toBe(201);
    // Another approval of the same person, for something else, with the first call's key and body.
    const cables = await issuer.mint(
      withDetails(purchaseDetail({ product: "USB-C cable", quantity: 12 })),
    );
    const replay = await buyWith(cables, { product: "XYZ phone", qty: 2 }, "call-1");
    expect(replay.status).toBe(403);
    expect(replay.body.error).toBe("insufficient_authorization_details");
    expect(replay.headers["idempotent-replayed"]).toBeUndefined();
    // That approval is still unspent.
    expect((await buyWith(cables, { product: "USB-C cable", qty: 12 }, "call-2")).status).toBe(201);
    expect(await shop.orderCount()).toBe(2);
  });

  it("refuses a key sent with a second approval of the same purchase (422): that approval stays unspent", async () => {
    const body = { product: "XYZ phone", qty: 2 };
    const approved = await issuer.mint(approvedTwo);
    const first = await buyWith(approved, body, "call-1");
    // The person approved the same purchase again, a second later: another approval.
    const again = await issuer.mint({ ...approvedTwo, iat: Number(decodeJwt(approved).iat) + 1 });
    const reused = await buyWith(again, body, "call-1");
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({
      error: "idempotency_key_reused",
      error_description: `This Idempotency-Key was already used for order ${first.body.id}, placed with another approval; a retry sends the same access token again, and a new purchase needs a new key`,
    });
    expect(await shop.orderCount()).toBe(1);
    const second = await buyWith(again, body, "call-2");
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(await stockOf("xyz-phone")).toBe(46);
  });

  it("does not spend an approval on a refused order", async () => {
    const bearer = await issuer.mint(approvedTwo);
    const tooMany = await buyWith(bearer, { product: "XYZ phone", qty: 3 });
    expect(tooMany.status).toBe(403);
    expect((await buyWith(bearer, { product: "XYZ phone", qty: 2 })).status).toBe(201);
  });

  it("refuses a purchase approval that came with offline_access: each refresh would buy again", async () => {
    const refreshable = await issuer.mint({
      ...approvedTwo,
      scope: "openid offline_access product:buy",
    });
    const res = await buyWith(refreshable, { product: "XYZ phone", qty: 1 });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("insufficient_authorization_details");
    expect(res.body.error_description).toMatch(/came with offline_access/);
    expect(await shop.orderCount()).toBe(0);
    // offline_access alone, with no purchase approved, changes nothing.
    const plain = await issuer.mint({ scope: "openid offline_access product:buy" });
    expect((await buyWith(plain, { product: "XYZ phone", qty: 1 })).status).toBe(201);
  });

  it("refuses a purchase approval whose scope is a list holding offline_access, as the library reads it", async () => {
    const refreshable = await issuer.mint({
      ...approvedTwo,
      claims: { ...approvedTwo.claims, scope: ["openid", "offline_access", "product:buy"] },
    });
    const res = await buyWith(refreshable, { product: "XYZ phone", qty: 1 });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("insufficient_authorization_details");
    expect(res.body.error_description).toMatch(/came with offline_access/);
    expect(await shop.orderCount()).toBe(0);
  });

  it("refuses the approval again in a token a refresh minted, though its scope lost offline_access", async () => {
    const approved = { ...approvedTwo, scope: "openid product:buy", iat: nowSeconds() - 60 };
    const first = await buyWith(await issuer.mint(approved), { product: "XYZ phone", qty: 1 });
    expect(first.status).toBe(201);
    // What Auth0's default profile issues for a refresh that asked for `openid product:buy`:
    // the same grant with a new `iat`, marked `gty: "refresh_token"`.
    for (const gty of ["refresh_token", ["refresh_token"]]) {
      const refreshed = await issuer.mint({
        ...approved,
        iat: nowSeconds(),
        claims: { ...approvedTwo.claims, gty },
      });
      const res = await buyWith(refreshed, { product: "XYZ phone", qty: 1 });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: "insufficient_authorization_details",
        error_description:
          "this token was minted by a refresh token (gty refresh_token), not issued when the " +
          "person approved: a refresh token mints tokens for the same approval at will, and " +
          "each would buy again. Ask the person for a new approval",
      });
    }
    expect(await shop.orderCount()).toBe(1);
  });

  it("refuses a purchase approval in a token of the password grant", async () => {
    const res = await buyWith(
      await issuer.mint({ ...approvedTwo, claims: { ...approvedTwo.claims, gty: "password" } }),
      { product: "XYZ phone", qty: 1 },
    );
    expect(res.status).toBe(403);
    expect(res.body.error_description).toMatch(/^this token came from the password grant/);
    expect(await shop.orderCount()).toBe(0);
  });

  it("leaves tokens without authorization_details reusable, as scopes alone approve no purchase", async () => {
    const bearer = await issuer.mint();
    expect((await buyWith(bearer, { product: "XYZ phone", qty: 1 })).status).toBe(201);
    expect((await buyWith(bearer, { product: "XYZ phone", qty: 1 })).status).toBe(201);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first order for the same key and body, and creates nothing", async () => {
    const body = { product: "XYZ phone", qty: 2, priceLimit: 1000 };
    const first = await buy(body, {}, "order-42");
    const again = await buy(body, {}, "order-42");

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(await shop.orderCount()).toBe(1);
    expect(await stockOf("xyz-phone")).toBe(48);
  });

  it("replays even after the stock ran out", async () => {
    const body = { product: "Last one", qty: 1 };
    expect((await buy(body, {}, "k1")).status).toBe(201);
    expect((await buy(body)).status).toBe(409);
    const replay = await buy(body, {}, "k1");
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe("ord-0001");
  });

  it("refuses the same key with another body (422) and writes nothing", async () => {
    await buy({ product: "XYZ phone", qty: 1 }, {}, "order-7");
    const res = await buy({ product: "XYZ phone", qty: 2 }, {}, "order-7");

    expect(res.status).toBe(422);
    expect(res.body.error).toBe("idempotency_key_reused");
    expect(await shop.orderCount()).toBe(1);
    expect(await stockOf("xyz-phone")).toBe(49);
  });

  it("scopes keys to the person: the same key from another user is a new order", async () => {
    const body = { product: "XYZ phone", qty: 1 };
    const mine = await buy(body, {}, "shared-key");
    const theirs = await buy(body, { sub: "auth0|someone-else" }, "shared-key");
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await shop.orderCount()).toBe(2);
  });

  it("does not spend a key on a refused request", async () => {
    expect((await buy({ product: "ABC laptop", qty: 11 }, {}, "try")).status).toBe(409);
    expect((await buy({ product: "ABC laptop", qty: 1 }, {}, "try")).status).toBe(201);
  });

  it("without a key, two identical requests are two orders", async () => {
    await buy({ product: "XYZ phone", qty: 1 });
    await buy({ product: "XYZ phone", qty: 1 });
    expect(await shop.orderCount()).toBe(2);
  });
});

describe("reading orders", () => {
  it("lists and shows the caller's own orders", async () => {
    await buy({ product: "XYZ phone", qty: 1 });
    await buy({ product: "USB-C cable", qty: 3 });
    await buy({ product: "ABC laptop", qty: 1 }, { sub: "auth0|someone-else" });

    const list = await get("/api/purchases");
    expect(list.status).toBe(200);
    expect(list.body.orders.map((o: { id: string }) => o.id)).toEqual(["ord-0001", "ord-0002"]);

    const one = await get("/api/purchases/ord-0002");
    expect(one.status).toBe(200);
    expect(one.body.product.id).toBe("usb-c-cable");
    expect(orderSchema.parse(one.body)).toEqual(one.body);
  });

  it("answers 404 for another person's order, exactly as for an id that does not exist", async () => {
    const theirs = await buy({ product: "XYZ phone", qty: 1 }, { sub: "auth0|someone-else" });
    expect(theirs.status).toBe(201);

    const foreign = await get(`/api/purchases/${theirs.body.id}`);
    const missing = await get("/api/purchases/ord-9999");

    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      error: "not_found",
      error_description: "No order with this id for this caller",
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(foreign.body);
    expect((await get("/api/purchases")).body.orders).toEqual([]);
  });
});

describe("concurrent purchases", () => {
  let server: Server;

  beforeEach(async () => {
    server = await new Promise<Server>((resolve) => {
      const listening = shop.app.listen(0, "127.0.0.1", () => {
        resolve(listening);
      });
    });
    return () => close(server);
  });

  const buyAt = (token: string, body: object, key?: string) => {
    const req = request(server).post("/api/purchases").set("Authorization", `Bearer ${token}`);
    return (key === undefined ? req : req.set("Idempotency-Key", key)).send(body);
  };

  it("sell the last unit exactly once", async () => {
    const tokens = await Promise.all(
      Array.from({ length: 25 }, (_, i) => issuer.mint({ sub: `auth0|buyer-${i}` })),
    );
    const results = await Promise.all(tokens.map((t) => buyAt(t, { product: "Last one", qty: 1 })));

    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    expect(await stockOf("last-one")).toBe(0);
    expect(await shop.orderCount()).toBe(1);
  });

  it("never oversell a small stock under mixed quantities", async () => {
    const token = await issuer.mint();
    const quantities = Array.from({ length: 30 }, (_, i) => (i % 3) + 1);
    const results = await Promise.all(
      quantities.map((qty) => buyAt(token, { product: "ABC laptop", qty })),
    );

    const sold = results
      .filter((r) => r.status === 201)
      .reduce((sum, r) => sum + (r.body as { qty: number }).qty, 0);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(sold).toBe(10 - ((await stockOf("abc-laptop")) ?? NaN));
    expect(await stockOf("abc-laptop")).toBeGreaterThanOrEqual(0);
    expect(sold).toBeLessThanOrEqual(10);
    expect(await shop.orderCount()).toBe(results.filter((r) => r.status === 201).length);
  });

  it("create one order for concurrent retries with the same Idempotency-Key", async () => {
    const token = await issuer.mint();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => buyAt(token, { product: "XYZ phone", qty: 1 }, "same")),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => (r.body as { id: string }).id)).size).toBe(1);
    expect(await shop.orderCount()).toBe(1);
    expect(await stockOf("xyz-phone")).toBe(49);
  });
});
