/**
 * The header the chat page sends with each chat request: the `sub` of the person it shows
 * (URI-encoded), as `/api/session` gave it when the page loaded. The app refuses a chat whose
 * page shows another person than the session's with SESSION_CHANGED (see chat-route.ts).
 */
export const SHOWN_PERSON_HEADER = "X-Shown-Sub";

/** The app's 409 code for a chat sent from a page loaded for another person. */
export const SESSION_CHANGED = "session_changed";
