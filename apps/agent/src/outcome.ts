/**
 * Every way a turn of the agent can end, with the process exit code the CLI uses for it.
 * Scripts branch on these codes, so they never change meaning.
 */
export const OUTCOMES = {
  ORDERED: { exitCode: 0, summary: "approved and ordered" },
  ERROR: { exitCode: 1, summary: "unexpected error" },
  CONFIG_ERROR: { exitCode: 2, summary: "configuration or usage error" },
  DENIED: { exitCode: 3, summary: "the person denied the purchase" },
  EXPIRED: { exitCode: 4, summary: "the approval request expired" },
  PENDING: { exitCode: 5, summary: "waiting for approval; resume the thread later" },
  SHOP_REFUSED: { exitCode: 6, summary: "the shop refused the order" },
  REQUEST_REFUSED: { exitCode: 7, summary: "Auth0 refused the approval request" },
  NO_PURCHASE: { exitCode: 8, summary: "no purchase was understood or attempted" },
  IN_PROGRESS: { exitCode: 9, summary: "another agent process is working on this thread" },
  PARTIAL: {
    exitCode: 10,
    summary: "some purchases were ordered, then one did not go through or the model failed",
  },
} as const;

export type Outcome = keyof typeof OUTCOMES;

export function exitCodeOf(outcome: Outcome): number {
  return OUTCOMES[outcome].exitCode;
}

/**
 * The last line a request's or a resume's text output writes on stderr, whatever ended the run
 * (its outcome, a usage or configuration error, a failure before or after the agent ran, a
 * signal): what a script or a person reading a log greps for. `exitCode` is the process's, a
 * signal's 130 as much as an outcome's own.
 */
export function outcomeLine(report: { outcome: Outcome; exitCode: number }): string {
  return `Outcome: ${report.outcome} (exit ${String(report.exitCode)})\n`;
}

/**
 * Outcomes after which the turn must end: the model may not try again into a second push.
 * (PARTIAL is a thread's outcome, never one purchase's.)
 */
export function isTerminalFailure(outcome: Outcome): boolean {
  return outcome !== "ORDERED";
}
