import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { SequenceIndex } from "./sequence-index.js";

type Operation = { insert: number } | { remove: number } | { page: number; before?: number };

describe("SequenceIndex", () => {
  it("behaves as a sorted set: inserts, removals and pages newest first (property)", () => {
    const key = fc.integer({ min: 1, max: 200 });
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      key.map((k) => ({ insert: k })),
      key.map((k) => ({ remove: k })),
      fc.record({ page: fc.integer({ min: 1, max: 20 }), before: key }, { requiredKeys: ["page"] }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (operations) => {
        const index = new SequenceIndex<string>();
        const model = new Set<number>();
        for (const op of operations) {
          if ("insert" in op) {
            if (model.has(op.insert)) continue;
            index.insert(op.insert, `v${op.insert}`);
            model.add(op.insert);
          } else if ("remove" in op) {
            expect(index.delete(op.remove)).toBe(model.delete(op.remove));
          } else {
            const expected = [...model]
              .filter((k) => op.before === undefined || k < op.before)
              .sort((a, b) => b - a)
              .slice(0, op.page);
            const actual: number[] = [];
            for (const { key: k, value } of index.descending(op.before)) {
              expect(value).toBe(`v${k}`);
              actual.push(k);
              if (actual.length === op.page) break;
            }
            expect(actual).toEqual(expected);
          }
          expect(index.size).toBe(model.size);
          expect(index.first()).toBe(model.size === 0 ? undefined : `v${Math.min(...model)}`);
        }
      }),
    );
  });

  it("refuses a key it holds already", () => {
    const index = new SequenceIndex<string>();
    index.insert(1, "a");
    expect(() => {
      index.insert(1, "b");
    }).toThrow(/already present/);
  });
});
