import { writtenOut } from "@ciba-testbed/shared";

/**
 * Characters that change how a terminal shows what follows them rather than showing themselves:
 * direction controls (U+202E turns the rest of the line right to left, so "XYZ phone\u202e:
 * denied" reads backwards), and control characters but the line feed and the tab (an escape
 * starts a terminal command).
 */
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const hex = (char: string) =>
  (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");

/** `text` for a terminal: each such character written out, as `\u{202E}` (`writtenOut`). */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_CONTROLS, writtenOut);
}

/**
 * JSON text for a terminal: each such character as its JSON escape (`\u202E`), which reads back
 * as the same value. JSON.stringify escapes the C0 controls itself, and these characters can
 * stand nowhere in JSON text but inside a string.
 */
export function terminalJson(json: string): string {
  return json.replace(TERMINAL_CONTROLS, (char) => `\\u${hex(char)}`);
}
