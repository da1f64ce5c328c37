import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { parseJsonEventStream, uiMessageChunkSchema } from "ai";
import type { Express } from "express";

/** `app` listening on a free loopback port: its base URL, and the server to close. */
export async function listenOnLoopback(app: Express): Promise<{ baseUrl: string; server: Server }> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { baseUrl: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, server };
}

/**
 * Reads a streamed body as it arrives: `readUntil` reads until `until` holds for the text read
 * so far (or the body ends), leaving the rest unread; `text()` is what was read.
 */
export function bodyReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    text: () => text,
    async readUntil(until: (read: string) => boolean): Promise<string> {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return text;
    },
  };
}

/** The UI message chunks in an event stream's text, read as the page's transport reads them. */
export async function uiChunksOf(text: string): Promise<unknown[]> {
  const chunks: unknown[] = [];
  for await (const result of parseJsonEventStream({
    stream: new Blob([text]).stream(),
    schema: uiMessageChunkSchema,
  })) {
    if (!result.success) throw result.error;
    chunks.push(result.value);
  }
  return chunks;
}
