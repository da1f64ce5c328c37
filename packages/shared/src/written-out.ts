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

/**
 * A value someone typed, as a message quotes it back: in double quotes, its own quotes and
 * backslashes escaped (a typed `\u0041` reads `"\\u0041"`, never taken for an escape), every
 * other character outside printable ASCII written out (a line feed `\u{000A}`), so the message
 * stays one line whatever was typed.
 */
export const quotedValue = (text: string): string =>
  `"${writtenOut(text.replace(/["\\]/g, "\\$&"))}"`;

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

/**
 * Characters a page cannot show for what they are: controls, format characters (the
 * right-to-left override, zero-width spaces), line and paragraph separators, every space but the
 * plain one, the letters and marks that draw nothing, and a run of three or more combining marks.
 * The approver page writes out the same (`HIDDEN` in apps/mock-auth0/public/details.js, which
 * cannot import this).
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]|\u034F|\u17B4|\u17B5|[\u180B-\u180F]|[\uFE00-\uFE0F]|[\u{E0100}-\u{E01EF}]|[^\P{Zs} ]|\p{M}{3,}/gu;

/**
 * Text for a page: what `HIDDEN` matches written out as `\u{202E}`, the rest (accents, other
 * scripts) as it is. A user named "Alice <U+202E>YUB OT 02" is shown so, not as "Alice 20 TO BUY"
 * with the rest of the line turned around.
 */
export const hiddenWrittenOut = (text: string): string =>
  text.replace(HIDDEN, (run) => writtenOut(run));
