import { parse } from "content-type";

/** A Content-Type as RFC 9110 section 8.3.1 reads it. */
export interface MediaType {
  /** Type and subtype, in lower case: "application/json". */
  type: string;
  /** The parameters, names in lower case, quoted values unquoted. */
  parameters: Readonly<Record<string, string>>;
}

/**
 * A Content-Type read by the parser body-parser reads it with (`content-type`), so that what a
 * check here sees is what decodes the body: `; foo="a; charset=latin1"` is a parameter `foo` and
 * no charset, `; CHARSET="UTF-8"` is UTF-8, and a charset after a quoted value is the charset.
 * `undefined` for no Content-Type.
 */
export function mediaTypeOf(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const { type, parameters } = parse(header);
  return { type, parameters: { ...parameters } };
}
