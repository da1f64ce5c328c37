import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it, onTestFinished } from "vitest";

import { announceReady, parseReadyRecord, writeReadyRecordTo } from "./ready-record.js";

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

  describe("with a ready file (--ready-file)", () => {
    afterEach(() => {
      writeReadyRecordTo(undefined);
    });

    it("writes the same line to the file, and leaves no temporary file behind", () => {
      const dir = mkdtempSync(path.join(tmpdir(), "ready-"));
      onTestFinished(() => {
        rmSync(dir, { recursive: true, force: true });
      });
      const file = path.join(dir, "ready.json");
      writeReadyRecordTo(file);
      const lines: string[] = [];
      announceReady({ service: "shop-api", url: "http://127.0.0.1:4020", port: 4020 }, (line) =>
        lines.push(line),
      );
      expect(readFileSync(file, "utf8")).toBe(lines[0]);
      expect(readdirSync(dir)).toEqual(["ready.json"]);
    });
  });
});
