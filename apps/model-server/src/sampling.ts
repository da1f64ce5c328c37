import { z } from "zod";

/**
 * A number in [min, max], refused outside it as OpenAI words it ("decimal above maximum
 * value. Expected a value <= 2, but got 5 instead").
 */
function decimal(min: number, max: number) {
  return z.number().superRefine((value, context) => {
    if (value > max) {
      context.addIssue({
        code: "custom",
        message: `decimal above maximum value. Expected a value <= ${max}, but got ${value} instead`,
      });
    } else if (value < min) {
      context.addIssue({
        code: "custom",
        message: `decimal below minimum value. Expected a value >= ${min}, but got ${value} instead`,
      });
    }
  });
}

/** A whole number of at least `min` (and at most `max`). */
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.number().superRefine((value, context) => {
    if (!Number.isInteger(value)) {
      context.addIssue({
        code: "custom",
        message: `expected an integer, but got ${value} instead`,
      });
    } else if (value < min) {
      context.addIssue({
        code: "custom",
        message: `integer below minimum value. Expected a value >= ${min}, but got ${value} instead`,
      });
    } else if (value > max) {
      context.addIssue({
        code: "custom",
        message: `integer above maximum value. Expected a value <= ${max}, but got ${value} instead`,
      });
    }
  });
}

/**
 * The sampling parameters both endpoints take, with OpenAI's ranges. The offline model reads
 * none of them, but a value OpenAI refuses with a 400 is refused here too: an agent that sends
 * `temperature: 5` must not pass its tests and fail against OpenAI.
 */
export const samplingShape = {
  temperature: decimal(0, 2).nullish(),
  top_p: decimal(0, 1).nullish(),
  top_logprobs: integer(0, 20).nullish(),
};

/** Chat Completions' own: penalties and token limits. */
export const chatSamplingShape = {
  ...samplingShape,
  presence_penalty: decimal(-2, 2).nullish(),
  frequency_penalty: decimal(-2, 2).nullish(),
  max_tokens: integer(1).nullish(),
  max_completion_tokens: integer(1).nullish(),
};

/** The Responses API's own: its output limit starts at 16 tokens. */
export const responsesSamplingShape = {
  ...samplingShape,
  max_output_tokens: integer(16).nullish(),
};
