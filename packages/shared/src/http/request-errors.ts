import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";

import type { RequestHandler } from "express";

import { OAuthError } from "../oauth-error.js";
import { mediaTypeOf } from "./media-type.js";

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  errno?: unknown;
  /** body-parser's `charset.unsupported`: the charset the Content-Type named. */
  charset?: unknown;
}

/**
 * The error `type` of a JSON body past the bounds of its `verifyJsonBody`: answered with the
 * status and message it carries.
 */
export const JSON_BODY_PAST_BOUNDS = "entity.bounds.exceeded";

/**
 * The error `type` of a body a reader refuses as it is (a media type it does not read, JSON
 * labelled as a form): answered with the status and message it carries, as
 * JSON_BODY_PAST_BOUNDS.
 */
export const BODY_REFUSED = "entity.refused";

/** Types whose errors carry their own 4xx status and message, written for the client. */
const CARRIED_TYPES = new Set<unknown>([JSON_BODY_PAST_BOUNDS, BODY_REFUSED]);

/**
 * Errors raised while reading a request, before any handler ran: body-parser's typed errors,
 * a body past the bounds of its `verifyJsonBody` (with the status and message it carries),
 * Express 5's malformed percent-encoding in a path (status 400, no `type`), and zlib failures
 * on a bad `Content-Encoding` body (status 400, no `type`). Each becomes a 4xx
 * `invalid_request` (RFC 6749 section 5.2: the request is malformed) with a message that says
 * what to fix. Anything else is not a request error: undefined.
 */
export function requestReadError(error: unknown, bodyLimit: string): OAuthError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, errno } = error as HttpErrorLike;
  const status = statusOf(error);
  const carried = CARRIED_TYPES.has(type) && error instanceof Error;
  if (carried && status !== undefined && status >= 400 && status < 500) {
    return new OAuthError(status, "invalid_request", error.message);
  }
  const known = typeof type === "string" ? BODY_READ_ERRORS[type] : undefined;
  if (known !== undefined) {
    const [knownStatus, description] = known;
    return new OAuthError(knownStatus, "invalid_request", description(bodyLimit, error));
  }
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (error instanceof URIError) {
    return new OAuthError(
      400,
      "invalid_request",
      "The URL path is not valid percent-encoded UTF-8 (RFC 3986 section 2.1: '%' must be " +
        "followed by two hex digits, and the bytes must form UTF-8); encode each path segment " +
        "with encodeURIComponent",
    );
  }
  // zlib and brotli failures carry an errno (Z_DATA_ERROR, ERR__ERROR_FORMAT_PADDING_2, ...).
  if (typeof errno === "number") {
    return new OAuthError(
      400,
      "invalid_request",
      "The request body does not match its Content-Encoding; send it uncompressed, or compress it correctly",
    );
  }
  return new OAuthError(status, "invalid_request", "The request could not be read");
}

/** body-parser's error `type`s: the status and what the caller should change. */
const BODY_READ_ERRORS: Record<
  string,
  readonly [number, (bodyLimit: string, error: HttpErrorLike) => string]
> = {
  "entity.too.large": [413, (limit) => `The request body is larger than ${limit}`],
  // Also a bare string, number or null: the parsers take objects and arrays only (strict).
  "entity.parse.failed": [400, () => "The request body is not a valid JSON object"],
  // Apache HttpClient 4 labels a form ISO-8859-1 by default: the charset is named, and the fix.
  "charset.unsupported": [
    415,
    (_limit, { charset }) =>
      `The request body must be UTF-8 encoded, and its Content-Type names ${namedCharset(charset)}: ` +
      "send charset=utf-8, or no charset (a JSON or form body is read as UTF-8)",
  ],
  "encoding.invalid_utf8": [
    400,
    () => "The request body is not valid UTF-8 (RFC 8259 section 8.1): send its text UTF-8 encoded",
  ],
  "encoding.unsupported": [
    415,
    () =>
      "This Content-Encoding is not supported; send the body uncompressed, or gzip, deflate or br",
  ],
  "request.aborted": [400, () => "The request body ended early"],
  "request.size.invalid": [400, () => "The body's length differs from Content-Length"],
};

/** The charset a refused Content-Type named, as said back: its name when it is one, short. */
function namedCharset(charset: unknown): string {
  return typeof charset === "string" && /^[A-Za-z0-9._:+-]{1,40}$/.test(charset)
    ? `charset=${charset}`
    : "another charset";
}

function statusOf(error: HttpErrorLike): number | undefined {
  const status = error.status ?? error.statusCode;
  return typeof status === "number" && Number.isInteger(status) ? status : undefined;
}

/**
 * Refuses a body whose Content-Type names a charset other than UTF-8, before a parser reads it.
 * body-parser decodes some other charsets itself (a form in ISO-8859-1, JSON in UTF-16), so a
 * UTF-8 body sent with the wrong label was read as other text: "café" became "cafÃ©", and a
 * person would approve words the client never sent. The error is body-parser's own
 * `charset.unsupported`, which `requestReadError` answers 415 with what to fix. `utf8` is
 * UTF-8 too.
 */
export const requireUtf8Body: RequestHandler = (req, _res, next) => {
  const media = mediaTypeOf(req.headers["content-type"]);
  const charset = media?.parameters.charset?.toLowerCase();
  if (media === undefined || charset === undefined || charset === "utf-8") {
    next();
    return;
  }
  // `utf8`, the WHATWG Encoding Standard's other label for UTF-8, which body-parser's parsers
  // refuse (they take `utf-` labels only): read as what it names, the header spelt as they
  // read it (its type and charset, all they read of it).
  if (charset === "utf8") {
    req.headers["content-type"] = `${media.type}; charset=utf-8`;
    next();
    return;
  }
  next(
    Object.assign(new Error(`unsupported charset "${charset.toUpperCase()}"`), {
      status: 415,
      type: "charset.unsupported",
      charset,
    }),
  );
};

/**
 * body-parser's `verify` for a JSON body: bytes that are not UTF-8 are refused (400, type
 * `encoding.invalid_utf8`, which `requestReadError` answers). body-parser's decoder would turn
 * each into U+FFFD and parse on, so a product name or a binding message would be read as text
 * the client never sent. The body is checked as received, after any Content-Encoding.
 */
export function verifyUtf8(_req: IncomingMessage, _res: ServerResponse, body: Buffer): void {
  if (!isUtf8(body)) {
    throw Object.assign(new Error("The request body is not valid UTF-8"), {
      status: 400,
      type: "encoding.invalid_utf8",
    });
  }
}
