import { describe, expect, it } from "vitest";

import { randomId } from "./random-id.js";

describe("randomId", () => {
  it("gives 32 random bytes as 43 base64url characters by default, never the same twice", () => {
    const ids = Array.from({ length: 1000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("hands each pooled byte out once, across refills of the pool", () => {
    // 4096-byte pool: 300 ids of 16 bytes cross its end once.
    const decoded = Array.from({ length: 300 }, () => Buffer.from(randomId(16), "base64url"));
    for (const bytes of decoded) expect(bytes).toHaveLength(16);
    expect(new Set(decoded.map((bytes) => bytes.toString("hex"))).size).toBe(300);
    // Random bytes: every byte value shows up in 4,800 of them.
    expect(new Set(decoded.flatMap((bytes) => [...bytes])).size).toBe(256);
  });

  it("refuses a size larger than its pool", () => {
    expect(() => randomId(5000)).toThrow(RangeError);
  });
});
