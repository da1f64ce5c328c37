import type { IncomingMessage, ServerResponse } from "node:http";

import { JSON_BODY_PAST_BOUNDS, verifyUtf8 } from "./request-errors.js";

/**
 * Bounds on the shape of a JSON body, checked on its bytes before JSON.parse builds it: 1 MB
 * of `[]` is some 350,000 arrays, which cost JSON.parse about 50 ms and a schema validation
 * seconds, and 1 MB of `[[[...]]]` costs JSON.parse half a second and leaves a value that
 * JSON.stringify cannot write back (it overflows the stack).
 */
export interface JsonBodyBounds {
  /** Array elements and object members in all: each array and object, and each comma. */
  maxElements: number;
  /** Arrays and objects inside one another; unbounded when left out. */
  maxDepth?: number;
}

/** Which bound a body goes past. */
export type JsonBodyExcess = "elements" | "depth";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Where the string whose opening quote is at `start` ends (its closing quote), or the end. */
function stringEnd(body: Uint8Array, start: number): number {
  for (let quote = body.indexOf(QUOTE, start + 1); quote !== -1;) {
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = body.indexOf(QUOTE, quote + 1);
  }
  return body.length;
}

/**
 * The first bound the JSON text `body` goes past, or undefined, read from its bytes before
 * anything is parsed: each array and object, and each comma between two elements or members,
 * counts as one element, and each array or object opened and not yet closed as one level,
 * outside strings. A UTF-8 byte of a character past ASCII is never one of those, so the bytes
 * need no decoding. Text that is not JSON is left to the parser, which names it.
 */
export function jsonBodyPastBounds(
  body: Uint8Array,
  { maxElements, maxDepth = Infinity }: JsonBodyBounds,
): JsonBodyExcess | undefined {
  let elements = 0;
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      i = stringEnd(body, i);
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return "depth";
      if (++elements > maxElements) return "elements";
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    } else if (byte === COMMA) {
      if (++elements > maxElements) return "elements";
    }
  }
  return undefined;
}

/** How a server refuses a body past a bound: its status (4xx) and what to change. */
export type JsonBodyRefusal = (excess: JsonBodyExcess) => { status: number; message: string };

/**
 * body-parser's `verify` for a JSON body: its bytes are UTF-8 (`verifyUtf8`), and it goes past
 * none of `bounds` (`jsonBodyPastBounds`), checked before JSON.parse builds it. Past one it
 * throws an error of type JSON_BODY_PAST_BOUNDS with the status and message `refuse` gives.
 */
export function verifyJsonBody(
  bounds: JsonBodyBounds,
  refuse: JsonBodyRefusal,
): (req: IncomingMessage, res: ServerResponse, body: Buffer) => void {
  return (req, res, body) => {
    verifyUtf8(req, res, body);
    const excess = jsonBodyPastBounds(body, bounds);
    if (excess === undefined) return;
    const { status, message } = refuse(excess);
    throw Object.assign(new Error(message), { status, type: JSON_BODY_PAST_BOUNDS });
  };
}

/**
 * The deepest nesting of arrays and objects the testbed's servers read in a JSON body: RFC 9396
 * `authorization_details` and a purchase nest a few levels. 9,000 levels (18 KB, within the
 * OAuth endpoints' limit) parsed, then overflowed JSON.stringify reading a parameter: a 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * body-parser's `verify` for a JSON body of bounded size whose nesting is bounded too: UTF-8,
 * and no deeper than MAX_JSON_DEPTH, else 400 (`requestReadError`'s `invalid_request`).
 */
export const verifyJsonDepth = verifyJsonBody(
  { maxElements: Infinity, maxDepth: MAX_JSON_DEPTH },
  () => ({
    status: 400,
    message:
      `The request body nests arrays and objects more than ${String(MAX_JSON_DEPTH)} levels ` +
      "deep; no parameter needs that many: send a flatter body",
  }),
);
