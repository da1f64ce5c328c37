import { z } from "zod";

import type { Reply } from "./conversation.js";
import { ApiError } from "./errors.js";
import type { StoreBudget } from "./bounded-map.js";
import { MAX_SCRIPTED_REPLIES, MAX_TOOL_CALLS, SCRIPT_BUDGET } from "./limits.js";
import { boundedArray } from "./request-schema.js";

const scriptedToolCallSchema = z
  .object({
    name: z.string().min(1, "name must not be empty"),
    /** An object (sent as its JSON) or JSON text, sent as it is: a test may send broken JSON. */
    arguments: z.union([z.record(z.unknown()), z.string()]).default({}),
    id: z.string().min(1).optional(),
  })
  .strict();

const scriptedErrorSchema = z
  .object({
    status: z.number().int().min(400).max(599),
    message: z.string().min(1),
    type: z.string().min(1).default("invalid_request_error"),
    code: z.string().min(1).nullable().default(null),
  })
  .strict();

/** One reply a test queues: text, tool calls (or both), or an error answer. */
export const scriptedReplySchema = z.union([
  z
    .object({
      text: z.string().optional(),
      toolCalls: boundedArray(scriptedToolCallSchema, MAX_TOOL_CALLS).optional(),
    })
    .strict()
    .refine((reply) => reply.text !== undefined || (reply.toolCalls?.length ?? 0) > 0, {
      message: "a reply needs text, toolCalls, or both",
    }),
  z.object({ error: scriptedErrorSchema }).strict(),
]);

export const scriptBodySchema = z
  .object({
    replies: boundedArray(scriptedReplySchema, MAX_SCRIPTED_REPLIES).refine(
      (replies) => replies.length > 0,
      { message: "replies must not be empty" },
    ),
  })
  .strict();

export type ScriptedReply = z.infer<typeof scriptedReplySchema>;

/**
 * The replies a test queued, answered in order, one per model request and before the offline
 * logic. A scripted error is answered as it is: a test may ask for a 429 or a 500 on purpose.
 * The replies waiting are bounded by count and by bytes (SCRIPT_BUDGET unless a test gives its
 * own), each measured as its share of the bytes of the body that queued it; past the budget,
 * new replies are refused, never those waiting dropped.
 */
export class ReplyScript {
  readonly #queue: { reply: ScriptedReply; bytes: number }[] = [];
  #bytes = 0;

  constructor(readonly budget: StoreBudget = SCRIPT_BUDGET) {}

  /**
   * Queues replies sent in a body of `bodyBytes`; false (and nothing queued) when they would
   * take the replies waiting past the budget.
   */
  add(replies: readonly ScriptedReply[], bodyBytes: number): boolean {
    const { entries, bytes } = this.budget;
    if (this.#queue.length + replies.length > entries || this.#bytes + bodyBytes > bytes) {
      return false;
    }
    const share = bodyBytes / replies.length;
    for (const reply of replies) this.#queue.push({ reply, bytes: share });
    this.#bytes += bodyBytes;
    return true;
  }

  pending(): readonly ScriptedReply[] {
    return this.#queue.map(({ reply }) => reply);
  }

  clear(): number {
    this.#bytes = 0;
    return this.#queue.splice(0).length;
  }

  /** The next scripted reply as a model reply (or a thrown error), or undefined when none. */
  take(newCallId: () => string): Reply | undefined {
    const queued = this.#queue.shift();
    if (queued === undefined) return undefined;
    // The last reply out leaves exactly 0, whatever the shares' rounding.
    this.#bytes = this.#queue.length === 0 ? 0 : this.#bytes - queued.bytes;
    const next = queued.reply;
    if ("error" in next) {
      const { status, type, code, message } = next.error;
      throw new ApiError(status, type, code, message);
    }
    return {
      text: next.text ?? "",
      toolCalls: (next.toolCalls ?? []).map((call) => ({
        id: call.id ?? newCallId(),
        name: call.name,
        arguments:
          typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
      })),
    };
  }
}
