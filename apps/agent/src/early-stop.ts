import { constants } from "node:os";

/** The signals that stop a run with a word: Ctrl-C, a CI job's timeout, a closed terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The early stop in force, kept on `globalThis`: build/agent.cjs (launch.ts) and the CLI's own
 * bundle (main.ts, cli.ts) are two bundles of one process, each with its own copy of this module.
 */
const CURRENT = Symbol.for("ciba-testbed.agent.early-stop");

type WithEarlyStop = typeof globalThis & { [CURRENT]?: (() => void) | undefined };

/**
 * Takes SIGINT, SIGTERM and SIGHUP from the process's first moments until the run takes them
 * (`releaseEarlyStop`): left to Node, a Ctrl-C while the agent loads ended it with no word.
 * `say` reports the stop (by default one line on stderr); the process then exits with the
 * shell's code for the signal (130, 143, 129). Replaces the early stop in force, if any.
 */
export function stopEarly(say: (signal: NodeJS.Signals, exitCode: number) => void = sayStopped) {
  const held = globalThis as WithEarlyStop;
  const previous = held[CURRENT];
  const onSignal = (signal: NodeJS.Signals) => {
    const exitCode = 128 + constants.signals[signal];
    say(signal, exitCode);
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // Taken by the new listener before the old one goes: with none, Node hands the signal back
  // to the system, and one that came while the process loaded, not yet dispatched, killed it.
  previous?.();
  held[CURRENT] = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}

/**
 * Hands the signals back: to the run's own report of where it stopped (taken first, see
 * `stopEarly`), or to a server's stop.
 */
export function releaseEarlyStop(): void {
  const held = globalThis as WithEarlyStop;
  held[CURRENT]?.();
  held[CURRENT] = undefined;
}

/** Before the command line is read: nothing can have been sent yet, and --json is not known. */
function sayStopped(signal: NodeJS.Signals, exitCode: number): void {
  process.stderr.write(
    `Stopped by ${signal} before the run began: nothing was sent, and nothing was ordered (exit ${String(exitCode)}).\n`,
  );
}
