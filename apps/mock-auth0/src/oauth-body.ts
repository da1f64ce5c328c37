import { json, urlencoded } from "express";
import type { Request, RequestHandler } from "express";
import { writtenOut } from "@ciba-testbed/shared";
import { BODY_REFUSED, mediaTypeOf, requireUtf8Body } from "@ciba-testbed/shared/http";
import { verifyJsonParameters } from "@ciba-testbed/shared/http/json-repeated-keys";
import qs from "qs";

/** Options of body-parser's `urlencoded({ extended: false })`, which `parseForm` matches. */
const PARAMETER_LIMIT = 1000;

/**
 * The body of `/bc-authorize` and `/oauth/token`: a form or JSON, `limitBytes` at most.
 *
 * Nearly every request to them is a UTF-8 form of a stated length, uncompressed. That one is
 * read here and parsed by `parseForm`, to the same `req.body` body-parser makes; under load
 * body-parser's general path (content negotiation, its listeners, `qs`) was about a tenth of
 * the tenant's CPU time on those two endpoints. Every other request (JSON, compressed, another
 * charset, no Content-Length, over the limit) goes to body-parser's `urlencoded` and `json`
 * parsers as before, which answer each kind of unreadable body with their typed errors, once
 * `requireUtf8Body` has refused a charset other than UTF-8.
 *
 * A body these parsers do not read would reach the endpoints as no parameters at all, and be
 * answered for what it left out ("send client_id and client_secret" to a client that sent them
 * as `text/plain`, `multipart/form-data` or with no Content-Type): such a body is refused with
 * 415, naming its type and the two the tenant reads. So is a JSON array (400, not an object),
 * and JSON labelled as a form (400, naming the Content-Type to send), which a form parser reads
 * as one parameter named after the whole text.
 */
export function oauthBody(limitBytes: number): RequestHandler {
  const form: RequestHandler = urlencoded({
    extended: false,
    limit: limitBytes,
    parameterLimit: PARAMETER_LIMIT,
  });
  const jsonBody: RequestHandler = json({ limit: limitBytes, verify: verifyJsonParameters });
  return (req, res, next) => {
    const length = plainFormLength(req, limitBytes);
    if (length === undefined) {
      requireUtf8Body(req, res, (error?: unknown) => {
        if (error !== undefined) {
          next(error);
          return;
        }
        const unread = unreadBody(req);
        if (unread !== undefined) {
          next(unread);
          return;
        }
        form(req, res, (formError?: unknown) => {
          if (formError !== undefined) {
            next(formError);
            return;
          }
          jsonBody(req, res, (jsonError?: unknown) => {
            next(jsonError ?? misreadBody(req));
          });
        });
      });
      return;
    }
    readPlainForm(req, length, (error?: unknown) => {
      next(error ?? misreadBody(req));
    });
  };
}

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/** A refusal of the body as it is: `status` and a message for the client. */
function refusal(status: number, message: string): Error {
  return readError(status, message, BODY_REFUSED);
}

/**
 * A body of a media type neither parser reads (or of none), refused before it is read: 415,
 * naming it. A request without a body (no Content-Length, or 0, and not chunked) passes, and
 * is answered for the parameters it lacks.
 */
function unreadBody(req: Request): Error | undefined {
  const length = req.headers["content-length"];
  const hasBody =
    req.headers["transfer-encoding"] !== undefined ||
    (length !== undefined && !/^0+$/.test(length.trim()));
  if (!hasBody || req.is([FORM, JSON_TYPE]) !== false) return undefined;
  const type = req.headers["content-type"];
  const sent =
    type === undefined || type.trim() === ""
      ? "The request body has no Content-Type"
      : `The request body's Content-Type is "${writtenOut(type.split(";", 1)[0]?.trim() ?? "")}"`;
  return refusal(
    415,
    `${sent}, and this endpoint reads ${FORM} or ${JSON_TYPE}: send the parameters as a form, with Content-Type: ${FORM}`,
  );
}

/**
 * A body read, but not as parameters: a JSON array (400 as any other JSON that is not an
 * object), or JSON sent as a form, which the form parser reads as one parameter named after the
 * text. Undefined for any other body.
 */
