/** The largest JSON body read: conversations with a few inline images still fit. */
export const JSON_BODY_LIMIT = "10mb";

/** Responses (and their items) kept for `previous_response_id` and `item_reference`. */
export const MAX_STORED_RESPONSES = 1_000;

/** Requests kept for `GET /v1/testing/requests`, newest last. */
export const MAX_RECORDED_REQUESTS = 100;

/** Replies a test may queue at once. */
export const MAX_SCRIPTED_REPLIES = 1_000;
