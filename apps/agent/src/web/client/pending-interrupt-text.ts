/**
 * How an interrupt-mode purchase that waits for the person words its interrupt's message (see
 * chat-threads.ts): the consent request's binding message after this prefix. A page that rebuilt
 * the interrupt (a reload, a kept chat) reads the binding message back from it, price limit and
 * all. For the browser bundle and the server alike.
 */
const PENDING_PREFIX = "Waiting for the person to approve: ";

/** The interrupt's message for a purchase waiting on `bindingMessage`. */
export function pendingInterruptText(bindingMessage: string | undefined): string {
  return `${PENDING_PREFIX}${bindingMessage ?? ""}`.trim();
}

/** The binding message `text` (an interrupt's message) holds, if it holds one. */
export function bindingMessageIn(text: string): string | undefined {
  const binding = text.startsWith(PENDING_PREFIX) ? text.slice(PENDING_PREFIX.length) : "";
  return binding === "" ? undefined : binding;
}
