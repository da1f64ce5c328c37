import type { OAuthError } from "@ciba-testbed/shared";
import { createErrorHandler } from "@ciba-testbed/shared/http";
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import type { Logger } from "pino";

import { errors } from "./errors.js";
import { OAUTH_BODY_LIMIT } from "./limits.js";

interface BodyParserError {
  type?: unknown;
  limit?: unknown;
}

/**
 * The two 413s the shared reader cannot word: the tenant reads bodies with two limits (OAuth
 * endpoints, control API), so a body over the limit names the limit of the parser that refused
 * it, and the form parser refuses too many parameters.
 */
function bodyTooLarge(error: unknown): OAuthError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, limit } = error as BodyParserError;
  if (type === "entity.too.large") {
    return errors.payloadTooLarge(
      typeof limit === "number"
        ? `Request body too large: at most ${limit} bytes`
        : "Request body too large",
    );
  }
  if (type === "parameters.too.many") {
    return errors.payloadTooLarge("Too many form parameters in the body");
  }
  return undefined;
}

/**
 * Refuses a path whose percent-encoding does not decode before any route sees it, so that every
 * path answers alike: Express itself fails only on routes with parameters. It passes on the
 * error Express raises there (a URIError with status 400), which the shared reader answers.
 */
export const rejectMalformedPath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
    next();
  } catch (error) {
    next(Object.assign(error as URIError, { status: 400 }));
  }
};

/**
 * The shared serializer, placed last, with the tenant's 413 wording tried first; `onAnswer` is
 * told of each error answer (the record of refused `/bc-authorize` requests).
 */
export function errorHandler(
  logger: Logger,
  onAnswer?: (req: Request, error: OAuthError) => void,
): ErrorRequestHandler {
  return createErrorHandler({
    logger,
    bodyLimit: OAUTH_BODY_LIMIT,
    translate: bodyTooLarge,
    ...(onAnswer === undefined ? {} : { onAnswer }),
  });
}
