import { describe, expect, it } from "vitest";

import { INTERRUPTED } from "./interrupted-purchase.js";

describe("what a resume reports about a purchase whose process stopped part-way", () => {
  it.each(Object.entries(INTERRUPTED))("%s says what to do next", (_, verdict) => {
    expect(verdict.fix).toMatch(/^(Ask again|Check the person's orders)/);
  });
});
