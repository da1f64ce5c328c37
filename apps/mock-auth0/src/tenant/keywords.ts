/**
 * The Deploy CLI's keyword replacement (auth0-deploy-cli lib/tools/utils.js `keywordReplace`),
 * applied to a file's text before it is parsed, as `a0deploy import` does: first every
 * `@@KEY@@` (with or without the quotes around it) becomes the value as JSON, then every
 * `##KEY##` the value as text. A test compares it with the package's own function.
 */
export type KeywordMappings = Readonly<Record<string, unknown>>;

export function keywordReplace(input: string, mappings: KeywordMappings): string {
  const keys = Object.keys(mappings);
  if (keys.length === 0) return input;
  let output = input;
  for (const key of keys) {
    const pattern = `@@${key}@@`;
    // Keys are used as the Deploy CLI uses them, unescaped, so both read a file the same way.
    const regex = new RegExp(`'${pattern}'|"${pattern}"|${pattern}`, "g");
    output = output.replace(regex, () => JSON.stringify(mappings[key]));
  }
  for (const key of keys) {
    output = output.replace(new RegExp(`##${key}##`, "g"), () => String(mappings[key]));
  }
  return output;
}

/** The Deploy CLI's placeholder syntax (upper case only, as its unresolved-placeholder check). */
const UNRESOLVED = /##[A-Z0-9_]+##|@@[A-Z0-9_]+@@/g;

/** Keywords left in a value after replacement: a mapping the file needs but nobody gave. */
export function unresolvedKeywords(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; keywords: string[] }[] {
  if (typeof value === "string") {
    const keywords = value.match(UNRESOLVED);
    return keywords ? [{ path, keywords: [...new Set(keywords)] }] : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, i) => unresolvedKeywords(item, [...path, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => unresolvedKeywords(item, [...path, key]));
  }
  return [];
}
