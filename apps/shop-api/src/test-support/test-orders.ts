import type { Order } from "../order.js";
import type { ShopStore } from "../store/shop-store.js";

/** An order of one USB-C cable (9.99 USD) by `sub`, placed at `createdAt`. */
export function cableOrder(id: string, sub: string, createdAt: number): Order {
  return {
    id,
    productId: "usb-c-cable",
    productName: "USB-C cable",
    quantity: 1,
    unitPriceCents: 999,
    totalCents: 999,
    currency: "USD",
    status: "confirmed",
    createdAt,
    authorization: { sub, azp: "agent", authorizationDetailsMatched: false, approvalId: null },
  };
}

/** Every order of `sub` in `store`, oldest first, read a page of 100 at a time. */
export async function allOrdersOf(
  store: Pick<ShopStore, "listByOwner">,
  sub: string,
): Promise<Order[]> {
  const all: Order[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await store.listByOwner(
      sub,
      last === undefined ? { limit: 100 } : { limit: 100, after: last.id },
    );
    if (page.outcome !== "listed") throw new Error(`order ${String(last?.id)} is gone`);
    all.push(...page.orders);
    if (!page.more) return all;
  }
}
