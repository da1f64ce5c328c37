/**
 * Why a string in `authorization_details` cannot be shown and carried as sent: a lone surrogate
 * ("\ud800" in the JSON) is no Unicode text, so UTF-8 cannot write it (RFC 8259 section 8.1: JSON
 * text is UTF-8) and `jq` refuses the request list that holds it; a control character (U+0000,
 * a line break) changes how the text reads, and PostgreSQL cannot keep U+0000. A bidirectional
 * control (U+202E) is kept, which no Auth0 document refuses: the approver page shows it escaped,
 * and a team's approver must too. `undefined` for text.
 */
function textProblem(text: string): string | undefined {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const shown = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    if (code >= 0xd800 && code <= 0xdfff) {
      return `a lone surrogate (${shown}), which is not Unicode text and cannot be written in UTF-8 (RFC 8259 section 8.1): send the character it was half of, or text without it`;
    }
    if (/\p{Cc}/u.test(char)) {
      return `the control character ${shown}: send the value without control characters`;
    }
  }
  return undefined;
}

/**
 * The first string of `value` (an `authorization_details` array) that is not text a person can
 * read as sent, naming where it is ("authorization_details[0].product holds a lone surrogate
 * ..."); `undefined` when every string is. Property names are checked by Auth0's own limit
 * (`A-Za-z0-9_.-`).
 */
export function authorizationDetailsTextProblem(
  value: unknown,
  path = "authorization_details",
): string | undefined {
  if (typeof value === "string") {
    const problem = textProblem(value);
    return problem === undefined ? undefined : `${path} holds ${problem}`;
  }
  if (value === null || typeof value !== "object") return undefined;
  const members: [string, unknown][] = Array.isArray(value)
    ? (value as unknown[]).map((item, index) => [`${path}[${index}]`, item])
    : Object.entries(value).map(([key, member]) => [`${path}.${key}`, member]);
  for (const [at, member] of members) {
    const problem = authorizationDetailsTextProblem(member, at);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
