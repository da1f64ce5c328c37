import { createHash, timingSafeEqual } from "node:crypto";

import type { RequestHandler } from "express";

import { errors } from "./errors.js";

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * OpenAI's authentication, relaxed for tests: any `Authorization: Bearer <key>` is accepted,
 * unless `apiKey` is set, then only that key. `optional`: a request with no Authorization
 * header passes when no key is configured (the testing routes, for curl).
 */
export function requireApiKey(
  apiKey: string | undefined,
  options: { optional?: boolean } = {},
): RequestHandler {
  const expected = apiKey === undefined ? undefined : digest(apiKey);
  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (header === undefined && options.optional === true && expected === undefined) {
      next();
      return;
    }
    const key = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (key === undefined) {
      // This server knows whether a key is set: it says which key to send, not "any".
      const which =
        expected === undefined
          ? "Any key works here (MODEL_SERVER_API_KEY is not set); for the OpenAI clients set OPENAI_API_KEY (e.g. to 'test')."
          : "This server takes only the key MODEL_SERVER_API_KEY is set to; for the OpenAI clients set OPENAI_API_KEY to it.";
      next(
        errors.missingApiKey(
          "You didn't provide an API key: send it in an Authorization header using Bearer auth " +
            `('Authorization: Bearer <key>'). ${which}`,
        ),
      );
      return;
    }
    if (expected !== undefined && !timingSafeEqual(digest(key), expected)) {
      next(
        errors.invalidApiKey("Incorrect API key provided: it differs from MODEL_SERVER_API_KEY."),
      );
      return;
    }
    next();
  };
}

/** Equal-length digests, so the comparison takes the same time whatever the key. */
function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}
