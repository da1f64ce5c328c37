import { loadConfig } from "../config.js";
import { createModel } from "../model.js";
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

/**
 * A Responses API stream of one call of `shop_online` whose arguments are `args` as written,
 * ended by `response.incomplete` for `reason` (`max_output_tokens`, `content_filter`), else
 * completed.
 */
export function responsesCall(args: string, reason?: string) {
  const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "shop_online" };
  const usage = { input_tokens: 10, output_tokens: 5 };
  return sse([
    { type: "response.created", response: { id: "resp_1", created_at: 1767225600, model: "m" } },
    { type: "response.output_item.added", output_index: 0, item: { ...call, arguments: "" } },
    {
      type: "response.function_call_arguments.delta",
      item_id: "fc_1",
      output_index: 0,
      delta: args,
    },
    {
      type: "response.output_item.done",
      output_index: 0,
      item: { ...call, arguments: args, status: reason === undefined ? "completed" : "incomplete" },
    },
    reason === undefined
      ? { type: "response.completed", response: { usage } }
      : { type: "response.incomplete", response: { incomplete_details: { reason }, usage } },
  ]);
}

/**
 * The agent's model for an OpenAI-compatible server at localhost:11434 (`stubModelServer`),
 * spoken to as OPENAI_API `api` says, answering with `replies`; the requests it got.
 */
export async function serverModel(api: "chat" | "responses", replies: string[]) {
  const path = api === "chat" ? "/v1/chat/completions" : "/v1/responses";
  const requests = stubModelServer("http://localhost:11434", path, replies);
  const config = loadConfig({
    OPENAI_API_KEY: "sk-local",
    OPENAI_BASE_URL: "http://localhost:11434/v1",
    OPENAI_API: api,
    AGENT_MODEL: "llama3.2",
    AGENT_STORE: "/nonexistent",
  });
  return { model: await createModel(config), requests };
}

/** One answer of a model server: its status, body and headers (`stubbedAnswers`). */
export interface ServerAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/**
 * The agent's model for a Chat Completions server at localhost:11434 (nock) that answers its
 * requests with `answers` in turn, whatever they are: a status other than 200, a body that is
 * no stream. Each answer says `retry-after-ms: 0`, so the AI SDK tries again at once.
 */
export async function stubbedAnswers(answers: ServerAnswer[]) {
  let answered = 0;
  nock("http://localhost:11434")
    .post("/v1/chat/completions")
    .times(answers.length)
    .reply(() => {
      const answer = answers[answered++];
      return [
        answer?.status ?? 500,
        answer?.body ?? "",
        { "retry-after-ms": "0", ...answer?.headers },
      ];
    });
  const config = loadConfig({
    OPENAI_API_KEY: "sk-local",
    OPENAI_BASE_URL: "http://localhost:11434/v1",
    OPENAI_API: "chat",
    AGENT_MODEL: "llama3.2",
    AGENT_STORE: "/nonexistent",
  });
  return { model: await createModel(config), answered: () => answered };
}
