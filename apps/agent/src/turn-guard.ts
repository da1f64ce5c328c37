import type { PurchaseRequest } from "@ciba-testbed/shared";
import type { StepResult, ToolSet } from "ai";

import { describeNotTried } from "./agent-report.js";
import { isTerminalFailure } from "./outcome.js";
import { describePurchase, type PurchaseResult } from "./purchase-result.js";

type Purchase = (input: PurchaseRequest, toolCallId: string) => Promise<PurchaseResult>;

/** A call of the turn: its id and what it asked for. */
export interface TurnCall {
  toolCallId: string;
  purchase: PurchaseRequest;
}

/** The error of a purchase asked for again in the same turn, which is not tried. */
export const REPEATED_PURCHASE = "repeated_purchase";

/**
 * The purchases of one turn: one consent at a time, and none after a purchase of this turn did
 * not go through, since a model that retries after a denial would otherwise push to the person
 * again. A purchase that throws (an AgentHalt, or a failure such as the store's) stops every
 * later call too, and stays readable by the agent: the AI SDK turns a thrown error into a tool
 * result the agent would not see, and the journal alone would make it look like a wait.
 *
 * A purchase the same as one the turn asked for already, under another call, is not tried
 * either: the person would see the same consent twice and could not tell a second purchase from
 * a repeated push. Purchases are the same when `consentOf` says they ask the same (the purchase
 * tool's: the catalog's product, the quantity and the maximum amount; the input itself when
 * absent). It does not end the turn (other purchases go on), and the model is told that the
 * person can ask for another. `earlier`: the calls the turn made before (a resumed thread's).
 * `notTried` hears of every call not tried.
 */
export function guardTurn(
  purchase: Purchase,
  options: {
    earlier?: readonly TurnCall[];
    notTried?: (call: TurnCall, result: PurchaseResult) => Promise<void>;
    consentOf?: (call: TurnCall) => Promise<string>;
  } = {},
): {
  run: Purchase;
  /** What the first purchase that threw threw. */
  failure: () => { error: unknown } | undefined;
} {
  let queue: Promise<unknown> = Promise.resolve();
  let stopped: PurchaseResult | undefined;
  let failure: { error: unknown } | undefined;
  const calls: TurnCall[] = [...(options.earlier ?? [])];
  const consentOf = options.consentOf ?? ((call: TurnCall) => Promise.resolve(inputOf(call)));
  /** Each call's consent, asked for once. */
  const consents = new Map<string, Promise<string>>();
  const consent = (call: TurnCall) => {
    const key = JSON.stringify([call.toolCallId, inputOf(call)]);
    let known = consents.get(key);
    if (known === undefined) {
      known = consentOf(call);
      consents.set(key, known);
    }
    return known;
  };

  /** Whether a call the turn tried, under another id, asks what `call` asks. */
  const isRepeat = async (call: TurnCall) => {
    const others = calls.filter((other) => other.toolCallId !== call.toolCallId);
    if (others.length === 0) return false;
    const asked = await consent(call);
    for (const other of others) if ((await consent(other)) === asked) return true;
    return false;
  };

  const notTried = async (input: PurchaseRequest, toolCallId: string, result: PurchaseResult) => {
    await options.notTried?.({ toolCallId, purchase: input }, result);
    return result;
  };

  const guarded = async (input: PurchaseRequest, toolCallId: string) => {
    if (failure !== undefined) throw failure.error;
    const call: TurnCall = { toolCallId, purchase: input };
    try {
      // After a purchase that did not go through nothing is looked up: the shop may be down.
      if (stopped !== undefined)
        return await notTried(input, toolCallId, turnEnded(input, stopped));
      if (await isRepeat(call)) return await notTried(input, toolCallId, askedAgain(input));
      // Only calls tried are what the turn asked for: a repeat repeats one of them.
      if (!calls.some((known) => known.toolCallId === toolCallId)) calls.push(call);
      const result = await purchase(input, toolCallId);
      if (isTerminalFailure(result.outcome)) stopped = result;
      return result;
    } catch (error) {
      failure = { error };
      throw error;
    }
  };

  return {
    run: (input, toolCallId) => {
      const next = queue.then(
        () => guarded(input, toolCallId),
        () => guarded(input, toolCallId),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    failure: () => failure,
  };
}

/** The error of a call asked for after a purchase of the turn that did not go through. */
export const TURN_ENDED = "turn_ended";

/** A call's input as it came: the same purchase only when written the same. */
function inputOf({ purchase }: TurnCall): string {
  return JSON.stringify([purchase.product, purchase.qty, purchase.priceLimit ?? null]);
}

function askedAgain(input: PurchaseRequest): PurchaseResult {
  return {
    outcome: "NO_PURCHASE",
    purchase: input,
    error: REPEATED_PURCHASE,
    description: `Not tried: ${describePurchase(input)} was already asked for in this turn, and the same purchase is not asked for twice in one turn; nobody was asked again, and nothing more was ordered. Tell the person; if they want another, they can ask for it again.`,
  };
}

function turnEnded(input: PurchaseRequest, stopped: PurchaseResult): PurchaseResult {
  // Beside a purchase that waits for the person (interrupt mode), as the CLI's report says it.
  const waits =
    stopped.outcome === "PENDING"
      ? `${describeNotTried([input])} An earlier purchase of this turn waits for the person's approval: report that to the person instead of trying again.`
      : undefined;
  return {
    outcome: "NO_PURCHASE",
    purchase: input,
    error: TURN_ENDED,
    description:
      waits ??
      `Not attempted: an earlier purchase ended ${stopped.outcome}. Report that to the person instead of trying again.`,
  };
}

/**
 * Whether a step holds the error of a tool call that ran: one the tool threw (a refusal, an
 * interrupt). A call the SDK found invalid (input the tool's schema refuses, a tool there is
 * not) ran nothing, and its error goes back to the model, which may call again as it should.
 * Its `tool-error` carries only the error's message, so it is told by its call, which the SDK
 * marks `invalid`.
 */
export function hasToolErrorThatRan<TOOLS extends ToolSet>(
  content: StepResult<TOOLS>["content"],
): boolean {
  return toolErrorThatRan(content) !== undefined;
}

/** The step's first error of a tool call that ran (see `hasToolErrorThatRan`), if any. */
export function toolErrorThatRan<TOOLS extends ToolSet>(
  content: StepResult<TOOLS>["content"],
): Extract<StepResult<TOOLS>["content"][number], { type: "tool-error" }> | undefined {
  const invalid = new Set(
    content.flatMap((part) =>
      part.type === "tool-call" && part.invalid === true ? [part.toolCallId] : [],
    ),
  );
  return content.find(
    (part): part is Extract<typeof part, { type: "tool-error" }> =>
      part.type === "tool-error" && !invalid.has(part.toolCallId),
  );
}
