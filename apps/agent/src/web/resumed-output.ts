import type { PurchaseRequest } from "@ciba-testbed/shared";
import { isToolUIPart, type UIMessage } from "ai";

import { isPurchaseResult } from "../purchase-result.js";
import { TURN_ENDED } from "../turn-guard.js";

/**
 * The messages with the tool part the page resumes (its output has a truthy
 * `continueInterruption`) moved to the end of the last message. withInterruptions resumes only
 * the last part, and the page hands back a step as it shows it: when the model called the tool
 * twice in that step (OpenAI's parallel calls), the call not tried beside the purchase that
 * waits comes after it. The other parts keep their order.
 */
export function withResumedPartLast(messages: UIMessage[]): UIMessage[] {
  const last = messages.at(-1);
  if (last === undefined) return messages;
  const index = last.parts.findIndex(
    (part) =>
      isToolUIPart(part) &&
      part.state === "output-available" &&
      typeof part.output === "object" &&
      part.output !== null &&
      Boolean((part.output as { continueInterruption?: unknown }).continueInterruption),
  );
  if (index === -1 || index === last.parts.length - 1) return messages;
  const parts = [...last.parts];
  const [resumed] = parts.splice(index, 1);
  if (resumed !== undefined) parts.push(resumed);
  return [...messages.slice(0, -1), { ...last, parts }];
}

/**
 * The purchases of the calls not tried beside the resumed one, in its step (after the last
 * `step-start` of the last message): a turn that waited for one purchase did not try them.
 */
export function untriedBeside(messages: readonly UIMessage[]): PurchaseRequest[] {
  const parts = messages.at(-1)?.parts ?? [];
  const stepStart = parts.findLastIndex((part) => part.type === "step-start");
  return parts.slice(stepStart + 1).flatMap((part) => {
    if (!isToolUIPart(part) || part.state !== "output-available") return [];
    const output: unknown = part.output;
    return isPurchaseResult(output) && output.error === TURN_ENDED ? [output.purchase] : [];
  });
}

/**
 * `@auth0/ai-vercel`'s withInterruptions runs a resumed tool before the model is asked, and
 * leaves its result wrapped as `{ toolName, state, result }`. The model must read the tool's own
 * result (a purchase result), as after any other tool call, or it would call the tool again:
 * a new approval request and a second push.
 */
export function withResumedOutputs(messages: UIMessage[]): UIMessage[] {
  return messages.map((message) => ({
    ...message,
    parts: message.parts.map((part) => {
      if (!isToolUIPart(part) || part.state !== "output-available") return part;
      const resumed = resumedResult(part.output);
      return resumed === undefined ? part : { ...part, output: resumed.result };
    }),
  }));
}

/**
 * The resumed tool call's own result, once withInterruptions has run it: the last part of the
 * last message, unwrapped as `withResumedOutputs` unwraps it. The client still holds the
 * interrupt's `{ continueInterruption }` as that part's output; the stream sends it the result
 * (`tool-output-available`), or every later turn would show the model the interrupt again.
 */
export function resumedToolOutput(
  messages: readonly UIMessage[],
): { toolCallId: string; output: unknown } | undefined {
  const last = messages.at(-1)?.parts.at(-1);
  if (last === undefined || !isToolUIPart(last) || last.state !== "output-available") {
    return undefined;
  }
  const resumed = resumedResult(last.output);
  return resumed === undefined
    ? undefined
    : { toolCallId: last.toolCallId, output: resumed.result };
}

/** withInterruptions' wrapper of a resumed tool's result, when `output` is one. */
function resumedResult(output: unknown): { result: unknown } | undefined {
  if (
    typeof output === "object" &&
    output !== null &&
    "result" in output &&
    "toolName" in output &&
    (output as { state?: unknown }).state === "output-available"
  ) {
    return { result: (output as { result: unknown }).result };
  }
  return undefined;
}
