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

/** Auth0's binding message alphabet, as code points. */
const MESSAGE_RUNES = Array.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_.,:# ",
).map((char) => char.codePointAt(0) ?? 0);

/** An instruction of the program RE2 compiles a pattern to (re2js's `Inst`), and its kinds. */
interface Instruction {
  op: number;
  out: number;
  arg: number;
  matchRune(rune: number): boolean;
}
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const FAIL = 5;
const MATCH = 6;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;

/**
 * Whether some message of Auth0's binding message alphabet holds the pattern. RE2 compiles a
 * pattern to a program of steps, each taking one character or none: the pattern is found in such
 * a message when the program can reach its end taking only characters of the alphabet (case
 * folded as the pattern is: `(?i)\x{212A}`, the Kelvin sign, takes "k"). `phöne`, `ＸＹＺ`,
 * `\p{Greek}` or `\x{202E}` cannot: `/bc-authorize` refuses every message holding them.
 * Conditions that take no character (`^`, `$`, `\b`) are taken as met, so a pattern is never
 * called unmatchable for them.
 */
export function matchesSomeMessage(source: string): boolean {
  const program = compilePattern(source).re2().prog as { inst: Instruction[]; start: number };
  const seen = new Set<number>();
  const pending = [program.start];
  for (let pc = pending.pop(); pc !== undefined; pc = pending.pop()) {
    if (seen.has(pc)) continue;
    seen.add(pc);
    const step = program.inst[pc];
    switch (step?.op) {
      case MATCH:
        return true;
      case ALT:
      case ALT_MATCH:
        pending.push(step.out, step.arg);
        break;
      case CAPTURE:
      case EMPTY_WIDTH:
      case NOP:
      case RUNE_ANY:
      case RUNE_ANY_NOT_NL:
        pending.push(step.out);
        break;
      case RUNE:
      case RUNE1:
        if (MESSAGE_RUNES.some((rune) => step.matchRune(rune))) pending.push(step.out);
        break;
      case FAIL:
        break;
      default:
        throw new Error(
          `re2js compiled ${JSON.stringify(source)} to an unknown step ${String(step?.op)}`,
        );
    }
  }
  return false;
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
