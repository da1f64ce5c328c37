import type { AgentEvent } from "../agent-event.js";

/**
 * The orders a web app has sent to the shop and not yet heard back about, from the purchase
 * tool's events: a stopping app waits for them (`settled`), so the shop's answer is not cut.
 */
export class OrdersInFlight {
  private readonly out = new Set<string>();
  private readonly waiters = new Set<() => void>();

  /** Takes the purchase tool's `order-sending` and `order-answered`; ignores the rest. */
  readonly note = (event: AgentEvent): void => {
    if (event.type === "order-sending") this.out.add(event.toolCallId);
    if (event.type !== "order-answered") return;
    this.out.delete(event.toolCallId);
    if (this.out.size > 0) return;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  };

  get size(): number {
    return this.out.size;
  }

  /** Resolves once no order is out, or after `maxMs` (an order whose answer never comes). */
  async settled(maxMs: number): Promise<void> {
    if (this.out.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.add(resolve);
      timer = setTimeout(() => {
        this.waiters.delete(resolve);
        resolve();
      }, maxMs);
    });
    clearTimeout(timer);
  }
}
