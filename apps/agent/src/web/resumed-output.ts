import { isToolUIPart, type UIMessage } from "ai";

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
