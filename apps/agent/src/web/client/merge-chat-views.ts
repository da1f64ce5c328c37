import { isToolUIPart, type UIMessage } from "ai";

/**
 * The message a page makes up for a purchase of its chat it learnt of from the app (another
 * page asked for it, or the page lost the request's answer), and the one for the agent's answer
 * after it: stand-ins for the messages the page that asked has.
 */
export const standInPurchaseId = (toolCallId: string) => `purchase-${toolCallId}`;
export const standInReplyId = (toolCallId: string) => `reply-${toolCallId}`;

/** The tool call a stand-in message stands for; undefined for a message of the chat's own. */
function standInFor(message: UIMessage): string | undefined {
  const [, toolCallId] = /^(?:purchase|reply)-(.+)$/.exec(message.id) ?? [];
  return toolCallId;
}

/**
 * Of two pages' copies of one message, the one further on: the one with more parts (the answer
 * streamed on after a resume, the agent's words after a tool's result), else `theirs`.
 */
const furtherOn = (ours: UIMessage, theirs: UIMessage) =>
  ours.parts.length > theirs.parts.length ? ours : theirs;

/**
 * One conversation from two pages' views of the same chat: `ours`, this page's, and `theirs`,
 * another tab's. Nothing either page shows is lost. The chat goes as `theirs` has it, with each
 * message both have as the one further on, and each message only `ours` has right after the
 * message it follows in `ours` (the first, at the start); a stand-in for a purchase whose own
 * message either page has gives way to it, and one for the agent's answer to the words after
 * the purchase's call in it. The message of tool call `waiting`, a purchase a
 * page waits for, goes last: a page resumes the tool call of the chat's last message. `ours`
 * itself when `theirs` adds nothing.
 */
export function mergeChatViews(
  ours: UIMessage[],
  theirs: UIMessage[],
  waiting?: string,
): UIMessage[] {
  const own = [...ours, ...theirs].filter((message) => standInFor(message) === undefined);
  const asked = new Set(
    own.flatMap((message) => message.parts.filter(isToolUIPart).map((part) => part.toolCallId)),
  );
  // A stand-in for the answer gives way only to the agent's words after the call: a page that
  // holds the call without them (kept while it waited) would otherwise lose the answer.
  const answered = new Set(
    own.flatMap(({ parts }) =>
      parts.flatMap((part, i) =>
        isToolUIPart(part) &&
        parts.slice(i + 1).some((next) => next.type === "text" && next.text.trim() !== "")
          ? [part.toolCallId]
          : [],
      ),
    ),
  );
  const needed = (message: UIMessage) => {
    const toolCallId = standInFor(message);
    if (toolCallId === undefined) return true;
    return message.id === standInReplyId(toolCallId)
      ? !answered.has(toolCallId)
      : !asked.has(toolCallId);
  };
  const ourCopy = new Map(ours.filter(needed).map((message) => [message.id, message]));
  const merged = theirs.filter(needed).map((message) => {
    const copy = ourCopy.get(message.id);
    return copy === undefined ? message : furtherOn(copy, message);
  });
  const placed = new Set(merged.map((message) => message.id));
  let after = -1;
  for (const message of ours.filter(needed)) {
    if (placed.has(message.id)) {
      after = merged.findIndex((candidate) => candidate.id === message.id);
      continue;
    }
    after += 1;
    merged.splice(after, 0, message);
    placed.add(message.id);
  }
  const holder = merged.findIndex((message) =>
    message.parts.some((part) => isToolUIPart(part) && part.toolCallId === waiting),
  );
  if (holder !== -1) merged.push(...merged.splice(holder, 1));
  const same = merged.length === ours.length && merged.every((message, i) => message === ours[i]);
  return same ? ours : merged;
}
