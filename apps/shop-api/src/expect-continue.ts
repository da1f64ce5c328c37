import type { IncomingMessage, Server, ServerResponse } from "node:http";

import type { Handler } from "express";

/** The requests whose `100 Continue` the app has not sent yet (`holdContinue`). */
const awaitingContinue = new WeakSet<IncomingMessage>();

/**
 * RFC 9110 section 10.1.1: a client that sends `Expect: 100-continue` waits for `100 Continue`
 * before it sends the body, and a server may answer with a final status instead. Node sends
 * `100 Continue` itself, before any handler runs, unless something listens for `checkContinue`:
 * the shop told a caller with no token, or a forged one, to send its body, and then read it.
 * Here such a request goes to the app as any other (through the server's `request` listeners,
 * so a stopping server refuses it the same way), with no `100` sent: a route that reads a body
 * sends it with `continueOnceAuthorized`, once the token passed; any other answer is final,
 * and Node then closes the connection (the client may still send a body it did not send yet).
 */
export function holdContinue(server: Server): void {
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    awaitingContinue.add(req);
    server.emit("request", req, res);
  });
}

/**
 * Sends the `100 Continue` `holdContinue` held back, just before the body is read: placed after
 * the token and the headers' checks, so only a request that may buy is asked for its body.
 */
export const continueOnceAuthorized: Handler = (req, res, next) => {
  if (awaitingContinue.delete(req) && !res.headersSent) res.writeContinue();
  next();
};
