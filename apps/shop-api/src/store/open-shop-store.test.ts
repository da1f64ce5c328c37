import { cpSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";

import { ManualClock } from "@ciba-testbed/shared";
import { afterEach, describe, expect, it, vi } from "vitest";

import { emptyShopDatabase } from "../../../../scripts/stack/shop-database.js";
import { Catalog } from "../catalog.js";
import type { Order } from "../order.js";
import { openShopStore, untilSecondAfter } from "./open-shop-store.js";

const at = (iso: string) => new ManualClock(Date.parse(iso));

describe("openShopStore's record of spent approvals", () => {
  it("begins at the database's first start, to the millisecond, and again at --reset or in a copy", async () => {
    const copy = await emptyShopDatabase();
    const elsewhere = path.join(path.dirname(copy.folder), "moved");
    const open = (folder: string, clock: ManualClock, reset = false) =>
      openShopStore({ kind: "embedded", location: folder }, new Catalog(), { clock, reset });
    try {
      const first = await open(copy.folder, at("2026-03-01T12:00:00.900Z"));
      expect(first.record).toEqual({ beganAt: Date.parse("2026-03-01T12:00:00.900Z") });
      const order: Order = {
        id: "order-1",
        productId: "xyz-phone",
        productName: "XYZ phone",
        quantity: 1,
        unitPriceCents: 49_900,
        totalCents: 49_900,
        currency: "USD",
        status: "confirmed",
        createdAt: Date.parse("2026-03-01T12:00:01Z"),
        authorization: {
          sub: "auth0|buyer",
          azp: "agent",
          authorizationDetailsMatched: true,
          approvalId: "approval-1",
        },
      };
      expect(await first.store.place(order)).toEqual({ outcome: "placed" });
      await first.close();

      // A restart keeps it.
      const again = await open(copy.folder, at("2026-03-02T08:00:00Z"));
      expect(again.record).toEqual({ beganAt: Date.parse("2026-03-01T12:00:00.900Z") });
      expect(await again.store.recordBegan()).toBe(Date.parse("2026-03-01T12:00:00.900Z"));
      await again.close();

      // A copy of the folder elsewhere may not be the only record: it begins anew.
      cpSync(copy.folder, elsewhere, { recursive: true });
      const copied = await open(elsewhere, at("2026-03-03T08:00:00Z"));
      expect(copied.record).toEqual({
        beganAt: Date.parse("2026-03-03T08:00:00Z"),
        movedFrom: realpathSync(copy.folder),
        heldOrders: true,
      });
      await copied.close();

      // --reset forgets the approvals spent, and begins the record anew.
      const reset = await open(copy.folder, at("2026-03-04T08:00:00Z"), true);
      expect(reset.record).toEqual({ beganAt: Date.parse("2026-03-04T08:00:00Z") });
      await reset.close();
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
      await copy.remove();
    }
  }, 120_000);
});

describe("the wait after a shop's record of spent approvals began", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const NOW = Date.parse("2026-01-15T10:00:00.000Z");

  it("lasts to the next whole second after a record begun in this one, and no more", async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(NOW + 300);
    let done = false;
    const waiting = untilSecondAfter(NOW + 300, clock).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(699);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it("is none for a record begun at a whole second, or at an earlier start", async () => {
    vi.useFakeTimers();
    for (const began of [NOW, NOW - 86_400_000]) {
      let done = false;
      const waiting = untilSecondAfter(began, new ManualClock(NOW)).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      await waiting;
      expect(done).toBe(true);
    }
  });
});
