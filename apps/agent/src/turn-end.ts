import type { StepResult, ToolSet } from "ai";

import { isTerminalFailure } from "./outcome.js";
import { isPurchaseResult, type PurchaseResult } from "./purchase-result.js";
import { hasToolErrorThatRan, REPEATED_PURCHASE } from "./turn-guard.js";

/**
 * The most model steps one turn takes (`stepCountIs`): a model that calls the tool at every step
 * is stopped there.
 */
export const MAX_STEPS = 20;

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
 * The step loop's stop condition, the CLI's and the web app's: it ends the turn before the model
 * is asked again
 * - once a purchase did not go through, or a tool call that ran ended in an error (an interrupt).
 *   Asked again, a model writes its own account of what happened ("Great news: your phone has
 *   been ordered!" after a denial) or calls the tool anew, a second push;
 * - once a step did not end complete (cut at the model's output token limit, withheld by a
 *   content filter, no finish reason): the SDK runs none of its calls, and asked again with the
 *   same conversation the model is cut again, each time at the cost of a request;
 * - at the second step with a call the SDK found invalid (input the tool's schema refuses, not
 *   JSON, a tool there is not). Such a call ran nothing, and the first goes back to the model
 *   with the SDK's error (`hasToolErrorThatRan`), which may call again as it should; a model that
 *   was corrected once and still calls wrong would otherwise be asked until the step cap.
 */
export function endsTurn<TOOLS extends ToolSet>({
  steps,
}: {
  steps: StepResult<TOOLS>[];
}): boolean {
  const last = steps.at(-1);
  if (last === undefined) return false;
  const { content, finishReason } = last;
  return (
    content.some(
      (part) => part.type === "tool-result" && turnEndingResult(part.output) !== undefined,
    ) ||
    hasToolErrorThatRan(content) ||
    (finishReason !== "stop" && finishReason !== "tool-calls") ||
    (hasInvalidCall(last) && steps.filter(hasInvalidCall).length > INVALID_CALLS_SENT_BACK)
  );
}

/** How many steps with an invalid call a turn hands back to the model for it to call again. */
const INVALID_CALLS_SENT_BACK = 1;

function hasInvalidCall<TOOLS extends ToolSet>(step: StepResult<TOOLS>): boolean {
  return step.content.some((part) => part.type === "tool-call" && part.invalid === true);
}
