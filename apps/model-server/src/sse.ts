import type { Response } from "express";

export interface SseEvent {
  /** The `event:` field; Chat Completions streams send none, Responses streams name each. */
  event?: string;
  data: unknown;
}

/**
 * Writes a whole event stream at once (the reply is decided before the first byte, so an
 * error is always a plain JSON answer, never a broken stream). `done` ends with Chat
 * Completions' `data: [DONE]` sentinel; Responses streams end with `response.completed`.
 */
export function sendEventStream(res: Response, events: readonly SseEvent[], done: boolean): void {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache");
  // No `Connection` header of its own: Node says keep-alive when the connection stays, and a
  // stopping server's `Connection: close` (`serveUntilStopped`) must stand.
  const lines = events.map(
    ({ event, data }) =>
      `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`,
  );
  if (done) lines.push("data: [DONE]\n\n");
  res.end(lines.join(""));
}

/** Text in pieces of one word (with its spaces), so clients see it arrive as from a model. */
export function wordPieces(text: string): string[] {
  if (text === "") return [];
  return text.match(/\s*\S+\s*/g) ?? [text];
}
