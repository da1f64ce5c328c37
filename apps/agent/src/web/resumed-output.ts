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
      const output: unknown = part.output;
      if (
        typeof output === "object" &&
        output !== null &&
        "result" in output &&
        "toolName" in output &&
        (output as { state?: unknown }).state === "output-available"
      ) {
        return { ...part, output: (output as { result: unknown }).result };
      }
      return part;
    }),
  }));
}
