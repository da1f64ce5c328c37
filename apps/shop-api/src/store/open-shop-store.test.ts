import { cpSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";

import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

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
  const NOW = Date.parse("2026-01-15T10:00:00.000Z");

  it("lasts to the next whole second after a record begun in this one, and no more", async () => {
    const clock = new ManualClock(NOW + 300);
    await untilSecondAfter(NOW + 300, clock);
    expect(clock.sleeps).toEqual([700]);
    expect(clock.now()).toBe(NOW + 1000);
  });

  it("is none for a record begun at a whole second, or at an earlier start", async () => {
    for (const began of [NOW, NOW - 86_400_000]) {
      const clock = new ManualClock(NOW);
      await untilSecondAfter(began, clock);
      expect(clock.sleeps).toEqual([]);
    }
  });

  it("is openShopStore's: a store that begins a record is returned in the next second", async () => {
    const copy = await emptyShopDatabase();
    try {
      const clock = new ManualClock(NOW + 300);
      const opened = await openShopStore(
        { kind: "embedded", location: copy.folder },
        new Catalog(),
        { clock },
      );
      await opened.close();
      expect(opened.record).toEqual({ beganAt: NOW + 300 });
      expect(clock.sleeps).toEqual([700]);
      expect(clock.now()).toBe(NOW + 1000);
    } finally {
      await copy.remove();
    }
  }, 120_000);
});
