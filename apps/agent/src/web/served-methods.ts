import { STATUS_CODES } from "node:http";

import { escapeHtml } from "@ciba-testbed/shared/http";
import type { Express, Request, Response } from "express";

/**
 * Every path of the web app and the methods it serves, the login routes of Auth0's SDK among
 * them (`web-app.ts`). GET serves HEAD too, as Express answers it.
 */
export const SERVED_METHODS: Readonly<Record<string, readonly ("GET" | "POST")[]>> = {
  "/": ["GET"],
  "/assets/chat.css": ["GET"],
  "/assets/chat.js": ["GET"],
  "/api/session": ["GET"],
  "/api/chat": ["POST"],
  "/api/chat/:id/purchases": ["GET"],
  "/api/chat/:id/purchases/:toolCallId": ["GET"],
  "/auth/login": ["GET"],
  "/auth/callback": ["GET", "POST"],
  "/auth/logout": ["POST"],
};

/** An answer of the web app's own: its status, error code and description. */
export interface ErrorAnswer {
  status: number;
  code: string;
  description: string;
}

/**
 * Writes `answer` as the web app answers errors: `{ error, error_description }` under `/api/`,
 * where the page reads it, and elsewhere, where a person's browser lands (a failed login), a
 * page of its own (`errorPage`).
 */
export function sendError(req: Request, res: Response, answer: ErrorAnswer): void {
  const { status, code, description } = answer;
  if (req.path.startsWith("/api/")) {
    res.status(status).json({ error: code, error_description: description });
    return;
  }
  res
    .status(status)
    .set("Content-Security-Policy", ERROR_PAGE_POLICY)
    .type("html")
    .send(errorPage(status, description));
}

/** An error page loads nothing, runs nothing, posts nothing and is never framed. */
const ERROR_PAGE_POLICY =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The page of an error outside `/api/`: the status's name as its title and heading, what went
 * wrong and what to do (`description`, which may quote the request: escaped), and the way back.
 */
export function errorPage(status: number, description: string): string {
  const name = escapeHtml(STATUS_CODES[status] ?? "Error");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${name} - Shopping agent</title>
  </head>
  <body>
    <main>
      <h1>${name}</h1>
      <p>${escapeHtml(description)}</p>
      <p><a href="/">Start again</a></p>
    </main>
  </body>
</html>
`;
}

/**
 * Answers, before anything reads the session, the methods a path of SERVED_METHODS does not
 * serve: 405 with `Allow` (RFC 9110 section 15.5.6) rather than Express's HTML 404, since the
 * path is right and the method is not; OPTIONS is 204 with the same `Allow` (section 9.3.7;
 * the app serves no other origin, so there is no CORS to answer).
 */
export function refuseOtherMethods(app: Express): void {
  for (const [path, served] of Object.entries(SERVED_METHODS)) {
    const methods = served.flatMap((method) => (method === "GET" ? ["GET", "HEAD"] : [method]));
    const allow = [...methods, "OPTIONS"].join(", ");
    app.route(path).all((req, res, next) => {
      if (methods.includes(req.method)) {
        next();
        return;
      }
      res.set("Allow", allow);
      if (req.method === "OPTIONS") {
        res.status(204).end();
        return;
      }
      sendError(req, res, {
        status: 405,
        code: "method_not_allowed",
        description: `${req.method} is not served at ${req.path.slice(0, 200)}; it serves ${allow}`,
      });
    });
  }
}

/** The last route: a path the app does not have is 404, in the app's error format. */
export function refuseUnknownPaths(app: Express): void {
  app.use((req, res) => {
    sendError(req, res, {
      status: 404,
      code: "not_found",
      description: `No route for ${req.method} ${req.path.slice(0, 200)}`,
    });
  });
}
