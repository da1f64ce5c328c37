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
 * where the page reads it, and one plain line elsewhere, where a person does.
 */
export function sendError(req: Request, res: Response, answer: ErrorAnswer): void {
  const { status, code, description } = answer;
  if (req.path.startsWith("/api/")) {
    res.status(status).json({ error: code, error_description: description });
    return;
  }
  res.status(status).type("text").send(`${description}\n\nStart again at /`);
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
