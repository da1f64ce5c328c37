import type { StoreBudget } from "./bounded-map.js";

/** The largest JSON body read: conversations with a few inline images still fit. */
export const JSON_BODY_LIMIT = "10mb";

/**
 * How many array elements and object members a JSON body may hold in all, counted from its
 * bytes before it is parsed (`verifyJsonBody`). A conversation of OpenAI's 2048 messages with
 * 128 tools holds some tens of thousands; 10 MB of `[]` would be 3.5 million, which cost
 * JSON.parse over a second and the validation of them, as messages, more memory than Node has.
 */
export const MAX_BODY_ELEMENTS = 100_000;

/**
 * How deeply arrays and objects may nest in a JSON body, the body itself being level 1,
 * checked with MAX_BODY_ELEMENTS. A tool's JSON schema nests a few levels a property; a
 * value some thousands of levels deep cannot be written back as JSON (JSON.stringify
 * overflows its stack), and the Responses API and `/v1/testing/requests` write the tools back.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * OpenAI's bounds on a Chat Completions request: messages, tools, and an assistant message's
 * tool calls. Past one, OpenAI answers 400 `array_above_max_length`, and so does this server:
 * an agent that sends 129 tools must not pass here and fail there.
 */
export const MAX_MESSAGES = 2048;
export const MAX_TOOLS = 128;
export const MAX_TOOL_CALLS = 128;

/**
 * This server's bounds on what it reads: a Responses request's input items (as many as Chat
 * Completions' messages) and the content parts of one message or item (text, images, files).
 * Each is validated on its own, in order, so they bound the CPU a body costs to read.
 */
export const MAX_INPUT_ITEMS = 2048;
export const MAX_CONTENT_PARTS = 500;

/**
 * Requests kept for `GET /v1/testing/requests`, newest last, each measured by its body's bytes
 * and its answer's. A count alone let 100 bodies of 10 MB hold 1 GB, and the answer, the whole
 * log as one JSON text, failed with 500 past V8's largest string (512 MB; seen with 60 requests
 * of 9.5 MB). An agent's request with a dozen tools is tens of KB: 100 of them fit many times.
 */
export const REQUEST_LOG_BUDGET: StoreBudget = { entries: 100, bytes: 64 * 1024 * 1024 };

/**
 * Responses (and their items) kept for `previous_response_id` and `item_reference`, each
 * measured by the bytes of the conversation it holds (see `ResponseStore`). A count alone let
 * 1,000 bodies of 10 MB hold 10 GB, more than Node's heap. A test suite continues the
 * responses of its last few steps: 1,000 requests of 100 KB are 100 MB, within the budget.
 */
export const RESPONSE_STORE_BUDGET: StoreBudget = { entries: 1_000, bytes: 256 * 1024 * 1024 };

/** Replies a test may queue at once. */
export const MAX_SCRIPTED_REPLIES = 1_000;

/**
 * The replies waiting in `/v1/testing/script`, by count and by the bytes of the bodies that
 * queued them: by count alone, 1,000 bodies of 10 MB would have held 10 GB. A scripted reply
 * is a few hundred bytes of text or tool calls.
 */
export const SCRIPT_BUDGET: StoreBudget = {
  entries: MAX_SCRIPTED_REPLIES,
  bytes: 64 * 1024 * 1024,
};
