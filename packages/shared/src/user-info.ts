/** `scheme://`, a chain of them (`jdbc:postgresql://`), or a scheme-relative `//`. */
const AUTHORITY_START = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)*\/\//u;

/**
 * A request target in absolute form (`https://user:password@host/path`, RFC 9112 section
 * 3.2.2, or a scheme-relative `//user:password@host/path`) as a log may show it: everything
 * between the `//` and the last "@" before the query and the fragment as `mask`. A password
 * sent as typed may hold any character (`/`, `:`, `@`, `;`, a space); one holding a `?` or `#`
 * cannot be told from a query or fragment holding an "@" (`https://h/a?x@b`: a password
 * `a?x`, or a query `x@b`), so when an "@" follows the first `?` or `#`, nothing after the
 * `//` is shown. A target with no `//` at its start (`/api/products`) or no "@" is returned as
 * sent.
 */
export function withoutUserInfo(target: string, mask: string): string {
  const start = AUTHORITY_START.exec(target)?.[0];
  if (start === undefined) return target;
  const rest = target.slice(start.length);
  const queryStart = rest.search(/[?#]/u);
  if (queryStart !== -1 && rest.includes("@", queryStart)) return `${start}${mask}`;
  const at = queryStart === -1 ? rest.lastIndexOf("@") : rest.lastIndexOf("@", queryStart);
  return at === -1 ? target : `${start}${mask}${rest.slice(at)}`;
}
