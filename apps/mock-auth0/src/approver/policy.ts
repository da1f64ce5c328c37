import { RE2JS } from "re2js";
import { z } from "zod";

import type { NotificationChannel } from "../tenant/tenant-model.js";

import { outcomeSchema } from "./outcome.js";
import type { ApproverOutcome } from "./outcome.js";

/**
 * A binding-message pattern. It runs on every `/bc-authorize`, against the message the client
 * under test sent: with JavaScript's backtracking engine a pattern such as `^(a+)+$` took 2.5 s
 * for 29 characters, the whole tenant waiting, and doubled with each character more. RE2 matches
 * in time linear in the message, whatever the pattern; it has no backreferences or lookaround,
 * and such a pattern is refused when the policy is set.
 */
function compilePattern(source: string): RE2JS {
  return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
}

/**
 * Each rule's pattern, compiled at its first match and kept as long as the rule: a policy of
 * any size is compiled once (a bounded cache shared by all rules recompiled every pattern on
 * every request once a policy held more patterns than it), and a replaced policy's go with it.
 */
const compiledByRule = new WeakMap<ApproverRule, RE2JS>();

function rulePattern(rule: ApproverRule, source: string): RE2JS {
  let pattern = compiledByRule.get(rule);
  if (pattern === undefined) {
    pattern = compilePattern(source);
    compiledByRule.set(rule, pattern);
  }
  return pattern;
}

/**
 * Every message `/bc-authorize` takes holds at least one of these characters (Auth0's binding
 * message alphabet, which allows no message of spaces alone), and a typical one.
 */
const EVERY_MESSAGE_SAMPLES = [
  ...Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_.,:#"),
  "Do you want to buy 2 XYZ phones",
];

/**
 * Whether a pattern is found in every message the tenant takes: in each one-character message
 * of the binding message's alphabet and in a typical one (`.*`, `.`, `.+`, `\S`, `^.`, ``).
 * Only a pattern made to tell one-character messages apart from longer ones escapes this.
 */
export function matchesEveryMessage(source: string): boolean {
  const pattern = compilePattern(source);
  return EVERY_MESSAGE_SAMPLES.every((message) => pattern.test(message));
}

const regexSource = z.string().superRefine((source, ctx) => {
  try {
    compilePattern(source);
  } catch (error) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message:
        `not a regular expression this tenant runs (RE2 syntax: no backreferences or ` +
        // RE2JS quotes the pattern with its case-insensitive flag in front: quote the user's.
        `lookaround): ${(error as Error).message.replaceAll("`(?i)", "`")}`,
    });
  }
});

/**
 * A rule picks an outcome for the requests it matches; every condition given must hold.
 * `bindingMessage` is a case-insensitive regular expression in RE2's syntax, found anywhere in
 * the message; `channel` is how the person is asked, by Auth0's names (`guardian-push`,
 * `email`).
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
    !rulePattern(rule, bindingMessage).test(request.bindingMessage)
  ) {
    return false;
  }
  return true;
}

/** The first matching rule wins; the policy's default covers the rest. */
export function chooseOutcome(policy: ApproverPolicy, request: ConsentRequest): ApproverOutcome {
  return policy.rules.find((rule) => matches(rule, request))?.outcome ?? policy.default;
}
