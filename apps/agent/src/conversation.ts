import type { JSONValue, ModelMessage } from "ai";

import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import type { ThreadRecord } from "./thread-journal.js";

/**
 * The conversation rebuilt from the durable record, so a resumed thread (possibly in another
 * process) continues where it stopped: the request, then each decided purchase as a tool call
 * with its result, and each call the turn did not try with what the model was told of it.
 */
export function conversation(thread: ThreadRecord): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: "user", content: thread.request }];
  const calls = thread.purchases.flatMap((record, index) => [
    ...untriedBefore(thread, index),
    record,
  ]);
  for (const { toolCallId, purchase, result } of [
    ...calls,
    ...untriedBefore(thread, thread.purchases.length),
  ]) {
    if (result === undefined) continue;
    messages.push(
      {
        role: "assistant",
        content: [{ type: "tool-call", toolCallId, toolName: PURCHASE_TOOL_NAME, input: purchase }],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId,
            toolName: PURCHASE_TOOL_NAME,
            output: { type: "json", value: JSON.parse(JSON.stringify(result)) as JSONValue },
          },
        ],
      },
    );
  }
  return messages;
}

/** The calls not tried before the purchase at `index` (after the last one: `index` past it). */
function untriedBefore(thread: ThreadRecord, index: number) {
  const last = index >= thread.purchases.length;
  return (thread.untried ?? [])
    .filter((call) => (last ? call.afterPurchases >= index : call.afterPurchases === index))
    .map(({ toolCallId, purchase, error, description }) => ({
      toolCallId,
      purchase,
      result: { outcome: "NO_PURCHASE", purchase, error, description },
    }));
}
