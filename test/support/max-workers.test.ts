import { describe, expect, it } from "vitest";

import { maxWorkers } from "./max-workers.js";

describe("maxWorkers", () => {
  it.each([
    [undefined, 2],
    ["", 2],
    [" ", 2],
    ["3", 3],
    [" 1 ", 1],
  ])("takes VITEST_MAX_WORKERS=%j as %d on 2 cores", (value, workers) => {
    expect(maxWorkers(value, 2)).toBe(workers);
  });

  it.each(["abc", "0", "-1", "1.5", "50%"])("refuses %j, naming the variable", (value) => {
    expect(() => maxWorkers(value, 2)).toThrow(
      `VITEST_MAX_WORKERS must be a whole number of test files to run at once, 1 or more (got ${JSON.stringify(value)})`,
    );
  });
});
