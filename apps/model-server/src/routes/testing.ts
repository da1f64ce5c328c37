import { Router } from "express";

import { bodyBytesOf } from "../body-bytes.js";
import { formatBytes } from "../bounded-map.js";
import type { ModelServerDeps } from "../deps.js";
import { errors } from "../errors.js";
import { parseBody } from "../request-schema.js";
import { scriptBodySchema } from "../script.js";

/**
 * The test-control routes: queue exact replies (`/v1/testing/script`), and read what the
 * model was asked (`/v1/testing/requests`).
 */
export function testingRoutes(deps: ModelServerDeps): Router {
  const router = Router();
  router.post("/v1/testing/script", (req, res) => {
    const { replies } = parseBody(scriptBodySchema, req.body);
    if (!deps.script.add(replies, bodyBytesOf(req))) {
      const { entries, bytes } = deps.script.budget;
      throw errors.invalidRequest(
        `At most ${String(entries)} replies, ${formatBytes(bytes)} of request bodies in all, ` +
          "may wait at once; DELETE /v1/testing/script clears them",
        "replies",
      );
    }
    res.status(201).json({ queued: replies.length, pending: deps.script.pending().length });
  });
  router.get("/v1/testing/script", (_req, res) => {
    res.json({ replies: deps.script.pending() });
  });
  router.delete("/v1/testing/script", (_req, res) => {
    res.json({ cleared: deps.script.clear() });
  });
  router.get("/v1/testing/requests", (_req, res) => {
    res.json({ requests: deps.requests.entries() });
  });
  router.delete("/v1/testing/requests", (_req, res) => {
    res.json({ cleared: deps.requests.clear() });
  });
  return router;
}
