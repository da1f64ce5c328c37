/**
 * Text for an error message: each character outside printable ASCII written out as its code
 * point, `\u{202E}`, as the approver page writes hidden characters. A person reading the message
 * then sees what was sent (a zero-width space, a direction control, an accent that sat on the
 * previous letter, half of an emoji) instead of nothing, or text turned around; and the message
 * keeps to the characters RFC 6749 (5.2) allows in `error_description`. A character is a code
 * point: an emoji is one `\u{1F600}`, and a lone surrogate, as a split emoji leaves, its own.
 */
export function writtenOut(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out +=
      code >= 0x20 && code <= 0x7e
        ? char
        : `\\u{${code.toString(16).toUpperCase().padStart(4, "0")}}`;
  }
  return out;
}

/** `text` in double quotes, written out: `"auth0|alice\u{200B}"`. */
export const quotedWrittenOut = (text: string): string => `"${writtenOut(text)}"`;

/**
 * The characters of `text` that `allowed` (a pattern for a whole text of allowed characters)
 * refuses, each once, quoted and written out: `"\u{1F600}\u{1F601}"`. Taken by code point, so
 * an emoji is not split into two halves.
 */
export function foundCharacters(text: string, allowed: RegExp): string {
  const found = new Set(Array.from(text).filter((char) => !allowed.test(char)));
  return quotedWrittenOut([...found].join(""));
}
