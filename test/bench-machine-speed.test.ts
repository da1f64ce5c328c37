import { describe, expect, it } from "vitest";

import { describeMachine } from "../scripts/bench/machine.js";
import { measureMachineSpeed } from "../scripts/bench/machine-speed.js";
import { renderTable } from "../scripts/bench/report.js";

describe("pnpm bench's machine speed", () => {
  it("times node's start and an RSA signature here, and opens the table with both", async () => {
    const speed = await measureMachineSpeed({
      nodeStarts: 3,
      signatureBatches: 3,
      signaturesPerBatch: 2,
    });
    expect(speed.nodeStartMs.runs).toBe(3);
    expect(speed.rsaSignatureUs.runs).toBe(3);
    for (const figure of [speed.nodeStartMs, speed.rsaSignatureUs]) {
      expect(figure.min).toBeGreaterThan(0);
      expect(figure.min).toBeLessThanOrEqual(figure.median);
      expect(figure.median).toBeLessThanOrEqual(figure.max);
    }

    const table = renderTable({
      startedAt: new Date(0).toISOString(),
      wallSeconds: 1,
      command: "pnpm bench",
      machine: describeMachine(),
      machineSpeed: { before: speed, after: speed },
    }).split("\n");
    const cellsOf = (figure: string) =>
      table
        .find((line) => line.startsWith(`| ${figure} `))
        ?.split("|")
        .slice(2, 5)
        .map((cell) => Number(cell.trim()));
    for (const when of ["before", "after"]) {
      const { nodeStartMs: n, rsaSignatureUs: r } = speed;
      expect(cellsOf(`0. machine, ${when} the parts: node -e 0 ms`)).toEqual([
        n.median,
        n.min,
        n.max,
      ]);
      expect(cellsOf(`   machine, ${when} the parts: RSA-2048 signature µs`)).toEqual([
        r.median,
        r.min,
        r.max,
      ]);
    }
  });
});
