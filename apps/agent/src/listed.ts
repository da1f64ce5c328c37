/** Items in a sentence: "a", "a and b", "a, b and c" (or `conjunction` for the last). */
export function listed(items: readonly string[], conjunction: "and" | "or" = "and"): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1) ?? ""}`;
}
