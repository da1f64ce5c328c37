import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * How long a stop waits, unless told otherwise, for the requests under way and those of the
 * connections already accepted before it closes every connection: the servers' requests take
 * milliseconds, an order or a token's signature at most a second under load.
 */
export const STOP_GRACE_MS = 3_000;

/**
 * The Retry-After of a request refused as the server stops: a restarted server (`pnpm dev`
 * after an edit) is ready within about a second, another replica at once.
 */
export const STOP_RETRY_AFTER_SECONDS = 2;

export interface StopOptions {
  /**
   * How long a stop waits for the requests under way, and for the requests of connections
   * already accepted, before it closes every connection; `STOP_GRACE_MS` unless set.
   */
  graceMs?: number;
  /**
   * Answers a request that begins once the stop has, in the server's own error shape: a 503.
   * Its response says `Connection: close` and `Retry-After` already.
   */
  refuse: RequestListener;
  /**
   * Called as the stop begins with each request under way, to end one that would otherwise hold
   * the stop for the whole grace: an event stream that stays open until its client leaves.
   * Each server ends its own streams its own way; the others are left to finish.
   */
  endAtStop?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Resolves after `ms`: a test's own. The default's timer does not keep the process alive. */
  sleep?: (ms: number) => Promise<void>;
}

const unrefSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Resolves in the next check phase: one poll phase of the event loop in between, or none. */
const nextTurn = () =>
  new Promise<void>((resolve) => {
    setImmediate(resolve);
  });

/**
 * Serves `app` on `server` until the returned `stop` is called; `stop` resolves once every
 * connection has closed. No request the server took is cut off:
 *
 * - a request under way is answered, with `Connection: close` when its answer has not begun;
 *   a keep-alive connection whose answer had begun is closed after it;
 * - a request that begins once the stop has is answered by `refuse`, with `Connection: close`
 *   and `Retry-After`;
 * - connections the kernel completed before the stop are accepted before the server stops
 *   listening. Closing the listening socket resets the ones still in its accept queue, whose
 *   clients have sent their requests: libuv accepts one connection per turn of the event
 *   loop, so 50 purchases sent at once were mostly still queued when the stop began, and
 *   their clients saw ECONNRESET. The server stops listening after a turn that accepted none.
 * - a connection idle between two requests is closed (Node's `server.close()`); one accepted
 *   whose request has not come yet is kept for it (Node counts it busy).
 *
 * After `graceMs` every connection left is closed, and the server stops listening if it had not.
 */
export function serveUntilStopped(
  server: Server,
  app: RequestListener,
  options: StopOptions,
): () => Promise<void> {
  let stopping = false;
  let accepted = 0;
  const sockets = new Set<Socket>();
  /** How many requests each connection has under way (more than one when pipelined). */
  const underWay = new Map<Socket, number>();
  const unanswered = new Map<ServerResponse, IncomingMessage>();

  // For TLS too: `connection` is the TCP connection, before the handshake.
  server.on("connection", (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("request", (req, res) => {
    const { socket } = req;
    underWay.set(socket, (underWay.get(socket) ?? 0) + 1);
    res.once("close", () => {
      unanswered.delete(res);
      const left = (underWay.get(socket) ?? 1) - 1;
      if (left > 0) {
        underWay.set(socket, left);
        return;
      }
      underWay.delete(socket);
      // An answer that had said keep-alive before the stop: the client would send its next
      // request on a connection about to go.
      if (stopping) socket.destroySoon();
    });
    if (stopping) {
      res.setHeader("Connection", "close");
      res.setHeader("Retry-After", String(STOP_RETRY_AFTER_SECONDS));
      options.refuse(req, res);
      return;
    }
    unanswered.set(res, req);
    app(req, res);
  });

  return async () => {
    stopping = true;
    for (const res of unanswered.keys()) if (!res.headersSent) res.setHeader("Connection", "close");
    if (options.endAtStop) for (const [res, req] of unanswered) options.endAtStop(req, res);
    const grace = { over: false };
    const graceOver = (options.sleep ?? unrefSleep)(options.graceMs ?? STOP_GRACE_MS).then(() => {
      grace.over = true;
    });
    // The signal that began the stop may have come in the same poll phase as the last accept:
    // count from the end of this turn, then stop once a whole poll phase accepted nothing.
    await nextTurn();
    while (!grace.over) {
      const before = accepted;
      await nextTurn();
      if (accepted === before) break;
    }
    const closed = new Promise<void>((resolve) => {
      // Node's close also closes the connections idle between two requests.
      server.close(() => {
        resolve();
      });
    });
    void graceOver.then(() => {
      for (const socket of sockets) socket.destroy();
    });
    await closed;
  };
}
