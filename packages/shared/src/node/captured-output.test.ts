import { spawn } from "node:child_process";

import { describe, expect, it } from "vitest";

import { captureOutput } from "./captured-output.js";

describe("captureOutput", () => {
  it("collects stdout, stderr and the exit code", async () => {
    const child = spawn(
      process.execPath,
      ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const output = captureOutput(child);
    expect(await output.exited).toBe(3);
    expect(output.stdout()).toBe("out");
    expect(output.stderr()).toBe("err");
  });
});
