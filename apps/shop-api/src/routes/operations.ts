import { Router } from "express";

import { errors } from "../errors.js";
import type { Readiness } from "../readiness.js";
import { refuseOtherMethods } from "./method-not-allowed.js";

export function operationRoutes(
  readiness: () => Promise<Readiness>,
  openApiDocument: object,
): Router {
  const router = Router();

  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/ready", async (_req, res) => {
    const state = await readiness();
    if (!state.ready) throw errors.temporarilyUnavailable(state.message);
    res.json({
      status: "ready",
      issuer: state.result.issuer,
      jwks_keys: state.result.keyCount,
      checked_at: new Date(state.checkedAt).toISOString(),
    });
  });

  router.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument);
  });

  for (const path of ["/health", "/ready", "/openapi.json"])
    refuseOtherMethods(router, path, ["GET"]);

  return router;
}
