/**
 * A token count for usage fields: about four characters a token, as OpenAI's rule of thumb
 * says. Deterministic, so tests may assert it; not a tokenizer.
 */
export function estimateTokens(...texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
}
