import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

import type { Response } from "express";

/**
 * How often an open chat stream sends a comment line. A block-mode purchase keeps its stream
 * open until the person decides, for minutes, with nothing to send meanwhile; proxies and load
 * balancers close a connection idle that long (nginx's `proxy_read_timeout` and AWS ALB's idle
 * timeout are 60 s by default, Heroku's router 55 s), and the page then loses the answer.
 */
export const HEARTBEAT_MS = 15_000;

/**
 * A Server-Sent Events comment (WHATWG HTML, "Parsing an event stream": a line starting with a
 * colon is ignored). The AI SDK's client reads the stream with eventsource-parser, which skips
 * it, as every EventSource does.
 */
export const HEARTBEAT = ": keep-alive\n\n";

/** Calls `beat` every so often until the function it returns is called. */
export type Heartbeat = (beat: () => void) => () => void;

/** Every `HEARTBEAT_MS`, on a timer. */
export const heartbeatTimer: Heartbeat = (beat) => {
  const timer = setInterval(beat, HEARTBEAT_MS);
  return () => {
    clearInterval(timer);
  };
};

/**
 * Sends a fetch Response (what the quickstart's route returns) through Express, with a comment
 * line at each of `heartbeat`'s beats while its body is open. The body's events are written
 * whole, one chunk each (the AI SDK's JsonToSseTransformStream), so a comment never splits one.
 */
export function sendEventStream(
  res: Response,
  response: globalThis.Response,
  heartbeat: Heartbeat = heartbeatTimer,
): void {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  if (response.body === null) {
    res.end();
    return;
  }
  const stop = heartbeat(() => {
    if (!res.writableEnded && !res.destroyed) res.write(HEARTBEAT);
  });
  // "close": the response ended, or its connection did first (the client went away).
  res.once("close", stop);
  Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>).pipe(res);
}
