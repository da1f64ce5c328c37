/**
 * RFC 6749 section 3.1: a request parameter "MUST NOT be included more than once". A name sent
 * twice reaches a handler as a list; `name[]=` (how PHP and qs send a list) as a parameter of its
 * own name, which the endpoint would pass over as unknown and go on as if `name` were absent.
 * Says what is wrong with the first such parameter of `query`, or `undefined` when there is none.
 */
export function repeatedParameter(query: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(query)) {
    const listed = /^([^[\]]+)\[[^\]]*\]$/.exec(name);
    if (listed !== null) {
      return `The parameter ${listed[1] ?? name} must be sent once, as ${listed[1] ?? name}=<value> (got ${name})`;
    }
    if (typeof value !== "string") return `The parameter ${name} must not be repeated`;
  }
  return undefined;
}
