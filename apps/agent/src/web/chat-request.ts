import { getToolName, isToolUIPart, safeValidateUIMessages, type UIMessage } from "ai";
import { z, type ZodType } from "zod";

/** `ai`'s Chat ids are short random strings; a thread id is built from one (THREAD_ID_PATTERN). */
export const CHAT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * How deeply a chat body may nest, the body itself being level 1. A purchase call's input sits
 * at level 6; `ai` copies and walks messages recursively (structuredClone in
 * createUIMessageStream), so a body thousands of levels deep overflows its stack.
 */
export const MAX_BODY_DEPTH = 64;

const bodySchema = z.object({
  id: z.string().regex(CHAT_ID, "id must be 1-64 letters, digits, _ or -"),
  messages: z.array(z.unknown()).min(1, "messages must hold at least the person's message"),
});

export interface ChatRequest {
  id: string;
  messages: UIMessage[];
}

/** The input schema of each tool the chat has, by the name the model calls it. */
export type ToolInputs = Readonly<Record<string, ZodType>>;

type Path = (string | number)[];

function formatPath(path: Path): string {
  return path
    .map((segment, i) =>
      typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`,
    )
    .join("");
}

/** The most issues a refusal names. */
const MAX_ISSUES_NAMED = 5;

interface Issue {
  code?: unknown;
  path: Path;
  message: string;
  errors?: unknown;
}

const isIssue = (value: unknown): value is Issue =>
  typeof value === "object" &&
  value !== null &&
  "path" in value &&
  Array.isArray(value.path) &&
  "message" in value &&
  typeof value.message === "string";

const issuesIn = (value: unknown): Issue[] => (Array.isArray(value) ? value.filter(isIssue) : []);

/**
 * `path: problem` for each issue of `ai`'s UI message schema (the ZodError that
 * safeValidateUIMessages gives as the cause), under `messages`. A part matches one of several
 * shapes (a union, by its `type`): its problems are those of the shape its `type` names, or,
 * when it names none, that its `type` is unknown. Never the value itself: the client has it.
 */
function describeValidation(cause: unknown): string {
  const issues =
    typeof cause === "object" && cause !== null && "issues" in cause ? issuesIn(cause.issues) : [];
  const described = describeIssues(issues, ["messages"]);
  if (described.length === 0) return "they do not match ai's UIMessage type";
  const named = described.slice(0, MAX_ISSUES_NAMED);
  const more = described.length - named.length;
  return named.join("; ") + (more > 0 ? `; and ${String(more)} more` : "");
}

function describeIssues(issues: Issue[], prefix: Path): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== "invalid_union" || !Array.isArray(issue.errors)) {
      return [`${formatPath(path)}: ${issue.message}`];
    }
    const shapes = issue.errors.map(issuesIn);
    const ofItsType = shapes.find(
      (shape) => !shape.some((i) => i.path.length === 1 && i.path[0] === "type"),
    );
    return ofItsType === undefined
      ? [`${formatPath(path)}: its type is not one ai's UI messages have`]
      : describeIssues(ofItsType, path);
  });
}

/** Where `value` first nests deeper than `max` levels. A loop, not recursion: it cannot overflow. */
function tooDeepAt(value: unknown, max: number): Path | undefined {
  const pending: { value: unknown; path: Path }[] = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: node, path } = next;
    if (typeof node !== "object" || node === null) continue;
    if (path.length >= max) return path;
    const isArray = Array.isArray(node);
    for (const [key, child] of Object.entries(node)) {
      pending.push({ value: child, path: [...path, isArray ? Number(key) : key] });
    }
  }
  return undefined;
}

/**
 * A tool part the client sends back is run again (`@auth0/ai-vercel`'s withInterruptions calls
 * the tool's execute with the part's input, past the tool's schema) or read by the model, so
 * it must name a tool of the chat and carry an input that tool's own schema accepts. Returns
 * the problem, or the part with the input as the schema parsed it (what the model's call gets).
 */