function misreadBody(req: Request): Error | undefined {
  const body: unknown = req.body;
  if (Array.isArray(body)) return readError(400, "not a JSON object", "entity.parse.failed");
  if (typeof body !== "object" || body === null || req.is(FORM) === false) return undefined;
  const first = Object.keys(body)[0];
  if (first === undefined || !/^\s*\{/.test(first)) return undefined;
  return refusal(
    400,
    `The request body is JSON, but its Content-Type says ${FORM}: send it with Content-Type: ${JSON_TYPE}, or encode the parameters as a form`,
  );
}

/** The Content-Length of a plain UTF-8 form within `limitBytes`, else undefined. */
function plainFormLength(req: Request, limitBytes: number): number | undefined {
  const type = req.headers["content-type"];
  if (type === undefined || !isPlainFormType(type)) return undefined;
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") return undefined;
  const declared = req.headers["content-length"];
  if (declared === undefined || !/^\d{1,9}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length <= limitBytes ? length : undefined;
}

/** `application/x-www-form-urlencoded`, with no parameter but `charset=utf-8`. */
function isPlainFormType(type: string): boolean {
  const media = mediaTypeOf(type);
  if (media?.type !== FORM) return false;
  const names = Object.keys(media.parameters);
  return (
    names.length === 0 ||
    (names.length === 1 && media.parameters.charset?.toLowerCase() === "utf-8")
  );
}

/**
 * Reads the `length` bytes Node's HTTP parser delivers for a Content-Length body. A client
 * that goes away first gets body-parser's `request.aborted` (it is not there to read it).
 */
function readPlainForm(req: Request, length: number, next: (error?: unknown) => void): void {
  if (req.destroyed) {
    next(aborted());
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const settle = (error?: unknown) => {
    if (settled) return;
    settled = true;
    // As raw-body does: once read, a later connection error is not this reader's to report
    // (Node emits a request's 'error' only while it has listeners).
    req.removeListener("data", onData);
    req.removeListener("end", onEnd);
    req.removeListener("close", onClose);
    req.removeListener("error", onClose);
    next(error);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  };
  const onEnd = () => {
    if (received !== length) {
      settle(readError(400, "request size did not match content length", "request.size.invalid"));
      return;
    }
    const text = Buffer.concat(chunks, received).toString("utf8");
    try {
      req.body = parseForm(text);
    } catch (error) {
      settle(error);
      return;
    }
    settle();
  };
  // Closed or failed before its end: the client went away.
  const onClose = () => {
    settle(aborted());
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("close", onClose);
  req.on("error", onClose);
}

const aborted = () => readError(400, "request aborted", "request.aborted");

/** An error shaped like body-parser's (http-errors): a status and a `type`. */
function readError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * A form body parsed exactly as body-parser's `urlencoded({ extended: false })` parses it
 * (`qs` at depth 0): `+` is a space; a value whose percent-encoding does not decode is kept
 * as written; a repeated key gives an array; an empty key and `__proto__` are dropped. A
 * body with brackets, which `qs` reads as nesting even at depth 0, is left to `qs` itself.
 * More than 1,000 parameters are refused with body-parser's 413.
 */
export function parseForm(text: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (text === "") return body;
  const count = parameterCount(text);
  if (count > PARAMETER_LIMIT) throw readError(413, "too many parameters", "parameters.too.many");
  if (QS_SPECIAL.test(text)) return parseWithQs(text, count);
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("&", start);
    if (end === -1) end = text.length;
    if (end > start) {
      const equals = text.indexOf("=", start);
      const hasValue = equals !== -1 && equals < end;
      const key = decode(text.slice(start, hasValue ? equals : end));
      // qs drops these two keys.
      if (key !== "" && key !== "__proto__") {
        const value = hasValue ? decode(text.slice(equals + 1, end)) : "";
        const existing = Object.hasOwn(body, key) ? body[key] : undefined;
        body[key] = existing === undefined ? value : ([] as unknown[]).concat(existing, value);
      }
    }
    start = end + 1;
  }
  return body;
}

/** Brackets, raw or percent-encoded. */
const QS_SPECIAL = /[[\]]|%5[bd]/i;

function parseWithQs(text: string, count: number): Record<string, unknown> {
  return qs.parse(text, {
    allowPrototypes: true,
    arrayLimit: count,
    depth: 0,
    parameterLimit: PARAMETER_LIMIT,
    strictDepth: true,
  });
}

function parameterCount(text: string): number {
  let count = 1;
  for (let i = text.indexOf("&"); i !== -1; i = text.indexOf("&", i + 1)) count += 1;
  return count;
}

/** `qs`'s UTF-8 decoder: `+` is a space, and what does not decode stays as written. */
function decode(raw: string): string {
  const spaced = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
