import { Router, static as serveStatic } from "express";

import type { ControlAuth } from "../control-auth.js";
import { approverEvents } from "./approver-events.js";
import type { ApproverEventsDeps } from "./approver-events.js";
import { PUBLIC_DIR, pageSecurityHeaders, sameOriginOnly } from "./page-security.js";
import { refuseUnservedMethods } from "./served-methods.js";

export interface ApproverPageDeps extends ApproverEventsDeps {
  auth: ControlAuth;
}

/**
 * The approver page, its assets (which the email consent page shares), and the server-sent
 * events that keep it live.
 */
export function approverPage(deps: ApproverPageDeps): Router {
  const router = Router();
  router.get("/approver", pageSecurityHeaders, (_req, res) => {
    res.sendFile("approver.html", { root: PUBLIC_DIR });
  });
  router.use("/approver/assets", pageSecurityHeaders, serveStatic(PUBLIC_DIR, { index: false }));
  // Part of the control API: only the page's own origin (or a client that is no browser).
  router.get(
    "/approver/api/events",
    sameOriginOnly("the control API", { reads: true }),
    deps.auth.check,
    approverEvents(deps),
  );
  router.use(refuseUnservedMethods(router));
  return router;
}
