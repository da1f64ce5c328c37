import type {
  LanguageModelV2,
  LanguageModelV2Content,
  LanguageModelV2Prompt,
  LanguageModelV2StreamPart,
  SharedV2ProviderMetadata,
} from "@ai-sdk/provider";
import { wrapLanguageModel, type LanguageModel } from "ai";

/** Marks a model that already renames reused ids, so that wrapping it again changes nothing. */
const RENAMES = Symbol("fresh tool call ids");

/**
 * The model, with every tool call it makes under an id the conversation already holds (an
 * earlier step's or turn's call, or one earlier in the same response) given a new id of its
 * own. Some servers number calls per response, so `call_0` comes back in every step: the
 * journal keeps purchases by tool call id, and would take such a call for the earlier one and
 * hand back its result, presenting an old order as a new purchase. The new id is the old one
 * with a number (`call_0-2`), used for every part of the call (its input as it streams, the
 * call, a result), so the history the SDK keeps and sends back names it consistently. The
 * Responses API's item id of a renamed call is dropped with it: the SDK would otherwise send
 * the call as a reference to the stored item, which holds the old id.
 */
export function withFreshToolCallIds(model: LanguageModel): LanguageModel {
  if (typeof model === "string" || RENAMES in model) return model;
  const wrapped = wrapLanguageModel({
    model,
    middleware: {
      wrapGenerate: async ({ doGenerate, params }) => {
        const result = await doGenerate();
        const ids = new CallIds(params.prompt);
        return { ...result, content: result.content.map((part) => ids.inContent(part)) };
      },
      wrapStream: async ({ doStream, params }) => {
        const result = await doStream();
        const ids = new CallIds(params.prompt);
        const renaming = new TransformStream<LanguageModelV2StreamPart, LanguageModelV2StreamPart>({
          transform: (part, controller) => {
            controller.enqueue(ids.inStream(part));
          },
        });
        return { ...result, stream: result.stream.pipeThrough(renaming) };
      },
    },
  });
  return Object.assign(wrapped, { [RENAMES]: true }) satisfies LanguageModelV2;
}

/** The ids of one response's tool calls, as the conversation gets them. */
class CallIds {
  /** Every id the conversation holds, and those this response has used so far. */
  private readonly taken = new Set<string>();
  /** The id given to the last call under each of the model's ids. */
  private readonly current = new Map<string, string>();
  /** Calls whose input is streaming, by the model's id: the id each was given. */
  private readonly open = new Map<string, string>();

  constructor(prompt: LanguageModelV2Prompt) {
    for (const message of prompt) {
      if (message.role !== "assistant" && message.role !== "tool") continue;
      for (const part of message.content) {
        if (part.type === "tool-call" || part.type === "tool-result") {
          this.taken.add(part.toolCallId);
        }
      }
    }
  }

  /** A call begins under `id`: the id it keeps, or a new one if `id` is taken. */
  private begin(id: string): string {
    let given = id;
    for (let n = 2; this.taken.has(given); n++) given = `${id}-${String(n)}`;
    this.taken.add(given);
    this.current.set(id, given);
    return given;
  }

  private of(id: string): string {
    return this.current.get(id) ?? id;
  }

  inStream(part: LanguageModelV2StreamPart): LanguageModelV2StreamPart {
    switch (part.type) {
      case "tool-input-start": {
        const given = this.begin(part.id);
        this.open.set(part.id, given);
        return { ...part, id: given };
      }
      case "tool-input-delta":
      case "tool-input-end":
        return { ...part, id: this.open.get(part.id) ?? this.of(part.id) };
      case "tool-call": {
        // The call's input streamed first under its id (it is open), or the call comes whole.
        const given = this.open.get(part.toolCallId) ?? this.begin(part.toolCallId);
        this.open.delete(part.toolCallId);
        this.current.set(part.toolCallId, given);
        return renamed(part, given);
      }
      case "tool-result":
        return { ...part, toolCallId: this.of(part.toolCallId) };
      default:
        return part;
    }
  }

  inContent(part: LanguageModelV2Content): LanguageModelV2Content {
    if (part.type === "tool-call") return renamed(part, this.begin(part.toolCallId));
    if (part.type === "tool-result") return { ...part, toolCallId: this.of(part.toolCallId) };
    return part;
  }
}

/** The call under `id`; without the provider's item id if that is a new one. */
function renamed<T extends { toolCallId: string; providerMetadata?: SharedV2ProviderMetadata }>(
  part: T,
  id: string,
): T {
  if (id === part.toolCallId) return part;
  const { providerMetadata, ...rest } = part;
  const kept = Object.fromEntries(
    Object.entries(providerMetadata ?? {}).flatMap(([provider, metadata]) => {
      const { itemId: _itemId, ...others } = metadata;
      return Object.keys(others).length === 0 ? [] : [[provider, others]];
    }),
  );
  return {
    ...(rest as T),
    toolCallId: id,
    ...(Object.keys(kept).length === 0 ? {} : { providerMetadata: kept }),
  };
}
