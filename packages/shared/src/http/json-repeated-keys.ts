import { parse } from "@humanwhocodes/momoa";
import type { MemberNode, ValueNode } from "@humanwhocodes/momoa";
import type { IncomingMessage, ServerResponse } from "node:http";

import { writtenOut } from "../written-out.js";
import { verifyJsonDepth } from "./json-body-bounds.js";
import { BODY_REFUSED } from "./request-errors.js";

/**
 * Where the JSON text `text` names a key its object already has (an object's own repeat
 * before one inside its members): its path as a person reads it (`scope`, `authorization_details[0].type`), the key as JSON.parse decodes it
 * (`"\u0073cope"` is `scope`). `undefined` when no object repeats a key, and for text that is
 * not JSON, which JSON.parse then refuses with its own answer.
 *
 * JSON.parse keeps a repeated key's last value without a word, where another reader may keep
 * the first (RFC 8259 section 4: names SHOULD be unique, and parsers differ): a client that
 * sent `{"scope":"openid","scope":"openid product:buy"}` could not tell which one it asked for.
 * The text is read with momoa (the JSON parser of ESLint's JSON support), whose syntax tree
 * keeps every member as written, with its decoded name, so nothing here re-implements JSON's
 * grammar or string escapes. It costs some ten times what JSON.parse does (3.7 ms for 16 KB of
 * JSON on a busy 2-core machine, where JSON.parse took 0.37 ms; the OAuth endpoints take 20 KB
 * at most), and only a JSON body pays it: the usual OAuth request is a form.
 */
export function repeatedJsonKey(text: string): string | undefined {
  const tree = treeOf(text);
  return tree === undefined ? undefined : repeatedIn(tree.root, []);
}

/** A byte order mark, which body-parser's decoding (iconv-lite) drops before JSON.parse reads. */
const BOM = "\ufeff";

/**
 * The syntax tree of `text` as body-parser's JSON.parse reads it, after one leading byte order
 * mark, which momoa refuses: `\ufeff{"qty":1,"qty":5}` went unread here, and bought 5. With the
 * text it read (`source`), which the tree's offsets count in. `undefined` for text that is not
 * JSON.
 */
function treeOf(text: string): { root: ValueNode; source: string } | undefined {
  const source = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  try {
    return { root: parse(source, { mode: "json" }).body, source };
  } catch {
    return undefined;
  }
}

/**
 * The numbers among the members of the JSON object `text`, each as its text writes it
 * (`{"qty":0.99999999999999999}`: `qty` -> `"0.99999999999999999"`), by decoded key; the last
 * of a repeated key. `undefined` for text that is not a JSON object. JSON.parse hands a number
 * over as the nearest double, so `0.99999999999999999` arrives as 1; Node 20's JSON.parse has no
 * reviver `context.source` (V8 flags it as harmony), and momoa keeps where each value was.
 */
export function numbersAsWritten(text: string): Map<string, string> | undefined {
  const tree = treeOf(text);
  if (tree?.root.type !== "Object") return undefined;
  const numbers = new Map<string, string>();
  for (const { name, value } of tree.root.members) {
    if (value.type !== "Number") continue;
    numbers.set(keyOf(name), tree.source.slice(value.loc.start.offset, value.loc.end.offset));
  }
  return numbers;
}

function repeatedIn(node: ValueNode, path: readonly (string | number)[]): string | undefined {
  if (node.type === "Array") {
    for (const [index, element] of node.elements.entries()) {
      const found = repeatedIn(element.value, [...path, index]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (node.type !== "Object") return undefined;
  const names = new Set<string>();
  for (const { name } of node.members) {
    const key = keyOf(name);
    if (names.has(key)) return shownPath([...path, key]);
    names.add(key);
  }
  for (const { name, value } of node.members) {
    const found = repeatedIn(value, [...path, keyOf(name)]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A member's name, decoded. An identifier is JSON5's alone: in JSON every name is a string. */
function keyOf(name: MemberNode["name"]): string {
  return name.type === "String" ? name.value : name.name;
}

/** `["authorization_details", 0, "type"]` as `authorization_details[0].type`. */
function shownPath(path: readonly (string | number)[]): string {
  let shown = "";
  for (const part of path) {
    if (typeof part === "number") shown += `[${String(part)}]`;
    else shown += shown === "" ? writtenOut(part) : `.${writtenOut(part)}`;
  }
  return shown;
}

/**
 * body-parser's `verify` for a JSON body of parameters: `verifyJsonDepth`'s checks, and no key
 * twice in one object, as a form may not repeat a parameter (RFC 6749 section 3.1): 400
 * (`requestReadError`'s `invalid_request`) naming the key, "scope must not be repeated: ...".
 */
export function verifyJsonParameters(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): void {
  verifyJsonDepth(req, res, body);
  const repeated = repeatedJsonKey(body.toString("utf8"));
  if (repeated === undefined) return;
  throw Object.assign(
    new Error(
      `${repeated} must not be repeated: the JSON body names it more than once in one object, ` +
        "and only one of its values would be read; send it once",
    ),
    { status: 400, type: BODY_REFUSED },
  );
}
