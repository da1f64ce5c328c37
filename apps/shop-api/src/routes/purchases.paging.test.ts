import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { encodeOrderCursor } from "../order-cursor.js";
import type { OrderListJson } from "../schemas.js";
import { orderListSchema } from "../schemas.js";
import { FIXED_NOW, createTestApp } from "../test-support/test-app.js";
import type { TestApp } from "../test-support/test-app.js";
import { cableOrder } from "../test-support/test-orders.js";
import { TEST_USER, startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

const ADMIN_TOKEN = "admin-token-for-the-paging-tests";
const OTHER = "auth0|someone-else";

let issuer: TestIssuer;
let shop: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
beforeEach(async () => {
  shop = await createTestApp(issuer, { config: { adminToken: ADMIN_TOKEN } });
});

/** Orders `o-<first>` to `o-<last>` of `sub`, placed in that order (ids sort as placed). */
async function place(sub: string, first: number, last: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = first; n <= last; n++) {
    const id = `o-${String(n).padStart(4, "0")}`;
    expect(await shop.store.place(cableOrder(id, sub, FIXED_NOW))).toEqual({ outcome: "placed" });
    ids.push(id);
  }
  return ids;
}

const list = async (query: string, sub = TEST_USER) =>
  request(shop.app)
    .get(`/api/purchases${query}`)
    .set("Authorization", `Bearer ${await issuer.mint({ sub })}`);

const adminList = (query: string) =>
  request(shop.app).get(`/admin/orders${query}`).set("Authorization", `Bearer ${ADMIN_TOKEN}`);

const idsOf = (body: OrderListJson) => body.orders.map((order) => order.id);

/** Every page from `first`, following next_cursor: the ids on each. */
async function walk(
  get: (query: string) => Promise<request.Response>,
  limit: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  do {
    const res = await get(`?limit=${String(limit)}${after === null ? "" : `&after=${after}`}`);
    expect(res.status).toBe(200);
    const body = orderListSchema.parse(res.body);
    pages.push(idsOf(body));
    after = body.next_cursor;
  } while (after !== null);
  return pages;
}

describe("GET /api/purchases, a page at a time", () => {
  it("pages through the caller's orders oldest first, next_cursor null on the last page", async () => {
    await place(OTHER, 1, 2);
    const mine = await place(TEST_USER, 3, 7);
    await place(OTHER, 8, 9);

    expect(await walk((query) => list(query), 2)).toEqual([
      mine.slice(0, 2),
      mine.slice(2, 4),
      mine.slice(4),
    ]);
    // A page that ends with the last order says there is no next one: no empty page to ask.
    expect(await walk((query) => list(query), 5)).toEqual([mine]);
    const none = await list("", "auth0|no-orders");
    expect(none.body).toEqual({ orders: [], next_cursor: null });
  });

  it("answers 50 orders when no limit is given, and at most 100", async () => {
    const mine = await place(TEST_USER, 1, 120);
    const first = await list("");
    expect(idsOf(first.body as OrderListJson)).toEqual(mine.slice(0, 50));
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await list(`?limit=100&after=${String(first.body.next_cursor)}`);
    expect(idsOf(rest.body as OrderListJson)).toEqual(mine.slice(50, 120));
    expect(rest.body.next_cursor).toBeNull();
  });

  it("shows an order placed while paging on a later page, and none twice", async () => {
    const mine = await place(TEST_USER, 1, 3);
    const first = await list("?limit=2");
    const placed = await place(TEST_USER, 4, 4);
    const second = await list(`?limit=2&after=${String(first.body.next_cursor)}`);
    expect([...idsOf(first.body as OrderListJson), ...idsOf(second.body as OrderListJson)]).toEqual(
      [...mine, ...placed],
    );
    expect(second.body.next_cursor).toBeNull();
  });

  it.each([
    ["limit=0", /^limit must be a whole number from 1 to 100 .*, not "0"$/],
    ["limit=101", /^limit must be a whole number from 1 to 100 .*, not "101"$/],
    ["limit=abc", /^limit must be a whole number from 1 to 100 .*, not "abc"$/],
    ["limit=", /^limit must be a whole number from 1 to 100 .*, not ""$/],
    ["limit=2&limit=2", /^Give limit once; this request had 2/],
    ["after=a&after=b", /^Give after once; this request had 2/],
    ["offset=50", /^Unknown query parameter "offset": this listing takes limit/],
    ["page=2&limit=2", /^Unknown query parameter "page"/],
    ["after=", /^after is empty: /],
    ["after", /^after is empty: /],
    ["after=garbage!", /^after is not a cursor this listing gave \("garbage!"\): /],
    ["after=%FF%FE", /^after is not a cursor this listing gave/],
  ])("refuses ?%s with 400 invalid_request, saying what to send", async (query, description) => {
    await place(TEST_USER, 1, 3);
    const res = await list(`?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "invalid_request", error_description: expect.any(String) });
    expect(res.body.error_description).toMatch(description);
  });

  it("refuses another person's cursor, and shows none of their orders", async () => {
    await place(OTHER, 1, 3);
    await place(TEST_USER, 4, 6);
    const theirs = await list("?limit=1", OTHER);
    const res = await list(`?limit=1&after=${String(theirs.body.next_cursor)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "invalid_request",
      error_description:
        "after is a cursor changed on the way, or given for another person's orders: pass the " +
        "next_cursor of this listing's page before as it was, or leave after out to start from " +
        "the first page",
    });
  });

  it("answers a cursor naming another person's order as one naming no order, learning nothing of it", async () => {
    await place(OTHER, 1, 1);
    await place(TEST_USER, 2, 3);
    // Made as the caller's own listing would make it: only the order it names is another's.
    const theirs = await list(`?after=${encodeOrderCursor(TEST_USER, "o-0001")}`);
    const missing = await list(`?after=${encodeOrderCursor(TEST_USER, "o-9999")}`);
    expect(theirs.status).toBe(400);
    expect(theirs.body).toEqual({
      error: "invalid_request",
      error_description:
        "after names no order of this listing (the shop's orders may have been reset since it " +
        "was given): leave after out to start from the first page",
    });
    expect(missing.body).toEqual(theirs.body);
  });
});

describe("GET /admin/orders, a page at a time", () => {
  it("pages through one person's orders as the purchase API does, with the same cursors", async () => {
    const mine = await place(TEST_USER, 1, 5);
    await place(OTHER, 6, 7);
    const user = `user=${encodeURIComponent(TEST_USER)}`;
    expect(await walk((query) => adminList(`${query}&${user}`), 2)).toEqual([
      mine.slice(0, 2),
      mine.slice(2, 4),
      mine.slice(4),
    ]);
    const own = await list("?limit=3");
    const next = await adminList(`?${user}&limit=3&after=${String(own.body.next_cursor)}`);
    expect(idsOf(next.body as OrderListJson)).toEqual(mine.slice(3));
  });

  it("refuses another person's cursor with 400, and names user among the parameters it takes", async () => {
    await place(TEST_USER, 1, 3);
    const own = await list("?limit=1");
    const other = await adminList(
      `?user=${encodeURIComponent(OTHER)}&after=${String(own.body.next_cursor)}`,
    );
    expect([other.status, other.body.error]).toEqual([400, "invalid_request"]);
    expect(other.body.error_description).toMatch(/given for another person's orders/);
    const unknown = await adminList(`?user=${encodeURIComponent(TEST_USER)}&size=2`);
    expect(unknown.body.error_description).toBe(
      'Unknown query parameter "size": this listing takes user, limit (1 to 100, default 50) ' +
        "and after (the next_cursor of the page before)",
    );
  });
});
