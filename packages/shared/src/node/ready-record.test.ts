import { describe, expect, it } from "vitest";

import { announceReady, parseReadyRecord } from "./ready-record.js";

describe("ready record", () => {
  it("round-trips through one stdout line", () => {
    const lines: string[] = [];
    announceReady(
      { service: "mock-auth0", url: "https://localhost:4010/", port: 4010, caCertPath: "/ca.pem" },
      (line) => lines.push(line),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    expect(parseReadyRecord(lines[0]?.trimEnd() ?? "")).toEqual({
      ready: true,
      pid: process.pid,
      service: "mock-auth0",
      url: "https://localhost:4010/",
      port: 4010,
      caCertPath: "/ca.pem",
    });
  });

  it("ignores log records, banners and malformed lines", () => {
    expect(parseReadyRecord('{"level":30,"msg":"mock-auth0 listening"}')).toBeUndefined();
    expect(parseReadyRecord("> pkg@ start")).toBeUndefined();
    expect(parseReadyRecord('{"ready":true,"service":"x"}')).toBeUndefined();
    expect(parseReadyRecord('{"ready":true,')).toBeUndefined();
  });
});
