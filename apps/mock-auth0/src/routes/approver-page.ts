import { fileURLToPath } from "node:url";

import { Router, static as serveStatic } from "express";
import type { RequestHandler } from "express";

import type { BackchannelRequest } from "../backchannel/backchannel-request.js";
import type { BackchannelStore } from "../backchannel/backchannel-store.js";
import type { Clock } from "../clock.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import { serializeRequest, serializeTimeline } from "./control-api.js";

const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));
/** How often expiries and scheduled decisions are looked for while a page is watching. */
const TICK_MS = 250;
const HEARTBEAT_MS = 15_000;

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

export interface ApproverPageDeps {
  directory: TenantDirectory;
  store: BackchannelStore;
  clock: Clock;
}

/** The approver page and the server-sent events that keep it live. */
export function approverPage(deps: ApproverPageDeps): Router {
  const { directory, store, clock } = deps;
  const router = Router();
  const withTimeline = (request: BackchannelRequest) => ({
    ...serializeRequest(request, directory),
    timeline: serializeTimeline(request),
  });

  let watchers = 0;
  let ticker: NodeJS.Timeout | undefined;
  const watch = () => {
    watchers += 1;
    // Reading the store applies due expiries and scheduled decisions, which emit changes.
    ticker ??= setInterval(() => store.list(), TICK_MS).unref();
  };
  const unwatch = () => {
    watchers -= 1;
    if (watchers === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };

  router.get("/approver", pageSecurityHeaders, (_req, res) => {
    res.sendFile("approver.html", { root: PUBLIC_DIR });
  });
  router.use("/approver/assets", pageSecurityHeaders, serveStatic(PUBLIC_DIR, { index: false }));

  router.get("/approver/api/events", (req, res) => {
    res.set({
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send("snapshot", {
      now: new Date(clock.now()).toISOString(),
      requests: store.list().map(withTimeline),
    });

    const onChange = (request: BackchannelRequest) => {
      send("request", { now: new Date(clock.now()).toISOString(), request: withTimeline(request) });
    };
    store.on("change", onChange);
    watch();
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS).unref();
    req.on("close", () => {
      clearInterval(heartbeat);
      store.off("change", onChange);
      unwatch();
    });
  });

  return router;
}
