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
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${description}`);
    this.name = "OAuthError";
  }

  toJSON(): OAuthErrorBody {
    return { error: this.code, error_description: this.description };
  }
}
