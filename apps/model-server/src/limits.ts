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

/** Responses (and their items) kept for `previous_response_id` and `item_reference`. */
export const MAX_STORED_RESPONSES = 1_000;

/** Requests kept for `GET /v1/testing/requests`, newest last. */
export const MAX_RECORDED_REQUESTS = 100;

/** Replies a test may queue at once. */
export const MAX_SCRIPTED_REPLIES = 1_000;
