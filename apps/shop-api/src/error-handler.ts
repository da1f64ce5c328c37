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

interface BodyParserError {
  type?: unknown;
  status?: unknown;
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
  return fromBodyParser(error);
}

function fromBodyParser(error: unknown): ErrorResponse | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, status } = error as BodyParserError;
  const apiError = ((): OAuthError | undefined => {
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
          "Content-Encoding is not supported; send the body uncompressed",
        );
      default:
        if (
          typeof type === "string" &&
          typeof status === "number" &&
          status >= 400 &&
          status < 500
        ) {
          return new OAuthError(status, "invalid_request", "The request body could not be read");
        }
        return undefined;
    }
  })();
  return apiError && toErrorResponse(apiError);
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
