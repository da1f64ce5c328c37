import { CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE } from "@ciba-testbed/shared";
import { z } from "zod";

import { policySchema } from "../approver/policy.js";

const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"] as const;
export const oidcScopes: ReadonlySet<string> = new Set(OIDC_SCOPES);

const clientSchema = z
  .object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(8, "clientSecret must be at least 8 characters"),
    name: z.string().min(1),
    grantTypes: z.array(z.enum([CIBA_GRANT_TYPE, CLIENT_CREDENTIALS_GRANT_TYPE])).min(1),
    /** Client-credentials grants: the scopes this client may get for each API. */
    clientGrants: z
      .array(z.object({ audience: z.string().min(1), scopes: z.array(z.string().min(1)) }).strict())
      .default([]),
  })
  .strict();

const userSchema = z
  .object({
    sub: z.string().min(1),
    name: z.string().min(1),
    email: z.string().email(),
    pushEnrolled: z.boolean(),
  })
  .strict();

const apiSchema = z
  .object({
    identifier: z.string().min(1),
    name: z.string().min(1),
    scopes: z.array(z.string().min(1)),
    authorizationDetailsTypes: z.array(z.string().min(1)).default([]),
    tokenLifetimeSeconds: z.number().int().positive().default(86_400),
  })
  .strict();

const cibaSettingsSchema = z
  .object({
    /** Seconds between polls; Auth0 uses 5. Fractions are allowed so tests run fast. */
    intervalSeconds: z.number().positive().max(60).default(5),
    /**
     * The gap between polls the tenant enforces, when longer than the announced interval: a
     * client that polls at the announced pace then meets `slow_down`. Unset: the interval.
     */
    enforcedIntervalSeconds: z.number().positive().max(60).optional(),
    /** The longest `expires_in` granted; Auth0 allows 300 for push. */
    maxExpiresInSeconds: z.number().int().positive().max(259_200).default(300),
    /** CIBA Core 1.0, section 11: `slow_down` adds at least 5 s to the interval. */
    slowDownIncrementSeconds: z.number().nonnegative().max(60).default(5),
    /** How a poll after expiry is answered: the spec's `expired_token` or Auth0's `access_denied`. */
    expiredError: z.enum(["expired_token", "access_denied"]).default("expired_token"),
    /** Auth0 allows 5 requests per user a minute; `null` turns the limit off. */
    perUserRequestsPerMinute: z.number().int().positive().nullable().default(null),
    /** How long finished requests stay readable through the control API. */
    retentionSeconds: z.number().positive().default(600),
    /**
     * Auth0 caps the backchannel requests a tenant holds open (pending, or approved and not yet
     * exchanged for tokens). Past it, `/bc-authorize` answers 429 `too_many_requests` at once.
     */
    maxOpenRequests: z.number().int().positive().default(10_000),
    /** Cap on stored requests, open or finished; the oldest finished ones are dropped first. */
    maxStoredRequests: z.number().int().positive().default(20_000),
  })
  .strict();

export const tenantSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    clients: z.array(clientSchema).min(1),
    users: z.array(userSchema).min(1),
    apis: z.array(apiSchema),
    ciba: cibaSettingsSchema.default({}),
    approver: policySchema.default({ default: "manual", rules: [] }),
  })
  .strict()
  .superRefine((tenant, ctx) => {
    const duplicates = (values: string[]) =>
      values.filter((value, index) => values.indexOf(value) !== index);
    for (const id of duplicates(tenant.clients.map((c) => c.clientId))) {
      ctx.addIssue({ code: "custom", path: ["clients"], message: `duplicate clientId ${id}` });
    }
    for (const sub of duplicates(tenant.users.map((u) => u.sub))) {
      ctx.addIssue({ code: "custom", path: ["users"], message: `duplicate user sub ${sub}` });
    }
    const apis = new Map(tenant.apis.map((api) => [api.identifier, api]));
    for (const id of duplicates(tenant.apis.map((a) => a.identifier))) {
      ctx.addIssue({ code: "custom", path: ["apis"], message: `duplicate API identifier ${id}` });
    }
    tenant.clients.forEach((client, i) => {
      client.clientGrants.forEach((grant, j) => {
        const api = apis.get(grant.audience);
        const path = ["clients", i, "clientGrants", j];
        if (!api) {
          ctx.addIssue({ code: "custom", path, message: `unknown API ${grant.audience}` });
          return;
        }
        for (const scope of grant.scopes.filter((s) => !api.scopes.includes(s))) {
          ctx.addIssue({
            code: "custom",
            path,
            message: `scope ${scope} is not defined on API ${api.identifier}`,
          });
        }
      });
    });
  });

export type Tenant = z.output<typeof tenantSchema>;
export type TenantClient = Tenant["clients"][number];
export type TenantUser = Tenant["users"][number];
export type TenantApi = Tenant["apis"][number];
export type CibaSettings = Tenant["ciba"];
