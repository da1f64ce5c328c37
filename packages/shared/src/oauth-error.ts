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
