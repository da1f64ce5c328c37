import type { ServerResponse } from "node:http";

const JSON_TYPE = /^application\/json(?:;|$)/;

/**
 * Answers `body` as JSON the way Express's `res.json` does (`application/json;
 * charset=utf-8`, a `Content-Length`), without Express's ETag. A JSON `Content-Type` the
 * response already has stays: Auth0's `/oauth/token` answers `application/json`, no charset. Errors, the token endpoint and
 * `/bc-authorize` answer with it: those answers are never revalidated (the OAuth ones are
 * `no-store`), so an entity tag means nothing there, and hashing every answer for one was a
 * measurable share of a token poll's CPU time.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  const chosen = res.getHeader("Content-Type");
  if (typeof chosen !== "string" || !JSON_TYPE.test(chosen)) {
    res.setHeader("Content-Type", "application/json; charset=utf-8");
  }
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
