// What both pages say when the tenant does not answer a request they send: the browser's own
// words ("Failed to fetch", "NetworkError when attempting to fetch resource.") say neither which
// end failed nor what to check.

export const NO_ANSWER = "the tenant did not answer (is mock-auth0 still running?)";

// How long a page waits for the tenant's answer, its body included. A tenant that takes a
// request and never answers (stopped with Ctrl+Z or SIGSTOP, stuck, or its machine swamped)
// would otherwise leave a page loading, or its buttons pressed, for good.
export const ANSWER_WAIT_SECONDS = 10;
export const NO_ANSWER_IN_TIME = `the tenant did not answer within ${ANSWER_WAIT_SECONDS} s (is mock-auth0 stuck, or its machine overloaded?)`;

// The tenant's answer to a request: `{ status, ok, body }` (`body` undefined when it is no JSON,
// or was cut off), or `{ failed: "unreachable" }` (no connection) or `{ failed: "late" }` (no
// whole answer within ANSWER_WAIT_SECONDS).
export async function ask(url, init = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ANSWER_WAIT_SECONDS * 1000);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    const body = await response.json().catch(() => undefined);
    if (controller.signal.aborted) return { failed: "late" };
    return { status: response.status, ok: response.ok, body };
  } catch {
    return { failed: controller.signal.aborted ? "late" : "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}
