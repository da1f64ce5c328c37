import { z } from "zod";

/**
 * What the simulated person does with a consent request:
 * - `approve` / `deny`: answers at once, or `afterMs` later;
 * - `ignore`: never answers (the timeout path);
 * - `expire`: the tenant ends the request `afterMs` after it started, before the `expires_in`
 *   it announced (server-side expiry first, as when the clocks of client and server differ);
 * - `manual`: waits for a decision through the control API or the approver page.
 */
export type ApproverOutcome =
  | { action: "approve" | "deny"; afterMs: number }
  | { action: "expire"; afterMs: number }
  | { action: "ignore" }
  | { action: "manual" };

const OUTCOME_PATTERN = /^(?:(approve|deny|ignore|manual)|(approve|deny|expire)-after:(\d{1,9}))$/;

const OUTCOME_SYNTAX =
  "one of manual, approve, deny, ignore, approve-after:<ms>, deny-after:<ms>, expire-after:<ms> " +
  "(<ms>: 0 to 999999999, whole milliseconds)";

/** Parses the text form used in tenant files, `MOCK_AUTH0_APPROVER` and the policy API. */
export function parseOutcome(text: string): ApproverOutcome | undefined {
  const match = OUTCOME_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, simple, delayed, ms] = match;
  if (simple === "approve" || simple === "deny") return { action: simple, afterMs: 0 };
  if (simple === "ignore" || simple === "manual") return { action: simple };
  if ((delayed === "approve" || delayed === "deny" || delayed === "expire") && ms !== undefined) {
    return { action: delayed, afterMs: Number(ms) };
  }
  return undefined;
}

export function formatOutcome(outcome: ApproverOutcome): string {
  if (outcome.action === "expire") return `expire-after:${outcome.afterMs}`;
  if (outcome.action === "approve" || outcome.action === "deny") {
    return outcome.afterMs === 0 ? outcome.action : `${outcome.action}-after:${outcome.afterMs}`;
  }
  return outcome.action;
}

/** An outcome's text parsed, or an issue whose message is `problem(text)`. */
const outcomeSchemaSaying = (problem: (text: string) => string) =>
  z.string().transform((text, ctx) => {
    const outcome = parseOutcome(text);
    if (!outcome) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem(text) });
      return z.NEVER;
    }
    return outcome;
  });

/** An outcome in a settings file or the policy API: the message quotes what was given. */
export const outcomeSchema = outcomeSchemaSaying(
  (text) => `${JSON.stringify(text)} is not an approver outcome: use ${OUTCOME_SYNTAX}`,
);

/**
 * `MOCK_AUTH0_APPROVER`: the message leaves the value to `parseEnv`, which adds
 * `(got "aprove")` after every variable's problem.
 */
export const outcomeVariableSchema = outcomeSchemaSaying(
  () => `must be an approver outcome, ${OUTCOME_SYNTAX}`,
);
