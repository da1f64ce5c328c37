import { stripVTControlCharacters } from "node:util";

/** pino's `error` level and above (`fatal`). */
const ERROR_LEVEL = 50;

/**
 * Lines that carry no message of their own: a stack frame, Node's version trailer after a
 * crash, a code frame (` 12 | source`, `-----^`), a blank line.
 */
const NOT_A_MESSAGE = [/^\s+at /, /^Node\.js v\d/, /^\s*\d+ \|/, /^\s*-*\^+\s*$/, /^\s*$/];

/** An uncaught error's own line, as Node prints it: `Error: ...`, `TypeError: ...`. */
const ERROR_LINE = /^\s*(?:Uncaught )?[A-Za-z]*Error\b/;

/** The message of a pino record at `error` or above, undefined for any other line. */
function errorRecordMessage(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const record = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return typeof record.level === "number" &&
      record.level >= ERROR_LEVEL &&
      typeof record.msg === "string"
      ? record.msg
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A service's own last error, in one line, from what it printed (oldest first): the last error
 * record's message, or the last line of text that is not a stack or code frame (an uncaught
 * error's `Error: ...`, a start-up check's sentence). An item of a list (`  - problem`) comes
 * with the heading it belongs to (`Invalid tenant: problem`). Other log records are not errors.
 * With `errorsOnly` (a service that stopped after it was ready, whose banner and notes are not
 * errors), only error records and uncaught errors' lines count.
 */
export function lastErrorOf(
  lines: readonly string[],
  options: { errorsOnly?: boolean } = {},
): string | undefined {
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = stripVTControlCharacters(lines[index] ?? "");
    if (line.startsWith("{")) {
      const message = errorRecordMessage(line);
      if (message !== undefined) return message;
      continue;
    }
    if (NOT_A_MESSAGE.some((pattern) => pattern.test(line))) continue;
    if (options.errorsOnly === true && !ERROR_LINE.test(line)) continue;
    const item = /^\s+- (.*)$/.exec(line)?.[1];
    if (item === undefined) return line.trim();
    const heading = lines
      .slice(0, index)
      .reverse()
      .map((earlier) => stripVTControlCharacters(earlier))
      .find((earlier) => /^\S/.test(earlier));
    return heading === undefined ? item : `${heading.trim()} ${item}`;
  }
  return undefined;
}
