/**
 * The error code of an answer the web app wrote in the model's stead for a turn that ended in a
 * failure (`TurnAnswer`: a purchase denied or refused, the model's answer cut off): carried in
 * the answer's text part, as its provider metadata under this key, so that the page shows it
 * beside the words, as the status line shows a refusal's and the CLI's report names it
 * (`error`). For the server and the browser bundle alike.
 */
export const ANSWER_METADATA_KEY = "agent";

/** The text part's provider metadata that carries `error`. */
export function answerErrorMetadata(error: string): Record<string, Record<string, string>> {
  return { [ANSWER_METADATA_KEY]: { error } };
}

/** The error code a text part carries (`answerErrorMetadata`), if it carries one. */
export function answerErrorOf(part: { providerMetadata?: unknown }): string | undefined {
  const { providerMetadata } = part;
  if (typeof providerMetadata !== "object" || providerMetadata === null) return undefined;
  const ours: unknown = (providerMetadata as Record<string, unknown>)[ANSWER_METADATA_KEY];
  if (typeof ours !== "object" || ours === null) return undefined;
  const error: unknown = (ours as Record<string, unknown>).error;
  return typeof error === "string" && /^[a-z][a-z0-9_]*$/.test(error) ? error : undefined;
}

/**
 * The stream's transient data part that carries the code of the error the stream ends in
 * (`{ code }`), written just before the error itself, whose part has room for its text alone.
 */
export const ERROR_CODE_PART = "data-error-code";
