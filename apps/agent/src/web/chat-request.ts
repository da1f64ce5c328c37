import { safeValidateUIMessages, type UIMessage } from "ai";
import { z } from "zod";

/** `ai`'s Chat ids are short random strings; a thread id is built from one (THREAD_ID_PATTERN). */
const CHAT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const bodySchema = z.object({
  id: z.string().regex(CHAT_ID, "id must be 1-64 letters, digits, _ or -"),
  messages: z.array(z.unknown()).min(1, "messages must hold at least the person's message"),
});

export interface ChatRequest {
  id: string;
  messages: UIMessage[];
}

/**
 * The quickstart's contract, `{ id, messages: UIMessage[] }` (what `ai`'s DefaultChatTransport
 * posts), checked with `ai`'s own UI message validation. Other members (`trigger`,
 * `messageId`) are allowed and not read.
 */
export async function parseChatRequest(
  body: unknown,
): Promise<{ ok: true; request: ChatRequest } | { ok: false; description: string }> {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      description: parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
        .join("; "),
    };
  }
  const messages = await safeValidateUIMessages({ messages: parsed.data.messages });
  if (!messages.success) {
    return { ok: false, description: `messages are not UI messages: ${messages.error.message}` };
  }
  return { ok: true, request: { id: parsed.data.id, messages: messages.data } };
}
