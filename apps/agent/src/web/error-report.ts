import { terminalText } from "../terminal-text.js";
import { isUnexpectedError } from "./client-error-text.js";

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

/**
 * A tool call the SDK refused, as the tool part's error it hands `onError` as text (`Invalid
 * input for tool …`, `Model tried to call unavailable tool …`): the model's mistake, which the
 * answer states and hands back to the model, not the app's.
 */
function isInvalidCallText(error: unknown): boolean {
  return (
    typeof error === "string" &&
    /^(?:Invalid input for tool |Model tried to call unavailable tool )/u.test(error)
  );
}

/**
 * The error texts of one chat's stream, and which errors in it go to the operator: an error the
 * page only calls "Something went wrong" (`isUnexpectedError`), once. An Error whose message is
 * a text already written here is the AI SDK's echo of it (processUIMessageStream calls onError
 * with `new Error(errorText)` for each error part, the interrupt part that `serialize` writes,
 * `AUTH0_AI_INTERRUPTION:{...}`, among them), not another error.
 */
export class StreamErrors {
  readonly #reported = new Set<unknown>();
  readonly #written = new Set<string>();

  constructor(
    private readonly describe: (error: unknown) => string,
    serializer: (describe: (error: unknown) => string) => (error: unknown) => string,
    private readonly report: (error: unknown) => void,
    /** Told each error the stream writes, before its text is (not the SDK's echoes of it). */
    private readonly told: (error: unknown) => void = () => undefined,
  ) {
    const serialize = serializer(this.text);
    this.serialized = (error) => this.#wrote(serialize(error));
  }

  /** The stream's text for `error` (a `toUIMessageStream` onError). */
  readonly text = (error: unknown): string => {
    const echo = error instanceof Error && this.#written.has(error.message);
    if (
      !echo &&
      !isInvalidCallText(error) &&
      !this.#reported.has(error) &&
      isUnexpectedError(error)
    ) {
      this.#reported.add(error);
      this.report(error);
    }
    if (!echo) this.told(error);
    return this.#wrote(this.describe(error));
  };

  /** The stream's error part for `error`, as `serializer` writes it (`createUIMessageStream`'s onError). */
  readonly serialized: (error: unknown) => string;

  #wrote(text: string): string {
    this.#written.add(text);
    return text;
  }
}
