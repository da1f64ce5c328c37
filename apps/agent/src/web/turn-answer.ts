import type { PurchaseRequest } from "@ciba-testbed/shared";
import type { UIMessageChunk } from "ai";

import { endedTurnMessage } from "../agent-report.js";
import { LastStep } from "../last-step.js";
import { INVALID_CALL_FIX, modelThenWrote, NO_ANSWER, type ModelFailure } from "../model-error.js";
import { describeResult, isPurchaseResult, type PurchaseResult } from "../purchase-result.js";
import { turnEndingResult } from "../turn-end.js";
import { answerErrorMetadata } from "./client/answer-error.js";
import { shownSentence } from "./shown-result.js";
import { ordersStand } from "./client-error-text.js";

/** The error of a model's tool call that could not run (`invalidCallFailure`). */
const INVALID_TOOL_CALL = "invalid_tool_call";

type TextChunk = Extract<UIMessageChunk, { type: "text-start" | "text-delta" | "text-end" }>;

/**
 * The answer a chat request ends with when the model's own would not tell the truth, as the
 * CLI's report says it:
 * - after a purchase that did not go through (denied, expired, refused, an error) the turn ends
 *   before the model is asked again (`endsTurn`), and the answer is the purchase's own sentence
 *   ("The purchase of 1 x XYZ phone was denied; nothing was ordered.");
 * - when the model's last tool call could not run (input the tool's schema refuses, a tool there
 *   is not), the answer names that call and why, and quotes what the model wrote after it, which
 *   is held back until it is known not to be its last word: "I have ordered 2 XYZ phones for
 *   you." after a refused call, with nothing ordered, is never shown as the answer;
 * - when the model did not finish its turn (`LastStep.unfinished`: a call it began and never
 *   completed, an answer cut at its token limit, withheld by a content filter, or ended without a
 *   finish reason), the answer is the CLI's failure, quoting what the model said, never as the
 *   answer; each call of that step that never ran gets a `tool-input-error` saying so, and what
 *   this request ordered is said first, as standing;
 * - when the step cap ended the turn (a model that calls the tool at every step), the answer
 *   says so, after what this request ordered;
 * - when the model's last step ended with no words and no call (whitespace, reasoning alone, a
 *   refusal, which OpenAI's provider drops), the answer is what this request ordered, or that the
 *   model gave no answer, with what to do;
 * - after a resumed purchase beside which the model called the tool again in the same step
 *   (OpenAI's parallel calls), the calls not tried as the turn waited for it, the turn ends
 *   before the model is asked again, as the CLI's report says it: the purchase's sentence, then
 *   that those were not tried ("... was not tried: nobody was asked to approve it, and nothing
 *   was ordered.").
 *
 * A turn that ends at an interrupt (a purchase that waits) has no answer of its own, whatever
 * the calls beside it returned: the page waits for the person and resumes the call.
 */
export class TurnAnswer {
  /** The purchase results of this request, in order: the resumed one first. */
  private readonly results: PurchaseResult[] = [];
  /** The purchase that ended the turn, once one did. */
  private ending: PurchaseResult | undefined;
  /** What each call that could not run was, and why, by its id. */
  private readonly invalidCalls = new Map<string, string>();
  /** The model's last call, when it could not run: what it was and why. */
  private lastInvalid: string | undefined;
  /** The model's text since that call, held back. */
  private held: TextChunk[] = [];
  /** How the model's turn ended, read as the CLI reads it, and whether its last step called a tool. */
  private readonly step = new LastStep();
  private stepCalled = false;
  /** The calls of the model's current step that have not run (yet), by id. */
  private readonly unrun = new Map<
    string,
    { toolCallId: string; toolName: string; input: unknown; dynamic?: boolean | undefined }
  >();
  /** The model's stream ended in an error or was aborted: it says so itself. */
  private broken = false;
  /** The answer written into the stream, once it was. */
  private written: string | undefined;
  /** Its error code, when it tells a failure that has one (the result's or the model's). */
  private writtenError: string | undefined;
  /**
   * A call that ran ended in an error (an interrupt: a purchase waits for the person; or the
   * agent's halt): the stream ends in it, written after its `finish`.
   */
  private interrupted = false;

