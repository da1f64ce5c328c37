import { describe, expect, it } from "vitest";

import { lateV8Flags } from "./serve.js";

describe("the V8 flags a shop sets for itself", () => {
  const embedded = { kind: "embedded", location: ":memory:" } as const;
  const postgres = { kind: "postgres", url: "postgres://shop@db/shop" } as const;

  it("give a short-lived shop's embedded database V8's baseline WebAssembly compiler alone", () => {
    expect(lateV8Flags({ shortLived: true, database: embedded })).toBe("--liftoff-only");
  });

  it("leave a long-lived shop, and one on PostgreSQL (no WebAssembly), as Node starts them", () => {
    expect(lateV8Flags({ shortLived: false, database: embedded })).toBeUndefined();
    expect(lateV8Flags({ shortLived: true, database: postgres })).toBeUndefined();
  });
});
