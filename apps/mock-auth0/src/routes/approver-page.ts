import { fileURLToPath } from "node:url";

import { Router, static as serveStatic } from "express";
import type { RequestHandler } from "express";

import type { ControlAuth } from "../control-auth.js";
import { approverEvents } from "./approver-events.js";
import type { ApproverEventsDeps } from "./approver-events.js";

const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

/**
 * A page that can approve a purchase must not be framed by another site (clickjacking) nor
 * run anything but its own script.
 */
const pageSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  });
  next();
};

export interface ApproverPageDeps extends ApproverEventsDeps {
  auth: ControlAuth;
}

/** The approver page, its assets, and the server-sent events that keep it live. */
export function approverPage(deps: ApproverPageDeps): Router {
  const router = Router();
  router.get("/approver", pageSecurityHeaders, (_req, res) => {
    res.sendFile("approver.html", { root: PUBLIC_DIR });
  });
  router.use("/approver/assets", pageSecurityHeaders, serveStatic(PUBLIC_DIR, { index: false }));
  router.get("/approver/api/events", deps.auth.check, approverEvents(deps));
  return router;
}
