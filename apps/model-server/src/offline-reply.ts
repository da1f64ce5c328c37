import { describePurchase } from "@ciba-testbed/agent";

import {
  answeredCallsSinceLastUser,
  lastUserText,
  type Conversation,
  type FunctionTool,
  type Reply,
} from "./conversation.js";
import { errors } from "./errors.js";
import {
  fillPurchaseArguments,
  purchaseToolsAmong,
  readPurchaseArguments,
  recognisedArgumentNames,
  type PurchaseTool,
} from "./purchase-tool.js";
import { readPurchaseRequest } from "./read-request.js";
import { readToolResult } from "./tool-result.js";

const SCRIPT_HINT = "queue the exact reply with POST /v1/testing/script instead";

/**
 * The deterministic model behind both endpoints, the offline model of the agent made to speak
 * OpenAI's protocol: it reads the last user message with the agent's own parser, calls the
 * request's purchase tool for one purchase per reply (each gets its own approval, and a failure
 * stops the rest), then confirms from the tool results. What it cannot do right it refuses
 * with a 4xx that says why; it never guesses a product or an argument.
 */
export function offlineReply(conversation: Conversation, newCallId: () => string): Reply {
  if (conversation.responseFormat === "json") {
    throw errors.unsupportedResponseFormat(
      `This offline model answers in plain text and cannot produce JSON output; ${SCRIPT_HINT}`,
    );
  }
  const tools = offeredTools(conversation);
  const parsed = readPurchaseRequest(lastUserText(conversation.turns));
  const answered = answeredCallsSinceLastUser(conversation.turns);

  if (parsed.kind === "unclear") {
    if (conversation.toolChoice !== "auto" && conversation.toolChoice !== "none") {
      throw errors.toolChoiceUnsatisfiable(
        `tool_choice asks for a tool call, but the last user message asks for no purchase this model understands (it needs ${parsed.needed}); ${SCRIPT_HINT}`,
        "tool_choice",
      );
    }
    const understood =
      parsed.understood.length > 0
        ? `I understood: ${parsed.understood.join("; ")}. `
        : "I could not find a purchase in your request. ";
    return text(`${understood}I need ${parsed.needed}. Nothing was bought.`);
  }

  const tool = choosePurchaseTool(tools, parsed.items.map(describePurchase).join(", "));
  // Without tools on this request, the calls already made still say how the purchases went.
  const results = answered
    .filter(({ call }) => tool === undefined || call.name === tool.name)
    .map(({ call, output }, index) =>
      readToolResult(
        output,
        (tool && readPurchaseArguments(tool, call.arguments)) ?? parsed.items[index],
      ),
    );
  const failed = results.some((result) => result.kind !== "ordered");
  const rest = parsed.items.slice(results.length);
  const [next] = rest;
  const said = results.map((result) => `${result.sentence} `).join("");
  const nothing = results.length === 0 ? "Nothing was bought." : "Nothing more was bought.";
  if (!failed && next !== undefined) {
    if (tool === undefined) {
      return text(
        `${said}I would buy ${rest.map(describePurchase).join(", ")}, but this request offers ` +
          `no tool to buy with. ${nothing}`,
      );
    }
    const filled = fillPurchaseArguments(tool, next);
    if (filled.kind === "needs") return text(`${said}I need ${filled.needed}. ${nothing}`);
    return {
      text: "",
      toolCalls: [{ id: newCallId(), name: tool.name, arguments: filled.arguments }],
    };
  }
  const notTried =
    failed && rest.length > 0
      ? `I did not try the rest (${rest.map(describePurchase).join(", ")}).`
      : "";
  return text(`${said}${notTried}`.trim());
}

function text(answer: string): Reply {
  return { text: answer, toolCalls: [] };
}

/** The tools the model may call under `tool_choice`. */
function offeredTools(conversation: Conversation): FunctionTool[] {
  const choice = conversation.toolChoice;
  if (choice === "none") return [];
  if (typeof choice === "string") return conversation.tools;
  const chosen = conversation.tools.filter((tool) => tool.name === choice.name);
  if (chosen.length === 0) {
    throw errors.invalidConversation(
      `tool_choice names the function "${choice.name}", which is not among the tools offered`,
      "tool_choice",
    );
  }
  return chosen;
}

function choosePurchaseTool(tools: FunctionTool[], wanted: string): PurchaseTool | undefined {
  if (tools.length === 0) return undefined;
  const candidates = purchaseToolsAmong(tools);
  const [tool, ...others] = candidates;
  if (tool === undefined) {
    throw errors.noPurchaseTool(
      `The last user message asks to buy ${wanted}, but none of the offered tools ` +
        `(${tools.map((t) => t.name).join(", ")}) looks like a purchase tool: this model calls a ` +
        `function whose JSON schema has a ${recognisedArgumentNames()}; ${SCRIPT_HINT}`,
      "tools",
    );
  }
  if (others.length > 0) {
    throw errors.ambiguousPurchaseTool(
      `More than one offered tool looks like a purchase tool (${candidates.map((t) => t.name).join(", ")}); ` +
        `name one with tool_choice, or ${SCRIPT_HINT}`,
      "tools",
    );
  }
  if (tool.unfillable.length > 0) {
    throw errors.unfillableToolArguments(
      `The purchase tool "${tool.name}" requires ${tool.unfillable.map((n) => `"${n}"`).join(", ")}, ` +
        `which this model cannot fill: it fills only a ${recognisedArgumentNames()}; ${SCRIPT_HINT}`,
      "tools",
    );
  }
  return tool;
}
