import type { Turn } from "./conversation.js";
import { MAX_STORED_RESPONSES } from "./limits.js";

interface StoredResponse {
  /** The conversation up to and including this response's output, without `instructions`. */
  turns: Turn[];
  itemIds: string[];
}

/**
 * The Responses API's server-side state, in memory and bounded: `previous_response_id` continues
 * a stored conversation, and `item_reference` names an output item by id. `@ai-sdk/openai`
 * relies on the second: with `store` on (its default) it sends the ids of earlier function
 * calls instead of the calls themselves. The oldest responses are dropped first.
 */
export class ResponseStore {
  readonly #responses = new Map<string, StoredResponse>();
  readonly #items = new Map<string, Turn>();

  save(id: string, turns: Turn[], items: readonly (readonly [string, Turn])[]): void {
    for (const [itemId, turn] of items) this.#items.set(itemId, turn);
    this.#responses.set(id, { turns, itemIds: items.map(([itemId]) => itemId) });
    while (this.#responses.size > MAX_STORED_RESPONSES) {
      const [oldest] = this.#responses;
      if (oldest === undefined) break;
      this.#responses.delete(oldest[0]);
      for (const itemId of oldest[1].itemIds) this.#items.delete(itemId);
    }
  }

  conversation(id: string): Turn[] | undefined {
    return this.#responses.get(id)?.turns;
  }

  item(id: string): Turn | undefined {
    return this.#items.get(id);
  }
}
