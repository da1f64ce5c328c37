import type { Conversation, Reply } from "./conversation.js";
import { ApiError } from "./errors.js";
import { offlineReply } from "./offline-reply.js";
import type { LoggedRequest, RequestLog } from "./request-log.js";
import { errorAnswer } from "./request-log.js";
import type { ReplyScript } from "./script.js";

export interface ModelDeps {
  script: ReplyScript;
  requests: RequestLog;
  newId: (prefix: string) => string;
}

/**
 * The model behind both endpoints: the next scripted reply if a test queued one, else the
 * offline logic. Every request is recorded with its answer, refusals included.
 */
export function answer(deps: ModelDeps, request: LoggedRequest, conversation: Conversation): Reply {
  const newCallId = () => deps.newId("call_");
  try {
    const scripted = deps.script.take(newCallId);
    const reply = scripted ?? offlineReply(conversation, newCallId);
    deps.requests.record(request, conversation, {
      source: scripted === undefined ? "offline" : "script",
      text: reply.text,
      toolCalls: reply.toolCalls,
    });
    return reply;
  } catch (error) {
    if (error instanceof ApiError) {
      deps.requests.record(request, conversation, errorAnswer(error));
    }
    throw error;
  }
}
