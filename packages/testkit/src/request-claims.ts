import { describeFilter, matches } from "./request-filter.js";
import type { RequestFilter } from "./request-filter.js";
import type { ConsentRequest } from "./wire.js";

/**
 * How long after its agent ended a failed wait still claims a request created meanwhile: one
 * the agent sent just before it ended, that the tenant stored a moment later.
 */
export const CLAIM_GRACE_MS = 100;
/** How long a failed wait claims its agent's requests while that agent runs on, at most. */
export const CLAIM_MAX_MS = 60_000;

/** A failed wait's claim on the requests its agent may still make. */
interface Claim {
  /** The failed wait's filter, its status included. */
  filter: RequestFilter;
  agent: PromiseLike<unknown>;
  /** When the wait failed, on the monotonic clock. */
  failedAt: number;
  /** When its agent ended, on the wall clock (a request's `created_at`), once it has. */
  endedAtWall?: number;
  /** When its agent ended, on the monotonic clock. */
  endedAt?: number;
}

/** The claim's clocks: monotonic for how long it lasts, wall for a request's `created_at`. */
export interface ClaimClocks {
  now(): number;
  wallNow(): number;
}

/**
 * What the waits that failed while their agent could still ask claim: a request that matches
 * such a wait's filter, and that its agent may have made (created before that agent ended, or
 * within CLAIM_GRACE_MS of it), is its failed test's. Nobody gets it: the testkit expires it as
 * it arrives, so the next test, whose wait may match it too (the same person, the same client),
 * never approves what a failed test's agent asked for. A newer wait given the same agent (its
 * own test, waiting again) releases the claim; a claim ends CLAIM_GRACE_MS after its agent
 * ended, or after CLAIM_MAX_MS when the agent never does.
 */
export class RequestClaims {
  readonly #claims: Claim[] = [];
  readonly #clocks: ClaimClocks;
  /** The requests expired under a claim, with the failed wait's filter: for near misses. */
  readonly expired = new Map<string, string>();

  constructor(clocks: ClaimClocks) {
    this.#clocks = clocks;
  }

  /** A wait given `agent` failed: what the agent asks from now on is its failed test's. */
  add(filter: RequestFilter, agent: PromiseLike<unknown>): void {
    const claim: Claim = { filter, agent, failedAt: this.#clocks.now() };
    const ended = () => {
      claim.endedAtWall = this.#clocks.wallNow();
      claim.endedAt = this.#clocks.now();
    };
    agent.then(ended, ended);
    this.#claims.push(claim);
  }

  /** A new wait for `agent`, its own test's: the requests it asks for are that wait's again. */
  release(agent: PromiseLike<unknown>): void {
    this.#drop((claim) => claim.agent === agent);
  }

  /** Whether any claim still holds (ended ones are dropped first). */
  get active(): boolean {
    const now = this.#clocks.now();
    this.#drop(
      (claim) =>
        now - claim.failedAt > CLAIM_MAX_MS ||
        (claim.endedAt !== undefined && now - claim.endedAt > 50 * CLAIM_GRACE_MS),
    );
    return this.#claims.length > 0;
  }

  /** The filter, as text, of the failed wait that claims this pending request; or undefined. */
  claimOf(request: ConsentRequest): string | undefined {
    if (request.status !== "pending" || !this.active) return undefined;
    const created = Date.parse(request.created_at);
    const claim = this.#claims.find(
      (claim) =>
        matches(request, claim.filter) &&
        (claim.endedAtWall === undefined || created <= claim.endedAtWall + CLAIM_GRACE_MS),
    );
    return claim === undefined ? undefined : describeFilter(claim.filter);
  }

  #drop(ended: (claim: Claim) => boolean): void {
    for (let index = this.#claims.length - 1; index >= 0; index--) {
      const claim = this.#claims[index];
      if (claim !== undefined && ended(claim)) this.#claims.splice(index, 1);
    }
  }
}

/**
 * The child process an agent's run carries, to end it: the promise of `promisify(execFile)`
 * (its `child`) or of a wrapper that attached it so (`Object.assign(promise, { child })`), or a
 * promise that is the process itself (execa's).
 */
export function childOf(
  agent: PromiseLike<unknown>,
): { kill(signal?: NodeJS.Signals): boolean } | undefined {
  const run = agent as { child?: unknown; kill?: unknown; pid?: unknown };
  const killable = (value: unknown): value is { kill(signal?: NodeJS.Signals): boolean } =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kill?: unknown }).kill === "function";
  if (killable(run.child)) return run.child;
  if (typeof run.pid === "number" && killable(run)) return run;
  return undefined;
}
