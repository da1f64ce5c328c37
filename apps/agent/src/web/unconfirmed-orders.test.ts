import { describe, expect, it } from "vitest";

import { describeUnconfirmedOrders } from "./unconfirmed-orders.js";

const SHOP = { purchasesUrl: "http://localhost:4020/api/purchases", graceMs: 15_000 };

describe("what a web app stopped with an order unanswered says", () => {
  it("names the order, whom it is for, when it left, and how to check whether the shop placed it", () => {
    const text = describeUnconfirmedOrders(
      [
        {
          toolCallId: "call_1",
          threadId: "5f0c.chat1",
          sub: "auth0|testbed-user",
          purchase: { product: "XYZ phone", qty: 2 },
          sentAt: Date.parse("2026-12-07T22:40:01.123Z"),
        },
      ],
      SHOP,
    );

    expect(text).toBe(
      "The web app stopped with 1 order sent to the shop and unanswered after 15 s: the shop may have placed it, and the person may have been charged.\n" +
        '  - 2 x XYZ phone for "auth0|testbed-user" (chat thread 5f0c.chat1, sent at 2026-12-07T22:40:01.123Z)\n' +
        "Fix: Check the person's orders at the shop before they ask for it again: GET http://localhost:4020/api/purchases with a token of theirs lists them (the testbed's shop: GET http://localhost:4020/admin/orders?user=<sub> with its SHOP_API_ADMIN_TOKEN); an order of that product and quantity created since it was sent is this one. Its chat went with the app: ask again in a new chat only if no such order is there.",
    );
  });

  it("names each of several, and a person's id with controls written out", () => {
    const cable = { product: "USB-C cable", qty: 1 };
    const orders = [
      { toolCallId: "call_1", threadId: "a.1", sub: "auth0|ann", purchase: cable },
      { toolCallId: "call_9", threadId: "b.1", sub: "auth0|b\u001b[2Job" },
    ];

    const text = describeUnconfirmedOrders(orders, SHOP);

    expect(text).toMatch(/^The web app stopped with 2 orders sent to the shop .*placed them,/);
    expect(text).toContain('  - 1 x USB-C cable for "auth0|ann" (chat thread a.1)\n');
    // A record the chat no longer has is named by its tool call.
    expect(text).toContain('  - tool call call_9 for "auth0|b\\u{001B}[2Job" (chat thread b.1)\n');
  });
});
