import { nock } from "./stubs.js";

/** Server-sent events, one `data:` line per event, as OpenAI's APIs stream them. */
export function sse(events: Record<string, unknown>[]): string {
  return events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("");
}

const SSE = { "content-type": "text/event-stream" };

/**
 * A model server (nock) answering its requests at `path` with `replies` in turn, each an event
 * stream; the requests' bodies, as they come.
 */
export function stubModelServer(origin: string, path: string, replies: string[]) {
  const requests: Record<string, unknown>[] = [];
  nock(origin)
    .post(path)
    .times(replies.length)
    .reply(async (request: Request) => {
      requests.push((await request.json()) as Record<string, unknown>);
      return [200, replies[requests.length - 1], SSE];
    });
  return requests;
}

/** A Chat Completions stream's chunk: its `delta`, and the finish reason when it has one. */
export function completionChunk(delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1767225600,
    model: "llama3.2",
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

/**
 * A Chat Completions stream of one call of `shop_online` whose arguments are `args` as written,
 * ending with `finish` (none: the stream ends without a finish reason).
 */
export function completionCall(args: string, finish: string | null = "tool_calls", id = "call_1") {
  const call = {
    index: 0,
    id,
    type: "function",
    function: { name: "shop_online", arguments: args },
  };
  const chunks = [completionChunk({ role: "assistant", tool_calls: [call] })];
  if (finish !== null) chunks.push(completionChunk({}, finish));
  return `${sse(chunks)}data: [DONE]\n\n`;
}

/** A Chat Completions stream of `text`, ending with `finish`. */
export function completionText(text: string, finish = "stop") {
  return `${sse([completionChunk({ role: "assistant", content: text }), completionChunk({}, finish)])}data: [DONE]\n\n`;
}
