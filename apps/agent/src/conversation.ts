import type { JSONValue, ModelMessage } from "ai";

import { PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import type { ThreadRecord } from "./thread-journal.js";

/**
 * The conversation rebuilt from the durable record, so a resumed thread (possibly in another
 * process) continues where it stopped: the request, then each decided purchase as a tool call
 * with its result.
 */
export function conversation(thread: ThreadRecord): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: "user", content: thread.request }];
  for (const { toolCallId, purchase, result } of thread.purchases) {
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
