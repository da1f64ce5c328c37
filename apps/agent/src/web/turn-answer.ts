import type { UIMessageChunk } from "ai";

import { endedTurnMessage } from "../agent-report.js";
import { isPurchaseResult, type PurchaseResult } from "../purchase-result.js";
import { turnEndingResult } from "../turn-end.js";

/**
 * The answer a chat request ends with when the model does not write it, as the CLI's report
 * says it: after a purchase that did not go through (denied, expired, refused, an error) the
 * turn ends before the model is asked again (`endsTurn`), and the page's answer is the
 * purchase's own sentence ("The purchase of 1 x XYZ phone was denied; nothing was ordered."),
 * never what a model would write after the fact.
 */
export class TurnAnswer {
  /** The purchase results of this request, in order: the resumed one first. */
  private readonly results: PurchaseResult[] = [];
  /** The purchase that ended the turn, once one did. */
  private ending: PurchaseResult | undefined;
  /** The answer written into the stream, once it was. */
  private written: string | undefined;

  /** `resumed`: the output of the tool call the request resumed, if it resumed one. */
  constructor(resumed?: unknown) {
    if (resumed !== undefined) this.take(resumed);
  }

  /** The resumed purchase did not go through: the turn ends there, and the model is not asked. */
  get endedBeforeModel(): boolean {
    return this.ending !== undefined;
  }

  /** The answer this request wrote in the model's stead, if it wrote one. */
  get answer(): string | undefined {
    return this.written;
  }

  /** The answer's chunks, written once the turn has ended on a purchase; none otherwise. */
  chunks(): UIMessageChunk[] {
    if (this.ending === undefined || this.written !== undefined) return [];
    const text = endedTurnMessage(this.results);
    this.written = text;
    const id = "turn-answer";
    return [
      { type: "text-start", id },
      { type: "text-delta", id, delta: text },
      { type: "text-end", id },
    ];
  }

  /** The model's stream, read for the purchases' results, with the answer before its finish. */
  around(stream: ReadableStream<UIMessageChunk>): ReadableStream<UIMessageChunk> {
    return stream.pipeThrough(
      new TransformStream<UIMessageChunk, UIMessageChunk>({
        transform: (chunk, controller) => {
          if (chunk.type === "tool-output-available") this.take(chunk.output);
          if (chunk.type === "finish") for (const part of this.chunks()) controller.enqueue(part);
          controller.enqueue(chunk);
        },
      }),
    );
  }

  private take(output: unknown): void {
    if (!isPurchaseResult(output)) return;
    this.results.push(output);
    this.ending ??= turnEndingResult(output);
  }
}