  /**
   * `resumed`: the output of the tool call the request resumed, if it resumed one; `untried`:
   * the calls not tried beside it, in its step (see `untriedBeside`).
   */
  constructor(
    resumed?: unknown,
    private readonly untried: readonly PurchaseRequest[] = [],
  ) {
    if (resumed !== undefined) this.take(resumed);
  }

  /**
   * The resumed purchase did not go through, or calls beside it were not tried: the turn ends
   * there, and the model is not asked.
   */
  get endedBeforeModel(): boolean {
    return this.ending !== undefined || (this.results.length > 0 && this.untried.length > 0);
  }

  /** The answer this request wrote in the model's stead, if it wrote one. */
  get answer(): string | undefined {
    return this.written;
  }

  /** The error code of that answer, when it tells a failure that has one. */
  get answerError(): string | undefined {
    return this.writtenError;
  }

  /** The answer's chunks, when the turn must end with one of its own; none otherwise. */
  chunks(): UIMessageChunk[] {
    const own = this.written === undefined ? this.ownAnswer() : undefined;
    if (own === undefined) return [];
    const { text, error } = own;
    this.written = text;
    this.writtenError = error;
    const id = "turn-answer";
    // A step of its own: in the tool call's step, the page would take the call as one the model
    // has still to read (lastAssistantMessageIsCompleteWithToolCalls) and send the chat again.
    return [
      { type: "start-step" },
      {
        type: "text-start",
        id,
        ...(error === undefined ? {} : { providerMetadata: answerErrorMetadata(error) }),
      },
      { type: "text-delta", id, delta: text },
      { type: "text-end", id },
      { type: "finish-step" },
    ];
  }

  /** The model's stream, read for the purchases and the calls, with the answer before its end. */
  around(stream: ReadableStream<UIMessageChunk>): ReadableStream<UIMessageChunk> {
    return stream.pipeThrough(
      new TransformStream<UIMessageChunk, UIMessageChunk>({
        transform: (chunk, controller) => {
          for (const out of this.read(chunk)) controller.enqueue(out);
        },
      }),
    );
  }

  private read(chunk: UIMessageChunk): UIMessageChunk[] {
    this.readStep(chunk);
    switch (chunk.type) {
      case "tool-output-available":
        this.unrun.delete(chunk.toolCallId);
        this.take(chunk.output);
        return [chunk];
      case "tool-input-error":
        this.unrun.delete(chunk.toolCallId);
        this.invalidCalls.set(chunk.toolCallId, chunk.errorText);
        this.lastInvalid = chunk.errorText;
        return [chunk];
      case "tool-output-error": {
        this.unrun.delete(chunk.toolCallId);
        // The SDK hands the model the call's error as a tool error, whose text would be the app's
        // "Something went wrong": it is the same call that could not run.
        const invalid = this.invalidCalls.get(chunk.toolCallId);
        this.interrupted ||= invalid === undefined;
        return [invalid === undefined ? chunk : { ...chunk, errorText: invalid }];
      }
      case "tool-input-start":
      case "tool-input-available": {
        // Another call: what the model wrote after the one that could not run was not its last.
        if (this.invalidCalls.has(chunk.toolCallId)) return [chunk];
        const held = this.held;
        this.held = [];
        this.lastInvalid = undefined;
        return [...held, chunk];
      }
      case "text-start":
      case "text-delta":
      case "text-end":
        if (this.lastInvalid === undefined) return [chunk];
        this.held.push(chunk);
        return [];
      case "finish":
        return [...this.notRun(), ...this.chunks(), chunk];
      default:
        return [chunk];
    }
  }

  /** The chunk as the CLI reads its stream's parts (`LastStep`), and the step's calls. */
  private readStep(chunk: UIMessageChunk): void {
    const { step } = this;
    switch (chunk.type) {
      case "start-step":
        step.began();
        this.stepCalled = false;
        this.unrun.clear();
        return;
      case "text-delta":
        step.wrote(chunk.delta);
        return;
      case "tool-input-start":
        step.callBegun(chunk.toolCallId, chunk.toolName);
        this.unrun.set(chunk.toolCallId, {
          toolCallId: chunk.toolCallId,
          toolName: chunk.toolName,
          input: "",
          dynamic: chunk.dynamic,
        });
        break;
      case "tool-input-delta": {
        step.callInput(chunk.toolCallId, chunk.inputTextDelta);
        const call = this.unrun.get(chunk.toolCallId);
        if (call !== undefined && typeof call.input === "string") {
          call.input += chunk.inputTextDelta;
        }
        break;
      }
      case "tool-input-available":
        step.callCame(chunk.toolCallId, chunk.toolName);
        this.unrun.set(chunk.toolCallId, chunk);
        break;
      case "tool-input-error":
        // The SDK found the call invalid: its part already says why, in these words.
        step.callCame(chunk.toolCallId, chunk.toolName, chunk.errorText);
        break;
      case "finish":
        if (chunk.finishReason !== undefined) step.ended(chunk.finishReason);
        return;
      case "error":
      case "abort":
        this.broken = true;
        return;
      default:
        break;
    }
    if (chunk.type.startsWith("tool-")) this.stepCalled = true;
  }

