/**
 * A global, defined only by the end-to-end tests' launcher of the CLI
 * (`buildAgentCli({ stopAt })`) before it starts the CLI's bundle.
 */
declare const AGENT_STOP_AT: string | undefined;

/**
 * Kills this process with SIGKILL at the named point, so an end-to-end test can stop the agent
 * at an exact instant: right after Auth0 issued the token, once the approval is journaled as
 * taken, or once the shop answered the order and before its result is journaled. Only a process
 * whose launcher defines AGENT_STOP_AT has it; no environment variable or option reaches it.
 */
export function stopPoint(name: "token-received" | "approval-taken" | "order-answered"): void {
  if (typeof AGENT_STOP_AT !== "undefined" && AGENT_STOP_AT === name) {
    process.kill(process.pid, "SIGKILL");
  }
}
