import type { OAuthErrorBody } from "@ciba-testbed/shared";
import type { ErrorRequestHandler } from "express";
import { UnauthorizedError } from "express-oauth2-jwt-bearer";

import { OAuthError, invalidRequest, payloadTooLarge, unsupportedMediaType } from "./errors.js";
import { JSON_BODY_LIMIT } from "./limits.js";

const DESCRIPTIONS_FOR_BARE_LIBRARY_ERRORS: Record<number, string> = {
  // RFC 6750 section 3.1: no credentials, so the challenge carries no error code.
  401: "This endpoint needs an access token: send it as 'Authorization: Bearer <token>'",
  400: "The Authorization header must be 'Bearer <token>': one space, no other scheme, no empty token",
};

/** What Express, body-parser and zlib attach to the errors they raise for bad input. */
interface ClientErrorFields {
  type?: unknown;
  status?: unknown;
  code?: unknown;
  errno?: unknown;
}

interface ErrorResponse {
  status: number;
  body: OAuthErrorBody & { error_description: string };
  headers: Record<string, string>;
}

/** Maps a thrown value to the response; `undefined` means "unexpected": a 500. */
export function toErrorResponse(error: unknown): ErrorResponse | undefined {
  if (error instanceof OAuthError) {
    return {
      status: error.status,
      body: { error: error.code, error_description: error.description },
      headers: { ...error.headers },
    };
  }
  if (error instanceof UnauthorizedError) {
    // The library's own classes: keep its status and challenge; fill the body from them.
    const code = "code" in error && typeof error.code === "string" ? error.code : "";
    const headers: Record<string, string> = {};
    const challenge = error.headers["WWW-Authenticate"];
    if (typeof challenge === "string") {
      headers["WWW-Authenticate"] = challenge.replace(/[^\x20-\x7e]/g, "?");
    }
    const bare = code === "";
    return {
      status: error.status,
      body: {
        error: bare ? "invalid_request" : code,
        error_description: bare
          ? (DESCRIPTIONS_FOR_BARE_LIBRARY_ERRORS[error.status] ?? "Unauthorized")
          : error.message,
      },
      headers,
    };
  }
  return fromClientError(error);
}

/**
 * Errors that Express and body-parser raise for bad input, with a 4xx `status`. Some carry no
 * body-parser `type`: a path param that is not valid percent-encoded UTF-8 (router's
 * `decodeParam`: a URIError) and a body that does not decompress as its Content-Encoding says
 * (zlib's error, passed on with status 400). Any other 4xx is still the client's: never a 500.
 */
function fromClientError(error: unknown): ErrorResponse | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, status, code, errno } = error as ClientErrorFields;
  if (typeof status !== "number" || status < 400 || status > 499) return undefined;
  const apiError = ((): OAuthError => {
    switch (type) {
      case "entity.too.large":
        return payloadTooLarge(
          `The request body is larger than the ${JSON_BODY_LIMIT} this API accepts`,
        );
      case "entity.parse.failed":
        return invalidRequest("The request body is not valid JSON (send a JSON object)");
      case "charset.unsupported":
        return unsupportedMediaType("The request body must be UTF-8 encoded JSON");
      case "encoding.unsupported":
        return unsupportedMediaType(
          "This Content-Encoding is not supported; send the body uncompressed, or as one of " +
            "gzip, deflate or br",
        );
      case undefined:
        break;
      default:
        return new OAuthError(status, "invalid_request", "The request body could not be read");
    }
    if (error instanceof URIError) {
      return invalidRequest(
        "The URL path is not valid percent-encoded UTF-8 (RFC 3986 section 2.1: '%' must be " +
          "followed by two hex digits, and the bytes must form UTF-8); encode each path " +
          "segment with encodeURIComponent",
      );
    }
    if (typeof errno === "number" && typeof code === "string") {
      return invalidRequest(
        "The request body does not decompress as its Content-Encoding says; send it " +
          "uncompressed, or as valid gzip, deflate or br",
      );
    }
    return new OAuthError(
      status,
      "invalid_request",
      "The request could not be read; check its path, headers and body",
    );
  })();
  return toErrorResponse(apiError);
}

/** The one error serializer, placed last: `{ error, error_description }`, never a stack. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const response = toErrorResponse(error);
  if (!response) {
    req.log.error({ err: error }, "unexpected error");
    res.status(500).json({
      error: "server_error",
      error_description: "The server hit an unexpected error; try again later",
    });
    return;
  }
  if (error instanceof UnauthorizedError && /^Failed to fetch/i.test(error.message)) {
    // The library reports an unreachable or untrusted issuer as a bad token (401).
    req.log.warn(
      { reason: error.message },
      "token check could not reach the issuer; GET /ready names the cause",
    );
  }
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.status(response.status).json(response.body);
};
