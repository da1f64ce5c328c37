import type { LanguageModelV2 } from "@ai-sdk/provider";
import type { LanguageModel } from "ai";

/**
 * How long one model request may go without progress: until its response's headers, and then
 * between two parts of its stream. Every other call the agent makes has a bound (the shop's
 * order 20 s without an answer); without one, a hung model server held a run for undici's 300 s
 * headers timeout on each of the AI SDK's 3 attempts, and a server that sent its headers and
 * then nothing, for ever. 120 s is well above the longest silence of a working server: a
 * reasoning model streams nothing while it thinks (tens of seconds), and a local server loads
 * its model before its first answer (tens of seconds on a cold start).
 */
export const MODEL_IDLE_TIMEOUT_MS = 120_000;

/** A model request that made no progress for `ms`: it was aborted, and is not tried again. */
export class ModelTimeoutError extends Error {
  constructor(
    readonly ms: number,
    /** What it waited for: the response, or the next part of its stream. */
    readonly waitingFor: "response" | "next part",
  ) {
    super(
      waitingFor === "response"
        ? `The model did not answer within ${String(ms / 1000)} s`
        : `The model's answer stopped: no part of it came for ${String(ms / 1000)} s`,
    );
    this.name = "ModelTimeoutError";
  }
}

/**
 * The model, with each streamed request aborted once it has made no progress for `ms` (see
 * MODEL_IDLE_TIMEOUT_MS). The time counts only while a part is asked of the server: a stream
 * holding a part the agent has not read yet (a purchase tool at work meanwhile) is not timed.
 */
export function withModelDeadline(model: LanguageModel, ms = MODEL_IDLE_TIMEOUT_MS): LanguageModel {
  if (typeof model !== "object") return model;
  const bounded: LanguageModelV2 = {
    specificationVersion: model.specificationVersion,
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: model.supportedUrls,
    doGenerate: (options) => model.doGenerate(options),
    doStream: async (options) => {
      const abort = new AbortController();
      const outer = options.abortSignal;
      const follow = () => {
        abort.abort(outer?.reason);
      };
      if (outer?.aborted === true) follow();
      outer?.addEventListener("abort", follow, { once: true });
      /** `work`, or the timeout once `ms` passed without it settling (the request aborted). */
      const within = async <T>(
        work: PromiseLike<T>,
        waitingFor: ModelTimeoutError["waitingFor"],
      ) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new ModelTimeoutError(ms, waitingFor);
            abort.abort(error);
            reject(error);
          }, ms);
        });
        try {
          return await Promise.race([work, expired]);
        } finally {
          clearTimeout(timer);
        }
      };
      const done = () => {
        outer?.removeEventListener("abort", follow);
      };
      let result;
      try {
        result = await within(
          model.doStream({ ...options, abortSignal: abort.signal }),
          "response",
        );
      } catch (error) {
        done();
        throw error;
      }
      const reader = result.stream.getReader();
      const stream = new ReadableStream({
        async pull(controller) {
          try {
            const next = await within(reader.read(), "next part");
            if (next.done) {
              done();
              controller.close();
            } else {
              controller.enqueue(next.value);
            }
          } catch (error) {
            done();
            reader.cancel(error).catch(() => undefined);
            controller.error(error);
          }
        },
        cancel(reason) {
          done();
          return reader.cancel(reason);
        },
      });
      return { ...result, stream };
    },
  };
  return bounded;
}
