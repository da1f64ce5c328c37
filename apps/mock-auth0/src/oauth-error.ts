import { OAuthError, oauthError } from "@ciba-testbed/shared";
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import type { Logger } from "pino";

export { OAuthError };

// Spec codes: RFC 6749 section 5.2, CIBA Core 1.0 sections 13 and 11, RFC 9396 section 5.
export const invalidRequest = oauthError(400, "invalid_request");
export const invalidClient = oauthError(401, "invalid_client");
export const unauthorizedClient = oauthError(403, "unauthorized_client");
export const unsupportedGrantType = oauthError(400, "unsupported_grant_type");
export const invalidGrant = oauthError(400, "invalid_grant");
export const invalidScope = oauthError(400, "invalid_scope");
export const unknownUserId = oauthError(400, "unknown_user_id");
export const invalidAuthorizationDetails = oauthError(400, "invalid_authorization_details");
export const accessDenied = oauthError(400, "access_denied");
export const forbidden = oauthError(403, "access_denied");
export const authorizationPending = oauthError(400, "authorization_pending");
export const expiredToken = oauthError(400, "expired_token");
export const notFound = oauthError(404, "not_found");
export const conflict = oauthError(409, "conflict");

export function slowDown(retryAfterSeconds: number): OAuthError {
  return new OAuthError(
    429,
    "slow_down",
    `You are polling faster than allowed. Wait ${retryAfterSeconds} s before the next poll.`,
    { "Retry-After": String(retryAfterSeconds) },
  );
}

export function tooManyRequests(retryAfterSeconds: number, description: string): OAuthError {
  return new OAuthError(429, "too_many_requests", description, {
    "Retry-After": String(retryAfterSeconds),
  });
}

interface HttpError {
  status?: unknown;
  type?: unknown;
  code?: unknown;
  limit?: unknown;
  encoding?: unknown;
  charset?: unknown;
}

const quoted = (text: string) =>
  JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/**
 * Errors from Express and its body parsers carry a 4xx status; each becomes `invalid_request`
 * with what to change. Two carry no `type`: a path whose percent-encoding does not decode
 * (a URIError) and a compressed body that does not inflate (a zlib error).
 */
function clientError(error: HttpError & Error, status: number, req: Request): OAuthError {
  const encoding = (req.get("content-encoding") ?? "identity").trim().toLowerCase();
  switch (error.type) {
    case "entity.too.large":
      return new OAuthError(
        413,
        "invalid_request",
        typeof error.limit === "number"
          ? `Request body too large: at most ${error.limit} bytes`
          : "Request body too large",
      );
    case "entity.parse.failed":
      return invalidRequest("Request body is not valid JSON");
    case "encoding.unsupported":
      return new OAuthError(
        415,
        "invalid_request",
        `Content-Encoding ${quoted(typeof error.encoding === "string" ? error.encoding : encoding)} is not supported: send the body uncompressed, or as gzip, deflate or br`,
      );
    case "charset.unsupported":
      return new OAuthError(
        415,
        "invalid_request",
        `Charset ${quoted(typeof error.charset === "string" ? error.charset : "")} is not supported: send the body as UTF-8`,
      );
    case "parameters.too.many":
    case "querystring.parse.rangeError":
      return new OAuthError(413, "invalid_request", "Too many form parameters in the body");
    case "request.size.invalid":
      return invalidRequest("The body is not as long as its Content-Length header says");
    case "request.aborted":
      return invalidRequest("The client stopped sending the body before its end");
    default:
      break;
  }
  if (error instanceof URIError) {
    return invalidRequest(
      `The request path ${quoted(req.originalUrl)} is not valid percent-encoding: write a literal % as %25 and percent-encode UTF-8 bytes only`,
    );
  }
  if (encoding !== "identity" && typeof error.code === "string") {
    return invalidRequest(
      `The request body is not valid ${quoted(encoding)} data, as its Content-Encoding header says: send it uncompressed, or compressed as the header says`,
    );
  }
  return new OAuthError(status, "invalid_request", "The request could not be read");
}

/**
 * Refuses a path whose percent-encoding does not decode before any route sees it, so that every
 * path answers alike (Express itself fails only on routes with parameters, and only there).
 */
export const rejectMalformedPath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
    next();
  } catch (error) {
    next(Object.assign(error as URIError, { status: 400 }));
  }
};

/** Turns errors of Express and its body parsers into OAuth errors; anything else is a server_error. */
function toOAuthError(error: unknown, req: Request): OAuthError | undefined {
  if (error instanceof OAuthError) return error;
  if (!(error instanceof Error)) return undefined;
  const { status } = error as HttpError;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return clientError(error, status, req);
  }
  return undefined;
}

/** The one error serializer, placed last: `{ error, error_description }`, never a stack. */
export function oauthErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    // An event stream that has started cannot change its status: let Express close it.
    if (res.headersSent) {
      next(error);
      return;
    }
    const known = toOAuthError(error, req);
    if (known) {
      res.status(known.status).set(known.headers).json(known.toJSON());
      return;
    }
    logger.error({ err: error }, "unhandled error");
    res
      .status(500)
      .json({ error: "server_error", error_description: "The server hit an unexpected error" });
  };
}
