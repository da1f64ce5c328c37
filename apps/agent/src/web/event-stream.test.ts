import { JsonToSseTransformStream } from "ai";
import type { UIMessageChunk } from "ai";
import express from "express";
import { afterEach, describe, expect, it, vi } from "vitest";

import { HEARTBEAT, HEARTBEAT_MS, heartbeatTimer, sendEventStream } from "./event-stream.js";
import { bodyReader, listenOnLoopback, uiChunksOf } from "../test-support/event-stream-reading.js";
import { manualHeartbeat } from "../test-support/manual-heartbeat.js";

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/**
 * An app whose one route streams `first`, then waits for `release()` before `last` and the end:
 * a stream that has nothing to send for a while, as a block-mode purchase's does.
 */
async function heldStream() {
  const first: UIMessageChunk = { type: "start", messageId: "m1" };
  const last: UIMessageChunk = { type: "finish" };
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const manual = manualHeartbeat();
  const closed = { count: 0 };
  const app = express();
  app.get("/stream", (_req, res) => {
    res.once("close", () => closed.count++);
    const chunks = new ReadableStream<UIMessageChunk>({
      async start(controller) {
        controller.enqueue(first);
        await released;
        controller.enqueue(last);
        controller.close();
      },
    });
    const body = chunks.pipeThrough(new JsonToSseTransformStream());
    sendEventStream(
      res,
      new Response(body.pipeThrough(new TextEncoderStream()), {
        headers: { "content-type": "text/event-stream" },
      }),
      manual.heartbeat,
    );
  });
  const { baseUrl, server } = await listenOnLoopback(app);
  servers.push(server);
  return { url: `${baseUrl}/stream`, first, last, release, closed, ...manual };
}

describe("sendEventStream", () => {
  it("sends a comment line at each beat while the stream is open, which the AI SDK's reader skips", async () => {
    const held = await heldStream();
    const answer = await fetch(held.url);
    expect(answer.headers.get("content-type")).toBe("text/event-stream");
    const body = bodyReader(answer.body!);

    const firstEvent = `data: ${JSON.stringify(held.first)}\n\n`;
    await body.readUntil((read) => read === firstEvent);
    held.beat();
    await body.readUntil((read) => read === firstEvent + HEARTBEAT);
    held.beat();
    await body.readUntil((read) => read === firstEvent + HEARTBEAT + HEARTBEAT);
    held.release();
    const text = await body.readUntil(() => false);

    expect(text).toBe(
      `${firstEvent}${HEARTBEAT}${HEARTBEAT}data: ${JSON.stringify(held.last)}\n\ndata: [DONE]\n\n`,
    );
    // Only the events are chunks: the comments are skipped.
    await expect(uiChunksOf(text)).resolves.toEqual([held.first, held.last]);
    // The end stops the heartbeat: a beat after it writes nothing.
    await expect.poll(() => held.state.stopped).toBe(1);
    expect(held.state.started).toBe(1);
    held.beat();
  });

  it("stops the heartbeat when the client goes away", async () => {
    const held = await heldStream();
    const aborted = new AbortController();
    const answer = await fetch(held.url, { signal: aborted.signal });
    await bodyReader(answer.body!).readUntil((text) => text.length > 0);
    aborted.abort();
    await expect.poll(() => held.closed.count).toBe(1);
    expect(held.state).toEqual({ started: 1, stopped: 1 });
    held.release();
  });
});

describe("heartbeatTimer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("beats every HEARTBEAT_MS (under a minute) until stopped", () => {
    vi.useFakeTimers();
    const beat = vi.fn();
    const stop = heartbeatTimer(beat);
    vi.advanceTimersByTime(HEARTBEAT_MS - 1);
    expect(beat).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(beat).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(beat).toHaveBeenCalledTimes(2);
    stop();
    vi.advanceTimersByTime(10 * HEARTBEAT_MS);
    expect(beat).toHaveBeenCalledTimes(2);
    expect(HEARTBEAT_MS).toBeLessThan(55_000);
  });
});
