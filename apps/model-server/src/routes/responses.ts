import { Router } from "express";

import { bodyBytesOf } from "../body-bytes.js";
import type { ModelServerDeps } from "../deps.js";
import { answer } from "../model.js";
import { readResponsesRequest } from "../responses-request.js";
import { outputItems, outputTurns, responseEvents, responseObject } from "../responses-response.js";
import { sendEventStream } from "../sse.js";

/** `POST /v1/responses`: OpenAI's Responses API, streamed (SSE) or not. */
export function responsesRoutes(deps: ModelServerDeps): Router {
  const router = Router();
  router.post("/v1/responses", (req, res) => {
    const { request, conversation, history } = readResponsesRequest(req.body, deps.responses);
    const stream = request.stream === true;
    const reply = answer(
      deps,
      { endpoint: "responses", stream, bodyBytes: bodyBytesOf(req) },
      conversation,
    );
    const identity = {
      id: deps.newId("resp_"),
      createdAt: Math.floor(deps.clock.now() / 1000),
      model: request.model,
      itemIds: {
        message: deps.newId("msg_"),
        calls: reply.toolCalls.map(() => deps.newId("fc_")),
      },
    };
    const output = outputItems(identity, reply);
    if (request.store !== false) {
      const produced = outputTurns(output);
      deps.responses.save(identity.id, [...history, ...produced.map(([, turn]) => turn)], produced);
    }
    if (!stream) {
      res.json(responseObject(identity, request, conversation, output));
      return;
    }
    sendEventStream(res, responseEvents(identity, request, conversation, output), false);
  });
  return router;
}
