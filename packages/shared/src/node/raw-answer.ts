import type { Socket } from "node:net";

/** An HTTP/1.1 answer as it came over the wire: status, headers (names lower-cased), body. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The answer a socket reads until it closes, parsed, or what ended it without one: the socket
 * error's code (`ECONNRESET`) or "closed without an answer". For the tests of the servers'
 * stops, where the point is to see a reset that a client library would retry or hide.
 */
export function rawAnswerOf(socket: Socket): Promise<RawAnswer | string> {
  let text = "";
  let failure: string | undefined;
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  return new Promise((done) => {
    socket.on("error", (error: NodeJS.ErrnoException) => (failure = error.code ?? error.message));
    socket.on("close", () => {
      const end = text.indexOf("\r\n\r\n");
      if (failure !== undefined || end === -1) {
        done(failure ?? `closed without an answer: ${JSON.stringify(text)}`);
        return;
      }
      const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
      done({
        status: Number(statusLine.split(" ")[1]),
        headers: Object.fromEntries(
          lines.map((line) => [
            line.slice(0, line.indexOf(":")).toLowerCase(),
            line.slice(line.indexOf(":") + 1).trim(),
          ]),
        ),
        body: text.slice(end + 4),
      });
    });
  });
}
