import { z } from "zod";

/** The JSON body of every OAuth 2.0 error response (RFC 6749, section 5.2). */
export const oauthErrorBodySchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export type OAuthErrorBody = z.infer<typeof oauthErrorBodySchema>;

export function isOAuthErrorBody(value: unknown): value is OAuthErrorBody {
  return oauthErrorBodySchema.safeParse(value).success;
}

/**
 * One class for every OAuth-style error an app answers with: the HTTP status, the spec's
 * `error` code, a description a person can act on, and any headers the answer needs.
 *
 * An answer below 500 is the protocol working (most token polls are answered
 * `authorization_pending`), not a fault in the code, so it carries no stack: V8 would capture
 * one for every such answer, a few per cent of the tenant's CPU under load. A 5xx keeps its
 * stack for the log.
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(`${code}: ${description}`);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = "OAuthError";
  }

  toJSON(): OAuthErrorBody {
    return { error: this.code, error_description: this.description };
  }
}
