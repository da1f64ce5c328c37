import type { StepResult, ToolSet } from "ai";

import { isTerminalFailure } from "./outcome.js";
import { isPurchaseResult, type PurchaseResult } from "./purchase-result.js";
import { hasToolErrorThatRan, REPEATED_PURCHASE } from "./turn-guard.js";

/**
 * The purchase result a tool call gave, when it did not go through (denied, expired, refused,
 * an error): the turn ends on it, and the model is not asked again. A purchase the turn had
 * already asked for, not tried again (`REPEATED_PURCHASE`), ends nothing: the turn goes on.
 */
export function turnEndingResult(output: unknown): PurchaseResult | undefined {
  return isPurchaseResult(output) &&
    isTerminalFailure(output.outcome) &&
    output.error !== REPEATED_PURCHASE
    ? output
    : undefined;
}

/**
 * The step loop's stop condition, the CLI's and the web app's: it ends the turn once a purchase
 * did not go through, or a tool call that ran ended in an error (an interrupt), before the model
 * is asked again. Asked again, a model writes its own account of what happened ("Great news:
 * your phone has been ordered!" after a denial) or calls the tool anew, a second push. A call
 * the SDK found invalid ran nothing, and goes back to the model (`hasToolErrorThatRan`).
 */
export function endsTurn<TOOLS extends ToolSet>({
  steps,
}: {
  steps: StepResult<TOOLS>[];
}): boolean {
  const content = steps.at(-1)?.content ?? [];
  return (
    content.some(
      (part) => part.type === "tool-result" && turnEndingResult(part.output) !== undefined,
    ) || hasToolErrorThatRan(content)
  );
}
