import { z } from "zod";

import { policySchema } from "../approver/policy.js";

/**
 * `mock-auth0.json`: what Auth0 has no file for. Client credentials (a Deploy CLI file never
 * carries a secret), each person's Guardian enrolment, the simulated approver and the speed
 * knobs that make tests fast. The testbed's own format: Auth0 never reads this file.
 */

/** JSON has no comments: a `$comment` (as in JSON Schema) says why a value is set. */
const comment = z
  .string()
  .optional()
  .describe("A note for people: why the settings beside it are what they are. Not read.");

/** A rate limit: a whole number per period, Auth0's figure by default; null turns it off. */
const rateLimit = (auth0Default: number) =>
  z.number().int().positive().nullable().default(auth0Default);

const cibaSettingsSchema = z
  .object({
    $comment: comment,
    intervalSeconds: z
      .number()
      .positive()
      .max(60)
      .default(5)
      .describe("Seconds between polls (`interval`); Auth0 sends 5. Fractions make tests fast."),
    enforcedIntervalSeconds: z
      .number()
      .positive()
      .max(60)
      .optional()
      .describe(
        "The gap between polls the tenant enforces, when longer than the announced interval: a client that polls at the announced pace then meets slow_down. Unset: the interval.",
      ),
    maxExpiresInSeconds: z
      .number()
      .int()
      .positive()
      .max(300)
      .default(300)
      .describe(
        "The expiry of a request that names no requested_expiry, and the longest granted to one that asks for 300 s or less (Auth0: 300, its push range). A requested_expiry over 300 goes to the e-mail channel and lives as long as asked.",
      ),
    slowDownIncrementSeconds: z
      .number()
      .nonnegative()
      .max(60)
      .default(5)
      .describe("CIBA Core 1.0 section 11: slow_down adds at least 5 s to the interval."),
    expiredError: z
      .enum(["expired_token", "access_denied"])
      .default("access_denied")
      .describe(
        "How a poll after expiry is answered: Auth0's access_denied (its text covers denial and expiry) or the CIBA spec's expired_token.",
      ),
    perUserRequestsPerMinute: rateLimit(5).describe(
      "Backchannel requests one user may be sent: a bucket of this many, refilled at this many a minute (Auth0: 5). null turns the limit off.",
    ),
    perIpRequestsPerMinute: rateLimit(500).describe(
      "/bc-authorize requests from one IP address: a bucket of this many, refilled at this many a minute (Auth0: 500). null turns the limit off.",
    ),
    retentionSeconds: z
      .number()
      .positive()
      .default(600)
      .describe("How long finished requests stay readable through the control API."),
    maxOpenRequests: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        "Requests held open (pending, or approved and not yet collected); past it /bc-authorize answers 429 too_many_requests.",
      ),
    maxStoredRequests: z
      .number()
      .int()
      .positive()
      .default(20_000)
      .describe(
        "Requests stored, open or finished. Past it only requests whose client has had its final answer (tokens collected, a denial or expiry polled) are dropped, the oldest first: when none can go, /bc-authorize answers 429 too_many_requests.",
      ),
  })
  .strict()
  .describe(
    "CIBA timings and limits, Auth0's by default; a tenant for tests makes them faster or looser, and says why in $comment.",
  );

const rateLimitSettingsSchema = z
  .object({
    $comment: comment,
    authenticationApiRequestsPerSecond: rateLimit(100).describe(
      "Authentication API requests (/bc-authorize, /oauth/token, /userinfo, /authorize, the login page and logout together) the whole tenant may make: a bucket of this many, refilled at this many a second (Auth0 Enterprise: 100). null turns the limit off.",
    ),
    userinfoRequestsPerMinute: rateLimit(5).describe(
      "/userinfo requests one user (the token's sub) may make a minute, Auth0's 5 by default. A test suite that reads the profile more often raises it; null turns the limit off.",
    ),
    userinfoBurst: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        "/userinfo requests one user may make at once before userinfoRequestsPerMinute applies (the bucket size), Auth0's 10. Raised to userinfoRequestsPerMinute when that is larger.",
      ),
  })
  .strict()
  .describe("Auth0's tenant-wide rate limits.");

