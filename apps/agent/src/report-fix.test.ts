import { describe, expect, it } from "vitest";

import type { AgentReport } from "./agent-report.js";
import { withFix } from "./report-fix.js";
import { testConfig } from "./test-support/stubs.js";

const refused = (error: string, fix?: string): AgentReport => ({
  outcome: "SHOP_REFUSED",
  exitCode: 6,
  message: "Could not buy 1 x XYZ phone.",
  threadId: "thr_1",
  error,
  ...(fix === undefined ? {} : { fix }),
  purchases: [],
  timings: { totalMs: 1 },
});

describe("the fix of a refusal that names none", () => {
  it.each([
    ["unknown_product", /^GET http:\/\/localhost:4020\/api\/products lists what the shop sells/],
    ["price_limit_exceeded", /^Ask again with a limit at least the total/],
    ["invalid_tool_call", /^Ask again, naming the product and a whole quantity/],
  ])("is given for %s", (error, fix) => {
    expect(withFix(refused(error), testConfig()).fix).toMatch(fix);
  });

  it("keeps a fix the report has, and gives none for an error it does not know", () => {
    expect(withFix(refused("unknown_product", "Own."), testConfig()).fix).toBe("Own.");
    expect(withFix(refused("something_else"), testConfig()).fix).toBeUndefined();
  });
});