  /**
   * A `tool-input-error` for each call of the model's last step that never ran, when the model did
   * not finish its turn (`LastStep.unfinished`): a call cut off, or one the SDK does not run
   * after an answer that was not complete. Its part would otherwise read as a purchase under way.
   */
  private notRun(): UIMessageChunk[] {
    const failure = this.interrupted ? undefined : this.unfinished();
    if (failure === undefined) return [];
    const calls = [...this.unrun.values()];
    this.unrun.clear();
    return calls.map(({ toolCallId, toolName, input, dynamic }) => ({
      type: "tool-input-error",
      toolCallId,
      toolName,
      input,
      errorText: failure.message,
      ...(dynamic === undefined ? {} : { dynamic }),
    }));
  }

  /** The answer the turn must end with instead of the model's, if any, and its error code. */
  private ownAnswer(): { text: string; error?: string | undefined } | undefined {
    if (this.interrupted) return undefined;
    if (this.endedBeforeModel) {
      // The CLI's message, each result in the page's sentence (`shownSentence`): what
      // endedTurnMessage says of no results is what it says of the calls not tried.
      const untried = endedTurnMessage([], this.untried.length > 0 ? this.untried : undefined);
      return {
        text: [...this.results.map(shownSentence), untried].filter((text) => text !== "").join(" "),
        error: this.ending?.error,
      };
    }
    const unfinished = this.unfinished();
    if (unfinished !== undefined) {
      return { text: this.failureAnswer(unfinished), error: unfinished.error };
    }
    if (this.lastInvalid === undefined) {
      const capped = this.broken ? undefined : this.step.stepCapped();
      if (capped !== undefined) return { text: this.failureAnswer(capped), error: capped.error };
      const silent = this.silentAnswer();
      return silent === undefined
        ? undefined
        : { text: silent, error: this.results.length > 0 ? undefined : NO_ANSWER.error };
    }
    const said = this.held
      .map((chunk) => (chunk.type === "text-delta" ? chunk.delta : ""))
      .join("")
      .trim();
    const ordered = this.results.filter((result) => result.outcome === "ORDERED");
    const text = [
      ...ordered.map(describeResult),
      this.lastInvalid,
      modelThenWrote(said),
      INVALID_CALL_FIX,
    ]
      .filter((words) => words !== "")
      .join(" ");
    return { text, error: INVALID_TOOL_CALL };
  }

  /** `LastStep.unfinished`, unless the stream broke: its error says what happened. */
  private unfinished(): ModelFailure | undefined {
    return this.broken ? undefined : this.step.unfinished();
  }

  /**
   * A failure of the model's as the CLI's report says it: after what this request ordered, which
   * stands (and the person is not invited to ask, and buy, again), else with what to do.
   */
  private failureAnswer(failure: ModelFailure): string {
    const ordered = this.results.filter((result) => result.outcome === "ORDERED");
    const done = ordered.map(describeResult);
    return [...done, failure.message, done.length > 0 ? ordersStand(done) : (failure.fix ?? "")]
      .filter((text) => text !== "")
      .join(" ");
  }

  /** The answer to a last step with no words and no call, as the CLI's report gives it. */
  private silentAnswer(): string | undefined {
    if (this.broken || this.stepCalled || this.step.said !== "") return undefined;
    if (this.results.length > 0) return this.results.map(describeResult).join(" ");
    return `${NO_ANSWER.message} ${NO_ANSWER.fix ?? ""}`.trim();
  }

  private take(output: unknown): void {
    if (!isPurchaseResult(output)) return;
    this.results.push(output);
    this.ending ??= turnEndingResult(output);
  }
}
