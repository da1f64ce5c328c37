import { BoundedMap, utf8Bytes } from "./bounded-map.js";
import type { StoreBudget } from "./bounded-map.js";
import { textsOf } from "./conversation.js";
import type { Turn } from "./conversation.js";
import { RESPONSE_STORE_BUDGET } from "./limits.js";

/** A stored response's conversation, and its size as the store measures it. */
export interface StoredConversation {
  /** The conversation up to and including this response's output, without `instructions`. */
  turns: Turn[];
  bytes: number;
}

/** An output item of a stored response, and its size. */
export interface StoredItem {
  turn: Turn;
  bytes: number;
}

interface StoredResponse extends StoredConversation {
  itemIds: string[];
}

/** The bytes of a turn's texts, tool calls included. */
function turnBytes(turn: Turn): number {
  const calls =
    turn.role === "assistant" ? turn.toolCalls.flatMap(({ id, name }) => [id, name]) : [];
  return utf8Bytes([...textsOf([turn]), ...calls]);
}

/**
 * The Responses API's server-side state, in memory and within a budget (RESPONSE_STORE_BUDGET
 * unless a test gives its own): `previous_response_id` continues a stored conversation, and
 * `item_reference` names an output item by id. `@ai-sdk/openai` relies on the second: with
 * `store` on (its default) it sends the ids of earlier function calls instead of the calls
 * themselves. The oldest responses are dropped first, their items with them.
 *
 * A response is measured by what its conversation holds, counted without reading it again: the
 * bytes of its request's body as read, those of the stored conversation it continues and of the
 * items it references (each counted when it was stored), and its own output's. A conversation
 * continued many times is so counted in each response that holds it, and no response holds
 * more than it is counted for, whichever of the others are dropped. (Bytes of JSON text, not
 * of V8's strings: a string with one character past Latin-1 takes two bytes a character.)
 */
export class ResponseStore {
  readonly #responses: BoundedMap<string, StoredResponse>;
  readonly #items = new Map<string, StoredItem>();

  constructor(budget: StoreBudget = RESPONSE_STORE_BUDGET) {
    this.#responses = new BoundedMap(budget, (dropped) => {
      for (const itemId of dropped.itemIds) this.#items.delete(itemId);
    });
  }

  get budget(): StoreBudget {
    return this.#responses.budget;
  }

  /**
   * Keeps the response `id`: its conversation `turns` and its output items `produced` (part of
   * `turns`), measured as `inputBytes` (its body's bytes and those of what it continues, see
   * `readResponsesRequest`) plus its output's. False, and nothing kept, when that alone is more
   * than the budget: a later `previous_response_id` naming it is then unknown.
   */
  save(
    id: string,
    turns: Turn[],
    produced: readonly (readonly [string, Turn])[],
    inputBytes: number,
  ): boolean {
    const items = produced.map(
      ([itemId, turn]) => [itemId, { turn, bytes: turnBytes(turn) }] as const,
    );
    const bytes = items.reduce((sum, [, item]) => sum + item.bytes, inputBytes);
    if (!this.#responses.fits(bytes)) return false;
    for (const [itemId, item] of items) this.#items.set(itemId, item);
    this.#responses.add(id, { turns, bytes, itemIds: items.map(([itemId]) => itemId) }, bytes);
    return true;
  }

  conversation(id: string): StoredConversation | undefined {
    return this.#responses.get(id);
  }

  item(id: string): StoredItem | undefined {
    return this.#items.get(id);
  }
}
