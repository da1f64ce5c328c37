import type { PurchaseRequest } from "@ciba-testbed/shared";

import { AgentHalt } from "./halt.js";
import { isTerminalFailure } from "./outcome.js";
import type { PurchaseResult } from "./purchase-result.js";

type Purchase = (input: PurchaseRequest, toolCallId: string) => Promise<PurchaseResult>;

/**
 * The purchases of one turn: one consent at a time, and none after a purchase of this turn did
 * not go through, since a model that retries after a denial would otherwise push to the person
 * again. An AgentHalt stops every later call too, and stays readable by the agent: the AI SDK
 * turns a thrown error into a tool result the agent would not see.
 */
export function guardTurn(purchase: Purchase): {
  run: Purchase;
  halted: () => AgentHalt | undefined;
} {
  let queue: Promise<unknown> = Promise.resolve();
  let stopped: PurchaseResult | undefined;
  let halted: AgentHalt | undefined;

  const guarded = async (input: PurchaseRequest, toolCallId: string) => {
    if (halted !== undefined) throw halted;
    if (stopped !== undefined) return turnEnded(input, stopped);
    try {
      const result = await purchase(input, toolCallId);
      if (isTerminalFailure(result.outcome)) stopped = result;
      return result;
    } catch (error) {
      if (error instanceof AgentHalt) halted = error;
      throw error;
    }
  };

  return {
    run: (input, toolCallId) => {
      const next = queue.then(
        () => guarded(input, toolCallId),
        () => guarded(input, toolCallId),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    halted: () => halted,
  };
}

function turnEnded(input: PurchaseRequest, stopped: PurchaseResult): PurchaseResult {
  return {
    outcome: "NO_PURCHASE",
    purchase: input,
    error: "turn_ended",
    description: `Not attempted: an earlier purchase ended ${stopped.outcome}. Report that to the person instead of trying again.`,
  };
}
