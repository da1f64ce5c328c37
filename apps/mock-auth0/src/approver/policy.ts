import { z } from "zod";

import type { NotificationChannel } from "../tenant/tenant-model.js";

import { outcomeSchema } from "./outcome.js";
import type { ApproverOutcome } from "./outcome.js";

const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, "i");
  } catch (error) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `not a valid regular expression: ${(error as Error).message}`,
    });
  }
});

/**
 * A rule picks an outcome for the requests it matches; every condition given must hold.
 * `bindingMessage` is a case-insensitive regular expression; `channel` is how the person is
 * asked, by Auth0's names (`guardian-push`, `email`).
 */
export const ruleSchema = z
  .object({
    when: z
      .object({
        user: z.string().min(1).optional(),
        clientId: z.string().min(1).optional(),
        audience: z.string().min(1).optional(),
        bindingMessage: regexSource.optional(),
        channel: z
          .enum(["guardian-push", "email"] as const satisfies NotificationChannel[])
          .optional(),
      })
      .strict(),
    outcome: outcomeSchema,
  })
  .strict();

export const policySchema = z
  .object({
    default: outcomeSchema,
    rules: z.array(ruleSchema).default([]),
  })
  .strict();

export type ApproverRule = z.output<typeof ruleSchema>;
export type ApproverPolicy = z.output<typeof policySchema>;

export interface ConsentRequest {
  userId: string;
  clientId: string;
  audience: string | undefined;
  bindingMessage: string;
  channel: NotificationChannel;
}

function matches(rule: ApproverRule, request: ConsentRequest): boolean {
  const { user, clientId, audience, bindingMessage, channel } = rule.when;
  if (user !== undefined && user !== request.userId) return false;
  if (clientId !== undefined && clientId !== request.clientId) return false;
  if (audience !== undefined && audience !== request.audience) return false;
  if (channel !== undefined && channel !== request.channel) return false;
  if (
    bindingMessage !== undefined &&
    !new RegExp(bindingMessage, "i").test(request.bindingMessage)
  ) {
    return false;
  }
  return true;
}

/** The first matching rule wins; the policy's default covers the rest. */
export function chooseOutcome(policy: ApproverPolicy, request: ConsentRequest): ApproverOutcome {
  return policy.rules.find((rule) => matches(rule, request))?.outcome ?? policy.default;
}
