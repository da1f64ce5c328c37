import { connect, createSecureContext } from "node:tls";

export interface RawAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawClient {
  /** Sends the bytes as they are, on a connection of their own, and reads the answer. */
  send(request: string | Buffer): Promise<RawAnswer>;
}

const TIMEOUT_MS = 5_000;

/**
 * A client that writes HTTP/1.1 by hand over TLS, so that a test can send what no HTTP
 * library would: broken percent-encoding, bad headers, lying lengths. An event stream is read
 * up to its headers only.
 */
export function rawHttpsClient(port: number, ca: string): RawClient {
  // One secure context for all the connections: `connect({ ca })` builds a new one each time,
  // parsing the CA and filling a certificate store, which cost more CPU than the rest of a
  // connection to a server in the same process. TLS 1.2, whose resumed handshake reuses the
  // session as it is, where TLS 1.3 makes a new key exchange and the server sends two new
  // session tickets on every connection: about 30% less CPU per connection, for tests that
  // open a thousand or more. What they test is what the tenant does with the bytes inside.
  const secureContext = createSecureContext({ ca, maxVersion: "TLSv1.2" });
  let session: Buffer | undefined;
  return {
    send(request) {
      return new Promise((resolve, reject) => {
        const socket = connect({
          host: "127.0.0.1",
          port,
          servername: "localhost",
          secureContext,
          ...(session ? { session } : {}),
        });
        socket.on("session", (ticket: Buffer) => (session = ticket));
        const chunks: Buffer[] = [];
        let settled = false;
        const finish = (answer: RawAnswer | Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          socket.destroy();
          if (answer instanceof Error) reject(answer);
          else resolve(answer);
        };
        const timer = setTimeout(() => {
          finish(
            new Error(`no answer within ${TIMEOUT_MS} ms to ${String(request).slice(0, 120)}`),
          );
        }, TIMEOUT_MS);
        const parse = (): RawAnswer | undefined => {
          const text = Buffer.concat(chunks).toString("latin1");
          const end = text.indexOf("\r\n\r\n");
          if (end === -1) return undefined;
          const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
          const headers = Object.fromEntries(
            lines.map((line) => {
              const colon = line.indexOf(":");
              return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
            }),
          );
          return {
            status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
            headers,
            body: Buffer.from(text.slice(end + 4), "latin1").toString("utf8"),
          };
        };
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          const answer = parse();
          if (answer?.headers["content-type"]?.startsWith("text/event-stream")) finish(answer);
        });
        socket.on("end", () => {
          finish(parse() ?? { status: 0, headers: {}, body: "" });
        });
        socket.on("error", (error: NodeJS.ErrnoException) => {
          // A server may reset a connection it refused: that is an answer too, not a 5xx.
          if (error.code === "ECONNRESET") finish(parse() ?? { status: 0, headers: {}, body: "" });
          else finish(error);
        });
        socket.once("secureConnect", () => socket.write(request));
      });
    },
  };
}

/** One request's bytes: a request line, headers and a body with its true length. */
export function rawRequest(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body: string | Buffer = "",
): Buffer {
  const payload = typeof body === "string" ? Buffer.from(body) : body;
  const lines = [
    `${method} ${target} HTTP/1.1`,
    "Host: localhost",
    "Connection: close",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ...((payload.length > 0 || method === "POST" || method === "PUT") &&
    !Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name))
      ? [`Content-Length: ${payload.length}`]
      : []),
  ];
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}
