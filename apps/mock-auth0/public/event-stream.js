// Server-sent events read from a fetch() answer, for a page whose stream must carry a header
// (EventSource sends none): the HTML standard's "event stream interpretation" (section 9.2.6).

/** @typedef {{ type: string, data: string }} StreamEvent */

/**
 * Reads `body` to its end. Each event goes to `onEvent` (its type, "message" when it names
 * none, and its data lines joined by "\n"), and each `retry:` to `onRetry` in milliseconds.
 * Comments (the server's keep-alive) are skipped, and so is `id:`: a page that reconnects
 * asks for everything again rather than resuming from an id. An event the stream ends in the
 * middle of is dropped, as the standard says.
 *
 * @param {ReadableStream<Uint8Array>} body
 * @param {{ onEvent: (event: StreamEvent) => void, onRetry?: (ms: number) => void }} handlers
 * @returns {Promise<void>}
 */
export async function readEventStream(body, { onEvent, onRetry }) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let unread = "";
  let type = "";
  /** @type {string[]} */
  let data = [];

  const take = (/** @type {string} */ line) => {
    if (line === "") {
      if (data.length > 0) onEvent({ type: type || "message", data: data.join("\n") });
      type = "";
      data = [];
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) onRetry?.(Number(value));
  };

  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    unread += decoder.decode(value, { stream: true });
    // A "\r" at the end may be the first half of a "\r\n": it waits for what follows.
    const end = unread.endsWith("\r") ? unread.length - 1 : unread.length;
    const lines = unread.slice(0, end).split(/\r\n|\r|\n/);
    unread = (lines.pop() ?? "") + unread.slice(end);
    for (const line of lines) take(line);
  }
}
