import { afterEach, describe, expect, it, vi } from "vitest";

import { runCli } from "./cli.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(stream: NodeJS.WriteStream) {
  return vi.spyOn(stream, "write").mockImplementation(() => true);
}

describe("runCli", () => {
  it("refuses an empty --user rather than acting for the default user", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "--user", "", "Buy an XYZ phone"], {});

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toContain("must not be empty");
  });

  it("prints one JSON object naming every bad variable with --json", async () => {
    const stdout = capture(process.stdout);

    const code = await runCli(["node", "agent", "--json", "Buy an XYZ phone"], {
      AGENT_MODE: "later",
      SHOP_API_URL: "not a url",
      AGENT_USER_ID: "",
    });

    expect(code).toBe(2);
    const report = JSON.parse(stdout.mock.calls.map(([text]) => String(text)).join(""));
    expect(report).toMatchObject({ outcome: "CONFIG_ERROR", exitCode: 2, purchases: [] });
    expect(report.message).toContain("SHOP_API_URL");
    expect(report.message).toContain("AGENT_MODE (or --mode)");
    expect(report.message).not.toContain("AGENT_USER_ID");
  });
});
