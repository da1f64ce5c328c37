import { Router } from "express";

/**
 * The models `GET /v1/models` lists. Every model name is served the same way (a request may
 * name any model), so this list only helps clients that check it first.
 */
export const LISTED_MODELS = [
  "gpt-4o-mini",
  "gpt-4o",
  "gpt-4.1-mini",
  "gpt-4.1",
  "gpt-5-mini",
  "gpt-5",
] as const;

// A fixed date (2025-01-01), so the answer is the same on every run.
const CREATED = 1_735_689_600;

function model(id: string) {
  return { id, object: "model", created: CREATED, owned_by: "ciba-testbed" };
}

/** `GET /v1/models` and `GET /v1/models/{model}` (any name: every model is served). */
export function modelsRoutes(): Router {
  const router = Router();
  router.get("/v1/models", (_req, res) => {
    res.json({ object: "list", data: LISTED_MODELS.map(model) });
  });
  router.get("/v1/models/:model", (req, res) => {
    res.json(model(req.params.model));
  });
  return router;
}
