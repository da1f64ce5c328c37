import { requestReadError } from "@ciba-testbed/shared/http";
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";

import { ApiError, errors } from "./errors.js";
import { JSON_BODY_LIMIT } from "./limits.js";

/** Body-reading failures (bad JSON, too large, bad encoding) as OpenAI-style 4xx errors. */
function fromRequestRead(error: unknown): ApiError | undefined {
  const read = requestReadError(error, JSON_BODY_LIMIT);
  if (read === undefined) return undefined;
  if (read.status === errors.table.payloadTooLarge.status) {
    return errors.payloadTooLarge(read.description);
  }
  if (read.status === errors.table.unsupportedMediaType.status) {
    return errors.unsupportedMediaType(read.description);
  }
  return new ApiError(
    read.status,
    errors.table.invalidRequest.type,
    errors.table.invalidRequest.code,
    read.description,
  );
}

/**
 * The one serializer, placed last: `{ error: { message, type, param, code } }`. Unknown errors
 * are bugs: logged, answered 500 without details.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known = error instanceof ApiError ? error : fromRequestRead(error);
    if (known === undefined) {
      logger.error({ err: error }, "unexpected error");
      const bug = errors.serverError("The model server hit an unexpected error; see its log");
      res.status(bug.status).json(bug.toJSON());
      return;
    }
    res.status(known.status).set(known.headers).json(known.toJSON());
  };
}
