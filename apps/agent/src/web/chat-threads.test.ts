import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { createMemoryStore } from "../agent-store.js";
import { loadConfig } from "../config.js";
import { ThreadJournal } from "../thread-journal.js";
import { ChatThreads, keptRequest, MAX_KEPT_REQUEST_CHARACTERS } from "./chat-threads.js";

const ANN = "auth0|ann";

/** The web app's chats in the memory store, on a clock the test moves. */
function chats() {
  const clock = new ManualClock();
  const store = createMemoryStore();
  const journal = new ThreadJournal(store);
  const threads = new ChatThreads({
    config: loadConfig({ AGENT_MODE: "interrupt" }),
    store,
    journal,
    authorizer: { withAsyncAuthorization: () => ({}) } as never,
    fetch: () => Promise.reject(new Error("no network in this test")),
    clock,
  });
  /** A request on the chat that ends at once. */
  const turn = async (sub: string, chatId: string) => {
    const thread = await threads.open(sub, chatId, "Buy 2 XYZ phones");
    if (thread === undefined) throw new Error(`chat ${chatId} is busy`);
    await thread.release();
    return thread.threadId;
  };
  return { journal, threads, turn };
}

describe("what a chat keeps of the person's message", () => {
  it("keeps the first 2,000 characters of a huge message, so a chat costs a few KB whatever is sent", async () => {
    const { threads, journal, turn } = chats();
    const huge = `hello ${"a".repeat(900_000)}`;
    const opened = await threads.open(ANN, "huge", huge);
    await opened?.release();
    const thread = await journal.get(threads.threadIdOf(ANN, "huge"));
    expect(thread?.request).toBe(`${huge.slice(0, MAX_KEPT_REQUEST_CHARACTERS - 1)}…`);
    expect(JSON.stringify(thread).length).toBeLessThan(3_000);
    // A message within the bound is kept whole.
    const short = await turn(ANN, "short");
    expect((await journal.get(short))?.request).toBe("Buy 2 XYZ phones");
  });

  it("cuts between two characters, never inside one beyond U+FFFF", () => {
    const text = `${"a".repeat(MAX_KEPT_REQUEST_CHARACTERS - 2)}${"😀".repeat(10)}`;
    const kept = keptRequest(text);
    expect(kept).toBe(`${"a".repeat(MAX_KEPT_REQUEST_CHARACTERS - 2)}…`);
    const halfOfOne = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (
      let length = MAX_KEPT_REQUEST_CHARACTERS - 3;
      length < MAX_KEPT_REQUEST_CHARACTERS + 3;
      length++
    ) {
      const cut = keptRequest(`${"a".repeat(length)}${"😀".repeat(10)}`);
      expect(cut.length).toBeLessThanOrEqual(MAX_KEPT_REQUEST_CHARACTERS);
      expect(cut).not.toMatch(halfOfOne);
    }
  });
});
