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
 * safeValidateUIMessages gives as the cause) for the `pieces` it was given, named by where
 * each is in the body. A part matches one of several shapes (a union, by its `type`): its
 * problems are those of the shape its `type` names, or, when it names none, that its `type` is
 * unknown. Never the value itself: the client has it.
 */
function describeValidation(cause: unknown, pieces: readonly Piece[]): string {
  const issues =
    typeof cause === "object" && cause !== null && "issues" in cause ? issuesIn(cause.issues) : [];
  const described = issues.flatMap((issue) => {
    const [k, field, p, ...rest] = issue.path;
    const piece = typeof k === "number" ? pieces[k] : undefined;
    if (piece === undefined) return describeIssues([issue], ["messages"]);
    const path: Path =
      field === "parts" && typeof p === "number"
        ? [field, p + piece.offset, ...rest]
        : issue.path.slice(1);
    return describeIssues([{ ...issue, path }], ["messages", piece.index]);
  });
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

/**
 * How many array elements and object members a chat body may hold in all. A chat of MAX_PARTS
 * parts holds some ten a part (a tool call's input and output, the provider's metadata). Each
 * costs JSON.parse an allocation, and `ai` validates some of them value by value (a part's
 * `providerMetadata`: 1 MB of empty arrays there costs it a third of a second of CPU).
 */
export const MAX_BODY_ELEMENTS = 20_000;

/** Why a chat body past MAX_BODY_ELEMENTS is refused (413), counted before it is parsed. */
export const TOO_MANY_ELEMENTS = `the body holds more than the ${String(MAX_BODY_ELEMENTS)} array elements and object members a chat request may: start a new chat`;

/**
 * Where `value` first nests deeper than `max` levels. It recurses at most `max` levels, so it
 * cannot overflow, and builds a path only for the place it reports.
 */
function tooDeepAt(value: unknown, max: number, depth = 0): Path | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (depth >= max) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const below = tooDeepAt(value[i], max, depth + 1);
      if (below !== undefined) return [i, ...below];
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const below = tooDeepAt((value as Record<string, unknown>)[key], max, depth + 1);
    if (below !== undefined) return [key, ...below];
  }
  return undefined;
}

/**
 * How many messages a chat request may hold, how many parts one message may, and how many
 * parts all of them together. The page sends the whole conversation with each message, and an
 * assistant message holds a few parts a step (at most MAX_STEPS steps): a chat of hundreds of
 * turns stays well within them. They bound what the UI message validation walks, which
 * collects every problem of every element (1 MB of empty arrays as messages costs it seconds).
 */
export const MAX_MESSAGES = 1_000;
export const MAX_PARTS_PER_MESSAGE = 500;
export const MAX_PARTS = 2_000;

/** Whether `message` is an object with a list of parts. */
const hasParts = (message: unknown): message is { parts: unknown[] } =>
  typeof message === "object" &&
  message !== null &&
  "parts" in message &&
  Array.isArray(message.parts);

/**
 * The first bound the body's messages go past, read from array lengths alone (no element of a
 * message list or a parts list past a bound is looked at); undefined when within them. Shapes
 * that are not arrays are left to the validation, which names them.
 */
