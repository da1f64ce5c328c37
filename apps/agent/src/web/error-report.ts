import { terminalText } from "../terminal-text.js";

/**
 * Where the web app reports an error it answered with no more than "Something went wrong": the
 * person sees that line, so the operator needs the error itself. `request` is what was asked
 * (`POST /api/chat`), without its query, which can carry a login's code and state.
 */
export type ErrorReporter = (error: unknown, request: string) => void;

/** What an error says of itself: its stack, or its text. */
function errorDetail(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    if (typeof error === "string") return error;
    // undefined for undefined, a function or a symbol, whatever its type says
    const json = JSON.stringify(error) as string | undefined;
    return json ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * The web app's own reporter: one entry on stderr, its control characters written out so that
 * text an error quotes (a model server's, a tenant's) cannot move the terminal's cursor or turn
 * a line around. A stderr that cannot be written loses the entry, never the answer.
 */
export const reportToStderr: ErrorReporter = (error, request) => {
  try {
    process.stderr.write(
      `agent web app: ${terminalText(request)} failed: ${terminalText(errorDetail(error))}\n`,
    );
  } catch {
    // The answer the person gets does not depend on the operator's log.
  }
};

/** `request` as reported: its method and path, never its query string. */
export function requestName(method: string, url: string): string {
  return `${method} ${url.split("?", 1)[0] ?? ""}`;
}
