import type { AgentEvent } from "../agent-event.js";

/** An order a web app sent to the shop and has not heard back about, and whose chat sent it. */
export interface OrderOut {
  toolCallId: string;
  threadId: string;
  /** The person the order is for (the session's `sub`). */
  sub: string;
}

/**
 * The orders a web app has sent to the shop and not yet heard back about, from the purchase
 * tool's events: a stopping app waits for them (`settled`), so the shop's answer is not cut, and
 * names those whose answer never came.
 */
export class OrdersInFlight {
  /** By thread and tool call: a tool call id is the model's, unique within its thread only. */
  private readonly out = new Map<string, OrderOut>();
  private readonly waiters = new Set<() => void>();

  /**
   * Takes the purchase tool's `order-sending` and `order-answered` of the chat `chat`; ignores
   * the rest.
   */
  note(event: AgentEvent, chat: { threadId: string; sub: string }): void {
    if (event.type !== "order-sending" && event.type !== "order-answered") return;
    const key = JSON.stringify([chat.threadId, event.toolCallId]);
    if (event.type === "order-sending") {
      this.out.set(key, { toolCallId: event.toolCallId, ...chat });
      return;
    }
    this.out.delete(key);
    if (this.out.size > 0) return;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get size(): number {
    return this.out.size;
  }

  /**
   * Resolves once no order is out, or after `maxMs` (an order whose answer never comes), with
   * the orders still out then: empty when every one was answered.
   */
  async settled(maxMs: number): Promise<OrderOut[]> {
    if (this.out.size === 0) return [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.add(resolve);
      timer = setTimeout(() => {
        this.waiters.delete(resolve);
        resolve();
      }, maxMs);
    });
    clearTimeout(timer);
    return [...this.out.values()];
  }
}
