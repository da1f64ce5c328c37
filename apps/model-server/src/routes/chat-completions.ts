import { Router } from "express";

import { chatCompletion, chatCompletionChunks, chatUsage } from "../chat-response.js";
import { bodyBytesOf } from "../body-bytes.js";
import { readChatRequest } from "../chat-request.js";
import type { ModelServerDeps } from "../deps.js";
import { answer } from "../model.js";
import { sendEventStream } from "../sse.js";

/** `POST /v1/chat/completions`: OpenAI's Chat Completions, streamed (SSE) or not. */
export function chatCompletionsRoutes(deps: ModelServerDeps): Router {
  const router = Router();
  router.post("/v1/chat/completions", (req, res) => {
    const { request, conversation } = readChatRequest(req.body);
    const stream = request.stream === true;
    const reply = answer(
      deps,
      { endpoint: "chat.completions", stream, bodyBytes: bodyBytesOf(req) },
      conversation,
    );
    const identity = {
      id: deps.newId("chatcmpl-"),
      created: Math.floor(deps.clock.now() / 1000),
      model: request.model,
    };
    const usage = chatUsage(conversation, reply);
    if (!stream) {
      res.json(chatCompletion(identity, reply, usage));
      return;
    }
    const withUsage = request.stream_options?.include_usage === true;
    sendEventStream(
      res,
      chatCompletionChunks(identity, reply, withUsage ? usage : undefined),
      true,
    );
  });
  return router;
}
