import { ManualClock } from "@ciba-testbed/shared";

import type { Ticker } from "../ticker.js";

/**
 * The shared manual clock, also serving as the tenant's ticker: each `advance` runs every task
 * once, whatever its period, so time moves in the steps the test chooses and what fell due
 * takes effect, as the server's timers do in real time.
 */
export class TickingClock extends ManualClock implements Ticker {
  private readonly tasks = new Set<() => void>();

  override advance(ms: number): void {
    super.advance(ms);
    for (const task of [...this.tasks]) task();
  }

  /** Moves time as `advance` does but runs no task: the moment before the server's timer fires. */
  advanceBeforeTick(ms: number): void {
    super.advance(ms);
  }

  every(_ms: number, task: () => void): () => void {
    const own = () => {
      task();
    };
    this.tasks.add(own);
    return () => {
      this.tasks.delete(own);
    };
  }
}
