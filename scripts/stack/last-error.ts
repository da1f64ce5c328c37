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
 * error's `Error: ...`, a start-up check's sentence). A list of problems (`  - problem`) is
 * quoted by its heading and first item, with how many more it has (`Invalid tenant: problem
 * (and 2 more above)`). Other log records are not errors.
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
    if (LIST_ITEM.exec(line) === null) return line.trim();
    return listQuoted(lines, index);
  }
  return undefined;
}

/** An item of a list under a heading: `  - clients[0].name is missing`. */
const LIST_ITEM = /^\s+- (.*)$/;

/**
 * The list whose last item is `lines[last]`, in one line: its heading and its first item (the
 * first problem is the one to fix first; a later one may follow from it), and how many more
 * items the list has.
 */
function listQuoted(lines: readonly string[], last: number): string {
  const items: string[] = [];
  let at = last;
  for (; at >= 0; at -= 1) {
    const line = stripVTControlCharacters(lines[at] ?? "");
    const item = LIST_ITEM.exec(line)?.[1];
    if (item !== undefined) items.unshift(item);
    else if (/^\S/.test(line)) break;
  }
  const heading = at >= 0 ? stripVTControlCharacters(lines[at] ?? "").trim() : undefined;
  const [first = ""] = items;
  const more = items.length > 1 ? ` (and ${String(items.length - 1)} more above)` : "";
  return `${heading === undefined ? first : `${heading} ${first}`}${more}`;
}
