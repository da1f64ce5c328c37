import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { Timer, TimerQueue } from "./timer-queue.js";

type Operation = { set: number; at: number } | { remove: number } | { pop: true };

describe("TimerQueue", () => {
  it("always offers the earliest timer, through moves and removals (property)", () => {
    const id = fc.integer({ min: 0, max: 30 });
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({ set: id, at: fc.integer({ min: 0, max: 1_000 }) }),
      id.map((n) => ({ remove: n })),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (operations) => {
        const queue = new TimerQueue<number>();
        const timers = Array.from({ length: 31 }, (_, n) => new Timer(n));
        const model = new Map<number, number>();
        for (const op of operations) {
          if ("set" in op) {
            queue.set(timers[op.set]!, op.at);
            model.set(op.set, op.at);
          } else if ("remove" in op) {
            queue.delete(timers[op.remove]!);
            model.delete(op.remove);
            expect(timers[op.remove]!.queued).toBe(false);
          } else {
            const first = queue.peek();
            if (first) {
              expect(first.dueAt).toBe(Math.min(...model.values()));
              queue.delete(first);
              model.delete(first.item);
            } else {
              expect(model.size).toBe(0);
            }
          }
          expect(queue.size).toBe(model.size);
        }
      }),
    );
  });
});
