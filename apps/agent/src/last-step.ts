import type { FinishReason } from "ai";

import {
  incompleteAnswer,
  invalidCallFailure,
  unreadCallFailure,
  type AnswerSeen,
  type ModelFailure,
} from "./model-error.js";
import { MAX_STEPS } from "./turn-end.js";

/**
 * How the model's turn ended, read from its stream part by part: the CLI's (`agent.ts`, from
 * `fullStream`) and the web app's (`TurnAnswer`, from the UI message stream) alike, so that both
 * say the same of a turn the model did not finish. It keeps the last step's words, the calls it
 * began and never completed, how it ended, and the turn's last call when it could not run.
 */
export class LastStep {
  /** The model steps of the turn, and the tool its last call called. */
  private steps = 0;
  private lastTool: string | undefined;
  /** The model's words in its last step: its answer, once no call is left to run. */
  private text = "";
  /** The calls the last step began and never completed, by id: what they are and their input. */
  private readonly begun = new Map<string, { toolName: string; input: string }>();
  private finishReason: FinishReason | undefined;
  /** The turn's last call, when the SDK found it invalid: what it was and why. */
  private invalid: string | undefined;
  /** What the last step's response was besides its parts (see `AnswerSeen`): the CLI's alone. */
  private seen: AnswerSeen = {};

  /**
   * A step begins. Words said before a call ("Sure, ordering it now.") are not the answer: a last
   * step of an invalid call, or of nothing, must not end the turn on them.
   */
  began(): void {
    this.steps += 1;
    this.text = "";
    this.begun.clear();
    this.finishReason = undefined;
    this.seen = {};
  }

  wrote(text: string): void {
    this.text += text;
  }

  callBegun(id: string, toolName: string): void {
    this.lastTool = toolName;
    this.begun.set(id, { toolName, input: "" });
  }

  callInput(id: string, delta: string): void {
    const call = this.begun.get(id);
    if (call !== undefined) call.input += delta;
  }

  /** A call came whole; `invalid` says what it was and why it could not run, when it could not. */
  callCame(id: string, toolName: string, invalid?: string): void {
    this.lastTool = toolName;
    this.begun.delete(id);
    this.invalid = invalid;
  }

  /** The step ended, as `finishReason` says, in a response of `contentType` when known. */
  ended(finishReason: FinishReason, contentType?: string): void {
    this.finishReason = finishReason;
    this.seen.contentType = contentType;
  }

  /** The provider's raw chunk was the event its stream ends with (`response.completed`). */
  streamEnded(event: string | undefined): void {
    if (event !== undefined) this.seen.endEvent = event;
  }

  /** The first call the last step began and never completed: what it is and its input so far. */
  get cutCall(): { toolName: string; input: string } | undefined {
    const [cut] = this.begun.values();
    return cut;
  }

  /** What the model said in its last step, trimmed. */
  get said(): string {
    return this.text.trim();
  }

  /**
   * The failure of a turn the model did not finish: a call it began and never completed (its
   * input not JSON the SDK reads: the provider drops such a call, and nothing of it runs), else an
   * answer cut at the token limit, withheld by a content filter or ended without a finish reason
   * (the SDK runs no call of such a step). Undefined for a step that ended as it should.
   */
  unfinished(): ModelFailure | undefined {
    const cut = this.cutCall;
    if (cut !== undefined) return unreadCallFailure(cut, this.finishReason);
    return incompleteAnswer(this.finishReason, this.said, this.seen);
  }

  /**
   * The failure of a turn the step cap ended (`MAX_STEPS`): its last step called a tool, which
   * ran, and the model was not asked again. A model that calls the tool at every step (the same
   * purchase again and again, which is not tried again) never gives its answer.
   */
  stepCapped(): ModelFailure | undefined {
    if (this.steps < MAX_STEPS || this.finishReason !== "tool-calls") return undefined;
    const tool = this.lastTool ?? "its tool";
    return {
      outcome: "ERROR",
      error: "model_step_limit",
      message: `The turn ended at the agent's limit of ${String(MAX_STEPS)} model steps, with the model still calling ${tool}; it was not asked again.`,
      fix: "Ask again; if it recurs, choose another model (AGENT_MODEL, --model).",
    };
  }

  /** `unfinished`, else the turn's last call when it could not run, whatever was said after it. */
  failure(): ModelFailure | undefined {
    return (
      this.unfinished() ??
      (this.invalid === undefined ? undefined : invalidCallFailure(this.invalid, this.said))
    );
  }
}