function pastBounds(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("messages" in body)) return undefined;
  const { messages } = body;
  if (!Array.isArray(messages)) return undefined;
  if (messages.length > MAX_MESSAGES) {
    return `messages holds ${String(messages.length)} messages, more than the ${String(MAX_MESSAGES)} a chat request may: start a new chat`;
  }
  let parts = 0;
  for (const [m, message] of messages.entries()) {
    const count = hasParts(message) ? message.parts.length : 0;
    if (count > MAX_PARTS_PER_MESSAGE) {
      return `messages[${String(m)}].parts holds ${String(count)} parts, more than the ${String(MAX_PARTS_PER_MESSAGE)} a message may`;
    }
    parts += count;
    if (parts > MAX_PARTS) {
      return `messages[0] to messages[${String(m)}] hold more than the ${String(MAX_PARTS)} parts a chat request may: start a new chat`;
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

/** Why the body is refused: 413 for one past a bound (MAX_MESSAGES, ...), else 400. */
export interface ChatRequestRefusal {
  ok: false;
  status: 400 | 413;
  description: string;
}

/**
 * How many parts (a message without parts counting as one) one call of `ai`'s UI message
 * validation is given. It collects every problem of what it is given, about half a
 * millisecond of CPU for each part it refuses, where a part it takes costs a microsecond and a
 * call some tens: so the messages go to it a few parts at a time, and the first call that finds
 * a problem ends the check.
 */
export const PARTS_PER_VALIDATION = 16;

/** A message of the body, or some of its parts (those from `offset`) in a copy of it. */
interface Piece {
  index: number;
  offset: number;
  message: unknown;
}

/** The messages, each cut into pieces of at most PARTS_PER_VALIDATION parts. */
function piecesOf(messages: readonly unknown[]): Piece[] {
  return messages.flatMap((message, index) => {
    if (!hasParts(message) || message.parts.length <= PARTS_PER_VALIDATION) {
      return [{ index, offset: 0, message }];
    }
    const pieces: Piece[] = [];
    for (let offset = 0; offset < message.parts.length; offset += PARTS_PER_VALIDATION) {
      const some = message.parts.slice(offset, offset + PARTS_PER_VALIDATION);
      pieces.push({ index, offset, message: { ...message, parts: some } });
    }
    return pieces;
  });
}

/** The pieces, in order, gathered in batches of at most PARTS_PER_VALIDATION parts. */
function* batchesOf(pieces: readonly Piece[]): Generator<Piece[]> {
  let batch: Piece[] = [];
  let weight = 0;
  for (const piece of pieces) {
    const pieceWeight = hasParts(piece.message) ? Math.max(1, piece.message.parts.length) : 1;
    if (batch.length > 0 && weight + pieceWeight > PARTS_PER_VALIDATION) {
      yield batch;
      batch = [];
      weight = 0;
    }
    batch.push(piece);
    weight += pieceWeight;
  }
  if (batch.length > 0) yield batch;
}

/**
 * The body's messages as `ai`'s UI message validation takes them, given to it a few parts at
 * a time (PARTS_PER_VALIDATION) and stopping at the first call that refuses any: 1 MB of parts
 * it refuses would cost it seconds, and the first few problems are enough to name.
 */
async function validateMessages(
  messages: readonly unknown[],
): Promise<{ ok: true; messages: UIMessage[] } | ChatRequestRefusal> {
  const validated: UIMessage[] = [];
  for (const batch of batchesOf(piecesOf(messages))) {
    const checked = await safeValidateUIMessages({ messages: batch.map((piece) => piece.message) });
    if (!checked.success) {
      return {
        ok: false,
        status: 400,
        description: `messages are not UI messages: ${describeValidation(checked.error.cause, batch)}`,
      };
    }
    // A piece past a message's first goes on with the message before it.
    for (const [k, message] of checked.data.entries()) {
      const last = validated.at(-1);
      if (batch[k]?.offset !== 0 && last !== undefined) last.parts.push(...message.parts);
      else validated.push(message);
    }
  }
  return { ok: true, messages: validated };
}

/**
 * The quickstart's contract, `{ id, messages: UIMessage[] }` (what `ai`'s DefaultChatTransport
 * posts), checked against bounds on its size first (from array lengths) and on its nesting,
 * then with `ai`'s own UI message validation, then for file parts (refused), and every tool part
 * against `tools`. The
 * route counts the body's elements (`verifyJsonBody`, MAX_BODY_ELEMENTS) before it is even
 * parsed. Other members (`trigger`, `messageId`) are allowed and not read.
 */
export async function parseChatRequest(
  body: unknown,
  tools: ToolInputs,
): Promise<{ ok: true; request: ChatRequest } | ChatRequestRefusal> {
  const past = pastBounds(body);
  if (past !== undefined) return { ok: false, status: 413, description: past };
  const deep = tooDeepAt(body, MAX_BODY_DEPTH);
  if (deep !== undefined) {
    return {
      ok: false,
      status: 400,
      description: `${formatPath(deep.slice(0, 4)) || "body"} nests deeper than ${MAX_BODY_DEPTH} levels: send a flatter body`,
    };
  }
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      status: 400,
      description: parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
        .join("; "),
    };
  }
  const validated = await validateMessages(parsed.data.messages);
  if (!validated.ok) return validated;
  const messages: UIMessage[] = [];
  for (const [m, message] of validated.messages.entries()) {
    // The app gives the model its instructions: a page cannot add its own.
    if (message.role === "system") {
      return {
        ok: false,
        status: 400,
        description: `messages[${m}]: a system message comes from the app, not the page; send the person's messages and the assistant's`,
      };
    }
    const parts: UIMessage["parts"] = [];
    for (const [p, part] of message.parts.entries()) {
      // The page sends the person's words as text. `ai` downloads a file part's URL for a model
      // that does not take it as a URL (the built-in one, and OpenAI for most media types), up
      // to 2 GB each, before the model is asked: a chat must not make the app fetch anything.
      if (part.type === "file") {
        return {
          ok: false,
          status: 400,
          description: `messages[${m}].parts[${p}] (file): this chat takes no files; send the person's words as text parts`,
        };
      }
      const checked = checkToolPart(message, part, tools);
      if ("problem" in checked) {
        return {
          ok: false,
          status: 400,
          description: `messages[${m}].parts[${p}] (${part.type}): ${checked.problem}`,
        };
      }
      parts.push(checked.part);
    }
    messages.push({ ...message, parts });
  }
  // A message with no words asks nothing: the app would start a chat (one of the person's new
  // chats a minute) for it.
  const last = messages.at(-1);
  const words = last?.parts.some((part) => part.type === "text" && part.text.trim() !== "");
  if (last?.role === "user" && words !== true) {
    return {
      ok: false,
      status: 400,
      description: `messages[${messages.length - 1}]: the person's message is empty; type what to ask`,
    };
  }
  return { ok: true, request: { id: parsed.data.id, messages } };
}
