import { TestbedError } from "./testbed-error.js";
import type { ConsentEvent, ConsentRequest } from "./wire.js";

export interface AgentWaitOptions {
  /** How long the agent may take after the wait begins; 15 s unless given. */
  timeoutMs?: number;
}

/** What a wait for an agent reads and how it keeps time. */
export interface AgentWaitDeps {
  /** The request the agent polls, with its timeline. */
  request(authReqId: string): Promise<ConsentRequest & { timeline: ConsentEvent[] }>;
  now(): number;
  delay(ms: number): Promise<void>;
}

/** How often a wait looks whether its time is up. */
const STEP_MS = 50;
/** Gaps between polls a message names, at most. */
const NAMED_GAPS = 5;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * What a request's timeline says about the agent that polls it, for a test whose agent did not
 * finish: how often it polled, the answers it got, the gaps between polls, and what it did wrong
 * when the tenant answered `slow_down` (CIBA Core 1.0 section 11).
 */
export function describePolling(request: ConsentRequest & { timeline: ConsentEvent[] }): string {
  const said = `request ${request.auth_req_id} is ${request.status}`;
  const polls = request.timeline.filter((event) => event.type === "poll");
  if (polls.length === 0) {
    return (
      `${said}, and the agent never polled /oauth/token for it: it sent /bc-authorize and ` +
      "then waited on something else or ended its loop (an error it took for the end, a hook " +
      "that never returned); poll from /bc-authorize's answer on, every `interval` seconds"
    );
  }
  const answers = new Map<string, number>();
  for (const poll of polls) {
    const answer = String(poll.answer);
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
  }
  const answerText = [...answers].map(([answer, count]) => `${count} ${answer}`).join(", ");
  const times = polls.map((poll) => Date.parse(poll.at));
  const gaps = times.slice(1).map((time, i) => time - (times[i] ?? time));
  const gapText =
    gaps.length === 0
      ? ""
      : `, ${gaps.slice(-NAMED_GAPS).map(seconds).join(", ")} apart` +
        (gaps.length > NAMED_GAPS ? " (the last gaps)" : "");
  let text =
    `${said}; the agent polled /oauth/token ${request.polls} times (${answerText})${gapText}, ` +
    `last at ${request.last_polled_at ?? "never"}`;
  const slowDowns = answers.get("slow_down") ?? 0;
  if (slowDowns > 0) {
    text +=
      `: ${slowDowns} polls came sooner than the tenant's interval, which is now ` +
      `${request.interval} s: every such poll makes it 5 s longer (CIBA Core 1.0 section 11), ` +
      "so an agent that polls on a timer of its own never gets its token. Wait `interval` " +
      "seconds (from /bc-authorize) between polls, and after slow_down wait its Retry-After";
  } else if (request.status === "approved" || request.status === "denied") {
    text +=
      ": the person answered, and the agent has not polled since to learn it: its poll loop " +
      "ended (an answer it took for the end, an error it swallowed) or waits longer than " +
      "`interval` between polls";
  } else if (request.status === "consumed") {
    text +=
      ": the agent got its token and has not finished since: what it does with the token " +
      "hangs (its order to the shop, the model's next step); shop.orders() shows whether " +
      "the order came";
  }
  return text;
}

/**
 * Waits for an agent's run (the promise of its child process or function) and resolves or
 * rejects as it does. When it has not finished within `timeoutMs`, fails saying how the agent
 * polled `authReqId` meanwhile, such as polling too fast for the tenant.
 */
export async function waitForAgent<T>(
  deps: AgentWaitDeps,
  agent: PromiseLike<T>,
  authReqId: string,
  options: AgentWaitOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000 } = options;
  const started = deps.now();
  const run = Promise.resolve(agent);
  const settled = run.then(
    () => true,
    () => true,
  );
  for (;;) {
    if (await Promise.race([settled, deps.delay(STEP_MS).then(() => false)])) return run;
    if (deps.now() - started >= timeoutMs) {
      const request = await deps.request(authReqId);
      throw new TestbedError(
        "TESTBED_AGENT_TIMEOUT",
        `The agent did not finish within ${timeoutMs} ms: ${describePolling(request)}`,
      );
    }
  }
}
