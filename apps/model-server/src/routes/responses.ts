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
    const { request, conversation, history, storedBytes } = readResponsesRequest(
      req.body,
      deps.responses,
    );
    const stream = request.stream === true;
    const bodyBytes = bodyBytesOf(req);
    const reply = answer(deps, { endpoint: "responses", stream, bodyBytes }, conversation);
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
    let stored = false;
    if (request.store !== false) {
      const produced = outputTurns(output);
      const turns = [...history, ...produced.map(([, turn]) => turn)];
      stored = deps.responses.save(identity.id, turns, produced, bodyBytes + storedBytes);
    }
    // A response larger than the store's whole budget is answered, and says it was not stored.
    const answered = stored ? request : { ...request, store: false };
    if (!stream) {
      res.json(responseObject(identity, answered, conversation, output));
      return;
    }
    sendEventStream(res, responseEvents(identity, answered, conversation, output), false);
  });
  return router;
}
