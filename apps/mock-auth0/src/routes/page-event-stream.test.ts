import { describe, expect, it } from "vitest";

import { readEventStream } from "../../public/event-stream.js";

/** A body that arrives in these pieces, as a network splits it. */
function body(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      }
      controller.close();
    },
  });
}

async function read(...chunks: (string | Uint8Array)[]) {
  const events: { type: string; data: string }[] = [];
  const retries: number[] = [];
  await readEventStream(body(...chunks), {
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
  });
  return { events, retries };
}

// The approver page's reader of the tenant's event stream (apps/mock-auth0/public), which it
// reads with fetch() so that the stream carries the control token.
describe("readEventStream", () => {
  it("reads the tenant's events as EventSource would, however the network splits them", async () => {
    const stream =
      'event: snapshot\ndata: {"now":"2026-01-02T10:00:00.000Z"}\n\n' +
      ": keep-alive\n\n" +
      'event: request\ndata: {"binding_message":"Caf\u00e9 \u2713"}\n\n';
    const expected = [
      { type: "snapshot", data: '{"now":"2026-01-02T10:00:00.000Z"}' },
      { type: "request", data: '{"binding_message":"Caf\u00e9 \u2713"}' },
    ];
    const bytes = new TextEncoder().encode(stream);
    // Every place a chunk can end, a multi-byte character's middle among them.
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const { events } = await read(bytes.slice(0, cut), bytes.slice(cut));
      expect(events, `cut at ${cut}`).toEqual(expected);
    }
    expect((await read(...[...bytes].map((byte) => Uint8Array.of(byte)))).events).toEqual(expected);
  });

  it("ends lines at \\r\\n, \\r or \\n, a \\r\\n split across chunks included", async () => {
    const { events } = await read(
      "event: a\r\ndata: 1\r",
      "\n\r",
      "\nevent: b\rdata: 2\r\rdata: 3\n\n",
    );
    expect(events).toEqual([
      { type: "a", data: "1" },
      { type: "b", data: "2" },
      { type: "message", data: "3" },
    ]);
  });

  it("joins data lines, takes one space after the colon, and keeps the server's retry", async () => {
    const { events, retries } = await read(
      "data:first\ndata:  second\ndata\n\n",
      "retry: 1500\nretry: soon\nid: 7\n\n",
      "event: only-a-type\n\n",
      "data: the stream ends before this one does",
    );
    expect(events).toEqual([{ type: "message", data: "first\n second\n" }]);
    expect(retries).toEqual([1500]);
  });

  it("stops with the stream's error when the connection goes", async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("event: a\ndata: 1\n\n"));
        controller.error(new TypeError("network error"));
      },
    });
    await expect(readEventStream(failing, { onEvent: () => undefined })).rejects.toThrow(
      "network error",
    );
  });
});