const loginSettingsSchema = z
  .object({
    $comment: comment,
    autoSelectUser: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "A user id (auth0|…) that /authorize logs in with no login page, as if they had picked themselves: for CI. Never a user with a password_hash, nor with prompt=login: the page is shown then. While it is set, any page the browser opens can log it in as this user. null: the page is shown.",
      ),
    loginHintLogsIn: z
      .boolean()
      .default(false)
      .describe(
        "Whether a login_hint that names a user (auth0|… id or e-mail) logs that user in with no login page: for CI that picks its user per login. Never a user with a password_hash, nor with prompt=login. While it is true, any page the browser opens can log it in as whoever it names (login CSRF). false (Auth0's answer): the page is shown, the hinted user first.",
      ),
    sessionLifetimeSeconds: z
      .number()
      .int()
      .positive()
      .default(259_200)
      .describe(
        "How long the tenant's login session lasts: within it /authorize skips the page unless prompt=login (Auth0's default absolute lifetime: 3 days).",
      ),
  })
  .strict()
  .describe("Universal Login as mock-auth0 plays it: the page that lists the tenant's users.");

const bruteForceSchema = z
  .object({
    $comment: comment,
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Whether wrong passwords on the login page lead to a block, as Auth0's Brute-force Protection (enabled on a new tenant). false turns it off.",
      ),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        "Auth0's max_attempts: consecutive wrong passwords for one user from one IP address before that address is blocked from logging in as that user (mode count_per_identifier_and_ip, shield block). Auth0's default: 10.",
      ),
  })
  .strict()
  .describe(
    "Auth0's Brute-force Protection on the login page. A block lasts until the control API removes it (DELETE /admin/user-blocks/:user_id), 30 days pass or the tenant restarts.",
  );

const attackProtectionSchema = z
  .object({
    $comment: comment,
    bruteForceProtection: bruteForceSchema.default({}),
  })
  .strict()
  .describe("Auth0's Attack Protection settings that mock-auth0 plays.");

const clientCredentialsSchema = z
  .object({
    client_id: z.string().min(1),
    client_secret: z
      .string()
      .min(8, "client_secret must be at least 8 characters")
      .optional()
      .describe(
        "Leave out for a public client; a confidential client without one gets one derived from its name.",
      ),
  })
  .strict();

const keywordValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.unknown()),
  z.record(z.unknown()),
]);

export const settingsSchema = z
  .object({
    $schema: z.string().optional(),
    $comment: comment,
    extends: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Another mock-auth0.json (relative to this file) whose settings this one changes: objects merge, anything else replaces.",
      ),
    name: z
      .string()
      .min(1)
      .optional()
      .describe("The tenant's name in the start-up message; default: tenant.friendly_name."),
    keywords: z
      .record(keywordValueSchema)
      .default({})
      .describe(
        "The Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS for mock-auth0: ##KEY## is replaced by the value as text, @@KEY@@ by the value as JSON.",
      ),
    clients: z
      .record(clientCredentialsSchema)
      .default({})
      .describe(
        "client_id and client_secret by client name (a Deploy CLI file has neither). A client left out gets credentials derived from its name, printed at start.",
      ),
    guardian: z
      .object({
        pushEnrolled: z
          .union([z.literal("all"), z.array(z.string().min(1))])
          .default("all")
          .describe(
            'The users enrolled in Guardian push, by user id (auth0|…), or "all". Auth0 keeps enrolments per user and imports none.',
          ),
      })
      .strict()
      .default({}),
    ciba: cibaSettingsSchema.default({}),
    login: loginSettingsSchema.default({}),
    rateLimits: rateLimitSettingsSchema.default({}),
    attackProtection: attackProtectionSchema.default({}),
    approver: policySchema
      .default({ default: "manual", rules: [] })
      .describe(
        "The simulated approver: a default outcome and rules by user, clientId, audience, channel (guardian-push or email) or bindingMessage (a case-insensitive RE2 regular expression: no backreferences or lookaround).",
      ),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
export type CibaSettings = Settings["ciba"];
export type LoginSettings = Settings["login"];
export type RateLimitSettings = Settings["rateLimits"];
export type BruteForceSettings = Settings["attackProtection"]["bruteForceProtection"];
