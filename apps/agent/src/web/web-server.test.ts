import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";

import { rawAnswerOf, type RawAnswer } from "@ciba-testbed/shared/node/raw-answer";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";

import { sendEventStream } from "./event-stream.js";
import { offlineWebApp } from "./offline-web-app.js";
import { loadWebConfig } from "./web-config.js";
import { createWebServer } from "./web-server.js";
import type { WebHttpServer } from "./web-server.js";

// A SIGTERM (`pnpm dev` restarting the app after an edit) reset the page's requests: the app
// stopped listening at once and closed every connection, and the connections still in the
// listening socket's queue were reset too.

/** A connection, open (the kernel has queued it for the server) and read raw. */
function open(port: number): Promise<{
  socket: Socket;
  /** The answer, or the socket error's code; once the connection has closed. */
  ended: Promise<RawAnswer | string>;
}> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const ended = rawAnswerOf(socket);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({ socket, ended });
    });
  });
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

function webApp() {
  return offlineWebApp(loadWebConfig({ APP_BASE_URL: "http://127.0.0.1:3000" }));
}

const stopping = {
  status: 503,
  headers: expect.objectContaining({ connection: "close", "retry-after": "2" }) as unknown,
  body: JSON.stringify({
    error: "temporarily_unavailable",
    error_description:
      "The agent's web app is stopping and took no new request: nothing was done. Send it " +
      "again in a moment",
  }),
};

const started: WebHttpServer[] = [];
afterEach(() => {
  for (const { server } of started.splice(0)) server.closeAllConnections();
});

/** Listens on a free port; the grace never ends by itself: a connection closes when answered. */
async function listen(app: Parameters<typeof createWebServer>[0]) {
  const web = createWebServer(app, { sleep: () => new Promise(() => undefined) });
  started.push(web);
  await new Promise<void>((resolve) => web.server.listen(0, "127.0.0.1", resolve));
  return { web, port: (web.server.address() as AddressInfo).port };
}

describe("a stopping web app", () => {
  it("answers every request it was sent, none reset: those under way, and 503 for the rest", async () => {
    const { web, port } = await listen(webApp());
    // The stop begins as the fifth request reaches the app: five under way, the rest not begun.
    let begun = 0;
    let stopped: Promise<void> | undefined;
    web.server.on("request", () => {
      if (++begun === 5) stopped = web.stop();
    });
    const connections = await Promise.all(Array.from({ length: 40 }, () => open(port)));
    for (const { socket } of connections) socket.write(get("/"));
    const answers = await Promise.all(connections.map(({ ended }) => ended));
    await stopped;

    expect(answers.filter((answer) => typeof answer === "string")).toEqual([]);
    const refused = (answers as RawAnswer[]).filter((answer) => answer.status === 503);
    expect(
      (answers as RawAnswer[]).map((answer) => answer.status).filter((s) => s !== 503),
    ).toEqual([200, 200, 200, 200, 200]);
    expect(refused).toEqual(refused.map(() => stopping));
  });

  it("cuts a chat's event stream at the stop instead of waiting for it", async () => {
    const app = express();
    app.get("/stream", (_req, res) => {
      // A purchase that waits for the person: the body never ends by itself.
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          controller.enqueue(new TextEncoder().encode("data: {}\n\n"));
        },
      });
      const response = new Response(body, { headers: { "Content-Type": "text/event-stream" } });
      sendEventStream(res, response, () => () => undefined);
    });
    const { web, port } = await listen(app);
    const stream = await open(port);
    const first = new Promise((resolve) => stream.socket.once("data", resolve));
    stream.socket.write(get("/stream"));
    await first;

    // Resolves though the grace never ends: the stream held no stop.
    await web.stop();
    const cut = (await stream.ended) as RawAnswer;
    expect(cut.status).toBe(200);
    // Chunked, without the last chunk: the page reads a broken connection, not a finished answer.
    expect(cut.body).toContain("data: {}");
    expect(cut.body.endsWith("0\r\n\r\n")).toBe(false);
  });
});

describe("what Node refuses before the app sees it", () => {
  /** The raw answer to `request`, sent on a connection of its own. */
  async function answerTo(request: string): Promise<RawAnswer> {
    const { port } = await listen(webApp());
    const { socket, ended } = await open(port);
    socket.write(request);
    return (await ended) as RawAnswer;
  }
  const error = (status: number, code: string, description: string) => ({
    status,
    headers: expect.objectContaining({
      "content-type": "application/json; charset=utf-8",
      "x-content-type-options": "nosniff",
      connection: "close",
    }) as unknown,
    body: JSON.stringify({ error: code, error_description: description }),
  });

  it("gets the app's JSON error with nosniff, not Node's empty answer or a closed connection", async () => {
    expect(
      await answerTo(
        "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
      ),
    ).toEqual(
      error(
        400,
        "invalid_request",
        "The HTTP request is malformed (request line, header syntax, Content-Length or Transfer-Encoding) and was not processed",
      ),
    );
    expect(
      await answerTo(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(17_000)}\r\n\r\n`),
    ).toEqual(
      error(
        431,
        "invalid_request",
        "The request line and headers are larger than this web app accepts (16 KB); shorten the URL or the headers",
      ),
    );
    const expectation = await answerTo(
      "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: foo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    expect(expectation).toEqual(
      error(
        417,
        "invalid_request",
        "The only Expect value this web app meets is '100-continue'; send the request without it",
      ),
    );
    expect(await answerTo("CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).toEqual({
      ...error(
        405,
        "method_not_allowed",
        "CONNECT is not served: this is the agent's web app, not a proxy. Open / in a browser, or send POST /api/chat",
      ),
      headers: expect.objectContaining({
        allow: "",
        "x-content-type-options": "nosniff",
      }) as unknown,
    });
  });

  it("leaves an HTTP/1.1 request without Host to the app, which refuses it with 400 and nosniff", async () => {
    const api = await answerTo("GET /api/session HTTP/1.1\r\nConnection: close\r\n\r\n");
    expect(api.status).toBe(400);
    expect(api.headers["x-content-type-options"]).toBe("nosniff");
    expect(JSON.parse(api.body)).toEqual({
      error: "invalid_request",
      error_description: "An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)",
    });
    const page = await answerTo("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    expect(page.status).toBe(400);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)");
  });
});
