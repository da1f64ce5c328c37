import { connect } from "node:net";

import { rawAnswerOf, type RawAnswer } from "@ciba-testbed/shared/node/raw-answer";
import { beforeEach, describe, expect, it } from "vitest";

import { startModelServer } from "./server.js";
import type { RunningModelServer } from "./server.js";

// A SIGTERM (`pnpm dev` restarting the model server after an edit, a testbed stopping) reset
// the agents' model calls: the server stopped listening at once and closed every connection,
// and those still in the listening socket's queue were reset too.

let model: RunningModelServer;

beforeEach(async () => {
  model = await startModelServer({
    port: 0,
    // The grace never ends by itself here: every connection must close because it was answered.
    sleep: () => new Promise(() => undefined),
  });
});

/** Writes `request` on a connection of its own at once and reads the raw answer, or the error. */
function send(request: string): Promise<RawAnswer | string> {
  const socket = connect({ host: "127.0.0.1", port: model.port });
  socket.write(request);
  return rawAnswerOf(socket);
}

/** A streamed chat completion, as the agent asks for one. */
function streamedCompletion(): string {
  const body = JSON.stringify({
    model: "m",
    stream: true,
    messages: [{ role: "user", content: "Buy 2 XYZ phones" }],
  });
  return (
    "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer any\r\n" +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

describe("a stopping model server", () => {
  it("answers every request it was sent, none reset: those under way whole, and 503 as OpenAI for the rest", async () => {
    // The stop begins as the fifth request reaches the app: five under way, their bodies not
    // read yet, and the rest not begun.
    let begun = 0;
    let stopped: Promise<void> | undefined;
    model.server.on("request", () => {
      if (++begun === 5) stopped = model.close();
    });
    const answers = await Promise.all(Array.from({ length: 40 }, () => send(streamedCompletion())));
    await stopped;

    expect(answers.filter((answer) => typeof answer === "string")).toEqual([]);
    const replied = (answers as RawAnswer[]).filter((answer) => answer.status !== 503);
    expect(replied.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    // Each stream whole, to its sentinel.
    for (const { body } of replied) expect(body).toContain("data: [DONE]\n\n");
    // The fifth's body is read after the stop began: its answer must not promise keep-alive to
    // a connection about to go (the others may have been answered before the stop).
    expect(replied.map((answer) => answer.headers.connection)).toContain("close");
    const refused = (answers as RawAnswer[]).filter((answer) => answer.status === 503);
    expect(refused).toEqual(
      refused.map(() => ({
        status: 503,
        headers: expect.objectContaining({
          connection: "close",
          "retry-after": "2",
          "content-type": "application/json; charset=utf-8",
        }) as unknown,
        body: JSON.stringify({
          error: {
            message:
              "The model server is stopping and took no new request: nothing was done. Send the " +
              "same request again in a moment",
            type: "server_error",
            param: null,
            code: "service_unavailable",
          },
        }),
      })),
    );
  });
});