function checkToolPart(
  message: UIMessage,
  part: UIMessage["parts"][number],
  tools: ToolInputs,
): { problem: string } | { part: UIMessage["parts"][number] } {
  const known = Object.keys(tools).join(", ");
  if (part.type === "dynamic-tool") {
    return { problem: `a dynamic-tool part names no tool of this chat (its tools: ${known})` };
  }
  if (!isToolUIPart(part)) return { part };
  const name = getToolName(part);
  const schema = Object.hasOwn(tools, name) ? tools[name] : undefined;
  if (schema === undefined) {
    return { problem: `"${name}" is not a tool of this chat (its tools: ${known})` };
  }
  if (message.role !== "assistant") {
    return { problem: `a tool call belongs in an assistant message, not a ${message.role} one` };
  }
  // withInterruptions runs the tool that a resume's output names (`tools[output.toolName]`, a
  // TypeError and a warning logged for each request when it names none), whatever the part's
  // type says: a resume must name its own part's tool.
  const output: unknown = part.state === "output-available" ? part.output : undefined;
  if (typeof output === "object" && output !== null) {
    const resumes = "continueInterruption" in output && Boolean(output.continueInterruption);
    if (resumes && !("toolName" in output)) {
      return {
        problem: `a resume (output.continueInterruption) must name its tool as output.toolName, ${name}`,
      };
    }
    if ("toolName" in output && output.toolName !== name) {
      return { problem: `output.toolName must be the part's own tool, ${name}` };
    }
  }
  // A streaming input is partial and never run; an output-error part may hold the invalid input
  // the model once gave (the SDK's own record of a rejected call). Neither is run again.
  if (part.state !== "input-available" && part.state !== "output-available") return { part };
  const input = schema.safeParse(part.input);
  if (!input.success) {
    const issues = input.error.issues.map((issue) => issue.message).join("; ");
    return { problem: `its input is not one ${name} takes: ${issues}` };
  }
  return { part: { ...part, input: input.data } };
}

/**
 * The quickstart's contract, `{ id, messages: UIMessage[] }` (what `ai`'s DefaultChatTransport
 * posts), checked with `ai`'s own UI message validation, after a bound on nesting and before
 * every tool part is checked against `tools`. Other members (`trigger`, `messageId`) are
 * allowed and not read.
 */
export async function parseChatRequest(
  body: unknown,
  tools: ToolInputs,
): Promise<{ ok: true; request: ChatRequest } | { ok: false; description: string }> {
  const deep = tooDeepAt(body, MAX_BODY_DEPTH);
  if (deep !== undefined) {
    return {
      ok: false,
      description: `${formatPath(deep.slice(0, 4)) || "body"} nests deeper than ${MAX_BODY_DEPTH} levels: send a flatter body`,
    };
  }
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      description: parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
        .join("; "),
    };
  }
  const validated = await safeValidateUIMessages({ messages: parsed.data.messages });
  if (!validated.success) {
    return {
      ok: false,
      description: `messages are not UI messages: ${describeValidation(validated.error.cause)}`,
    };
  }
  const messages: UIMessage[] = [];
  for (const [m, message] of validated.data.entries()) {
    // The app gives the model its instructions: a page cannot add its own.
    if (message.role === "system") {
      return {
        ok: false,
        description: `messages[${m}]: a system message comes from the app, not the page; send the person's messages and the assistant's`,
      };
    }
    const parts: UIMessage["parts"] = [];
    for (const [p, part] of message.parts.entries()) {
      const checked = checkToolPart(message, part, tools);
      if ("problem" in checked) {
        return {
          ok: false,
          description: `messages[${m}].parts[${p}] (${part.type}): ${checked.problem}`,
        };
      }
      parts.push(checked.part);
    }
    messages.push({ ...message, parts });
  }
  return { ok: true, request: { id: parsed.data.id, messages } };
}
