import { withEarlierOrders, type EarlierOrder } from "../earlier-orders.js";
import { isDeepStrictEqual } from "node:util";

import { setAIContext } from "@auth0/ai-vercel";
import { errorSerializer, withInterruptions } from "@auth0/ai-vercel/interrupts";
import {
  convertToModelMessages,
  createUIMessageStream,
  createUIMessageStreamResponse,
  isToolUIPart,
  stepCountIs,
  streamText,
  type LanguageModel,
  type ToolUIPart,
  type UIMessage,
  type UIMessageChunk,
  type UIMessageStreamWriter,
} from "ai";
import type { Request, RequestHandler, Response } from "express";

import type { AgentEvent } from "../agent-event.js";
import { SYSTEM_PROMPT } from "../agent.js";
import { StoreEntryError } from "../halt.js";
import { withModelDeadline } from "../model-deadline.js";
import { describeResult } from "../purchase-result.js";
import { THREAD_RETENTION_MS } from "../retention.js";
import { endsTurn, MAX_STEPS } from "../turn-end.js";
import { toolErrorThatRan } from "../turn-guard.js";
import { CHAT_ID, parseChatRequest } from "./chat-request.js";
import { chatToolInputs, type ChatThreads, type OpenThread } from "./chat-threads.js";
import { clientErrorCode, clientErrorText, UNREADABLE_THREAD_TEXT } from "./client-error-text.js";
import { ERROR_CODE_PART } from "./client/answer-error.js";
import { type ErrorReporter, reportToStderr, StreamErrors } from "./error-report.js";
import { type Heartbeat, sendEventStream } from "./event-stream.js";
import { NewChatRefused } from "./kept-chats.js";
import { decidedStatus, ORDERING, type ApprovalStatusData } from "./client/approval-status.js";
import { SESSION_CHANGED, SHOWN_PERSON_HEADER } from "./client/shown-person.js";
import {
  resumedToolOutput,
  untriedBeside,
  withResumedOutputs,
  withResumedPartLast,
} from "./resumed-output.js";
import { shownSentence } from "./shown-result.js";
import { TurnAnswer } from "./turn-answer.js";

export interface ChatRouteDeps {
  threads: ChatThreads;
  model: LanguageModel;
  /** Shown with a pending approval: where the person (or the tester) approves it. */
  approverUrl: string | undefined;
  /** When an open chat stream sends a comment line (every `HEARTBEAT_MS` unless set). */
  heartbeat?: Heartbeat | undefined;
  /** Where an error the page only calls "Something went wrong" goes (stderr unless set). */
  reportError?: ErrorReporter | undefined;
}

function lastUserText(messages: UIMessage[]): string {
  const last = messages.findLast((message) => message.role === "user");
  return (last?.parts ?? [])
    .map((part) => (part.type === "text" ? part.text : ""))
    .join(" ")
    .trim();
}

/**
 * The purchase tool's events as `data-approval` parts: the page's live approval status.
 * Transient (not kept in the message): withInterruptions resumes only a message whose last
 * part is the tool call.
 */
export class ApprovalStatus {
  private writer: UIMessageStreamWriter | undefined;
  private readonly early: AgentEvent[] = [];
  /** The pending cards this stream shows, by approval request. */
  private readonly waiting = new Map<string, { id: string; data: ApprovalStatusData }>();

  constructor(private readonly approverUrl: string | undefined) {}

  readonly listener = (event: AgentEvent) => {
    if (this.writer === undefined) this.early.push(event);
    else this.write(this.writer, event);
  };

  attach(writer: UIMessageStreamWriter): void {
    this.writer = writer;
    for (const event of this.early.splice(0)) this.write(writer, event);
  }

  private write(writer: UIMessageStreamWriter, event: AgentEvent): void {
    const { approverUrl } = this;
    if (event.type === "approval-requested") {
      const data: ApprovalStatusData = {
        status: "PENDING",
        authReqId: event.authReqId,
        bindingMessage: event.bindingMessage,
        expiresAt: new Date(event.expiresAt).toISOString(),
        ...(approverUrl === undefined ? {} : { approverUrl }),
      };
      this.waiting.set(event.authReqId, { id: event.toolCallId, data });
      writer.write({ type: "data-approval", id: event.toolCallId, data, transient: true });
    } else if (event.type === "approval-waiting") {
      // The card says when Auth0 cannot be reached, and stops saying it once a poll is answered.
      const shown = this.waiting.get(event.authReqId);
      if (shown === undefined || shown.data.problem === event.problem) return;
      const { problem: _was, ...rest } = shown.data;
      const data = event.problem === undefined ? rest : { ...rest, problem: event.problem };
      this.waiting.set(event.authReqId, { id: shown.id, data });
      writer.write({ type: "data-approval", id: shown.id, data, transient: true });
    } else if (event.type === "order-sending") {
      // The person approved: the card says so while the shop has the order, however long it
      // takes to answer, not "Waiting for approval". A resume's stream never showed the card
      // waiting (the page did): the page keeps what it showed of the purchase.
      const id = event.toolCallId;
      const shown = [...this.waiting].find(([, card]) => card.id === id);
      if (shown !== undefined) this.waiting.delete(shown[0]);
      const { authReqId, bindingMessage } = shown?.[1].data ?? {};
      const data: ApprovalStatusData = {
        status: ORDERING,
        ...(authReqId === undefined ? {} : { authReqId }),
        ...(bindingMessage === undefined ? {} : { bindingMessage }),
      };
      writer.write({ type: "data-approval", id, data, transient: true });
    } else if (event.type === "purchase-finished") {
      // Its own tool call: a purchase refused before any approval request (no authReqId) was
      // written under the call the page resumed, another item's, whose card then said refused.
      const { result, toolCallId: id } = event;
      // What was asked stays on the decided card: "Purchase: denied" alone does not say which.
      const data: ApprovalStatusData = {
        status: decidedStatus(result),
        authReqId: result.authReqId ?? "",
        ...(result.bindingMessage === undefined ? {} : { bindingMessage: result.bindingMessage }),
        description: result.description,
      };
      writer.write({ type: "data-approval", id, data, transient: true });
    }
  }
}

/** The logged-in person's `sub`, or undefined without a session. */
function loggedInSub(req: Request): string | undefined {
  const sub: unknown = req.oidc.user?.sub;
  return req.oidc.isAuthenticated() && typeof sub === "string" ? sub : undefined;
}

function refuseLoggedOut(res: Response): void {
  res.status(401).json({
    error: "login_required",
    error_description: "Log in first: open /auth/login, then send the chat again",
  });
}

/** 401 `login_required` without a session, before the body is read: strangers cost no parsing. */
export const requireLogin: RequestHandler = (req, res, next) => {
  if (loggedInSub(req) === undefined) refuseLoggedOut(res);
  else next();
};

/**
 * 409 `session_changed` when the page that sends the chat was loaded for another person than
 * the session's: the browser's session ended without a logout in this page (the cookie cleared
 * or expired, the app restarted) and another person logged in since, in another tab. Run as the
 * session's person, the chat would ask that person for the page's purchase (a push to their
 * phone) and put the page's conversation in their chat. A client that sends no such header (the
 * API's own, curl) speaks for the session.
 */
export const requireShownPerson: RequestHandler = (req, res, next) => {
  const shown = req.get(SHOWN_PERSON_HEADER);
  if (shown === undefined || safeDecode(shown) === loggedInSub(req)) {
    next();
    return;
  }
  res.status(409).json({
    error: SESSION_CHANGED,
    error_description:
      "This browser is now logged in as another person than the one this page shows (the " +
      "session ended and another login followed): reload the page. Nothing was sent or ordered.",
  });
};

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Why chat `id` has no purchase of tool call `toolCallId` (the 404 and 409 `purchase_unknown`). */
function unknownPurchaseText(id: string, toolCallId: string, toDo?: string): string {
  const what = toDo === undefined ? toolCallId : `${toolCallId} ${toDo}`;
  return `Chat ${id} has no purchase ${what}: it was asked in another chat, or the agent's web app restarted since and forgot it`;
}

/**
 * What a page told that the app forgot its chat or purchase must know before it asks again, in
 * either mode: a purchase approved before the app restarted may have been ordered as it went
 * (block mode: the chat's own request may have ordered it as the app stopped; interrupt mode: a
 * resume that took the approval may have been ordering when the app was killed). The app kept
 * no record of it, and the page lists no orders, so the shop's are the ones to check.
 */
const FORGOTTEN_CAVEAT =
  "A purchase approved before the app restarted may have been ordered before it stopped: check your orders with the shop before asking again";

/** A tool call's id as models make them (`call_...`): visible ASCII, bounded. */
const TOOL_CALL_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * A read-only GET of the person's chat `:id` (and tool call `:toolCallId`, when the route has
 * one), from the journal: never waits for the chat's lease and never asks Auth0. Answers 401
 * without a session, 400 for a malformed id and 409 `thread_unreadable` for a journal entry it
 * cannot read; `answer` gets the person's `sub` and answers the rest.
 */
function chatReadRoute(
  answer: (res: Response, sub: string, ids: { id: string; toolCallId?: string }) => Promise<void>,
): RequestHandler {
  return async (req, res) => {
    res.set("Cache-Control", "no-store");
    const sub = loggedInSub(req);
    if (sub === undefined) {
      refuseLoggedOut(res);
      return;
    }
    const ids = req.params as { id: string; toolCallId?: string };
    if (
      !CHAT_ID.test(ids.id) ||
      (ids.toolCallId !== undefined && !TOOL_CALL_ID.test(ids.toolCallId))
    ) {
      res.status(400).json({
        error: "invalid_request",
        error_description:
          ids.toolCallId === undefined
            ? "The chat id must be 1-64 letters, digits, _ or -"
            : "The chat id must be 1-64 letters, digits, _ or -, and the tool call id 1-256 visible ASCII characters",
      });
      return;
    }
    try {
      await answer(res, sub, ids);
    } catch (error) {
      if (!(error instanceof StoreEntryError)) throw error;
      res.status(409).json({
        error: "thread_unreadable",
        error_description: `Chat ${ids.id}: ${UNREADABLE_THREAD_TEXT}`,
      });
    }
  };
}

/**
 * `GET /api/chat/:id/purchases`: every purchase of the person's chat, `{ running, purchases:
 * [{ toolCallId, toolName, result, summary, interval }], reply }`, whether a chat request still
 * runs on it, and once none does, the model's last words in the last one (see
 * `ChatThreads.purchases`). A block-mode page that lost its chat's stream (closed, reloaded,
 * logged out, cut off) follows the chat with it until nothing waits and nothing runs: the
 * request may go on to another item of the person's message, which the page never saw asked.
 */
export function chatPurchasesRoute(threads: ChatThreads): RequestHandler {
  return chatReadRoute(async (res, sub, { id }) => {
    const chat = await threads.purchases(sub, id);
    if (chat === undefined) {
      res.status(404).json({
        error: "chat_unknown",
        error_description: `The agent's web app has no chat ${id} of yours: it restarted since and forgot it, or the chat was never sent, or it ended long ago (an ended chat is kept ${String(THREAD_RETENTION_MS / 86_400_000)} days, less when the app keeps many). ${FORGOTTEN_CAVEAT}`,
      });
      return;
    }
    res.json({
      running: chat.running,
      purchases: chat.purchases.map((purchase) => ({
        ...purchase,
        summary: shownSentence(purchase.result),
      })),
      ...(chat.reply === undefined ? {} : { reply: chat.reply }),
      ...(chat.lastMessageId === undefined ? {} : { lastMessageId: chat.lastMessageId }),
    });
  });
}

/**
 * `GET /api/chat/:id/purchases/:toolCallId`: what became of a purchase of the person's chat:
 * `{ result, summary }`, the purchase tool's result (PENDING while it waits, else its outcome
 * and order) and one sentence a person can read.
 */
export function purchaseRoute(threads: ChatThreads): RequestHandler {
  return chatReadRoute(async (res, sub, { id, toolCallId = "" }) => {
    const result = await threads.purchase(sub, id, toolCallId);
    if (result === undefined) {
      res.status(404).json({
        error: "purchase_unknown",
        error_description: `${unknownPurchaseText(id, toolCallId)}. ${FORGOTTEN_CAVEAT}`,
      });
      return;
    }
    res.json({ result, summary: shownSentence(result) });
  });
}

/**
 * `POST /api/chat`, the quickstart's route (auth0-samples/auth0-ai-samples
 * asynchronous-authorization/vercel-ai-next-js src/app/api/chat/route.ts) with Auth0's
 * interrupt handling from its Next.js samples: `{ id, messages }` in, `setAIContext({ threadID:
 * id })`, `streamText` with the shop tool, `createUIMessageStreamResponse` out. The CIBA userID
 * is the session's `sub`.
 */
export function chatRoute(deps: ChatRouteDeps): RequestHandler {
  return async (req: Request, res: Response) => {
    const sub = loggedInSub(req);
    if (sub === undefined) {
      refuseLoggedOut(res);
      return;
    }
    // Checked in full before anything is stored, locked, sent or run.
    const parsed = await parseChatRequest(req.body, chatToolInputs);
    if (!parsed.ok) {
      res
        .status(parsed.status)
        .json({ error: "invalid_request", error_description: parsed.description });
      return;
    }
    const { id } = parsed.request;
    const messages = withResumedPartLast(parsed.request.messages);
    // Before the thread is opened: opening it stores the chat, which a refused resume must not
    // leave behind (GET /api/chat/:id/purchases would then list an empty chat, not chat_unknown).
    const unknownCall = await readingThread(id, () =>
      unknownResume(deps.threads, sub, id, messages),
    );
    if (unknownCall !== undefined) {
      res.status(409).json(unknownCall);
      return;
    }
    const thread = await openThread(deps.threads, sub, id, messages);
    if (thread instanceof NewChatRefused) {
      res
        .status(thread.status)
        .set("Retry-After", String(thread.retryAfterSeconds))
        .json(thread.body);
      return;
    }
    if (!("threadId" in thread)) {
      res.status(409).json(thread);
      return;
    }
    try {
      const refused =
        (await waitingBeside(deps.threads, sub, id, messages)) ??
        fullChat(deps.threads, thread, id, messages);
      if (refused !== undefined) {
        await thread.release();
        res.status(409).json(refused);
        return;
      }
      const recorded = await withRecordedResults(thread, id, messages);
      if (!Array.isArray(recorded)) {
        await thread.release();
        res.status(409).json(recorded);
        return;
      }
      answer(deps, thread, id, recorded, res, await thread.orders());
    } catch (error) {
      // The stream never started, so its onFinish never releases the thread: do it here, or
      // the chat answers thread_busy until the lease runs out. Express answers server_error.
      await thread.release();
      throw error;
    }
  };
}

/**
 * The tool part withInterruptions runs again, if the request is a resume: a last part whose
 * output has a truthy `continueInterruption` (its own test).
 */
function resumedPart(messages: UIMessage[]): ToolUIPart | undefined {
  const part = messages.at(-1)?.parts.at(-1);
  if (part === undefined || !isToolUIPart(part) || part.state !== "output-available") {
    return undefined;
  }
  const output: unknown = part.output;
  const resumes =
    typeof output === "object" &&
    output !== null &&
    Boolean((output as { continueInterruption?: unknown }).continueInterruption);
  return resumes ? part : undefined;
}

/**
 * The 409 to answer when the page hands back a tool call this chat never made, or one whose
 * input is not the purchase this chat recorded under its id. A resume runs
 * the tool call again with its input as sent, and the purchase tool, finding no record of the
 * call in the chat, would ask the person anew (a second push for a purchase the page thinks is
 * waiting).
 * It happens when the web app restarted since (it keeps chats in memory), or when a client
 * names a call of another chat.
 */
async function unknownResume(
  threads: ChatThreads,
  sub: string,
  id: string,
  messages: UIMessage[],
): Promise<{ error: string; error_description: string } | undefined> {
  const part = resumedPart(messages);
  if (part === undefined) return undefined;
  const { toolCallId } = part;
  // Read without the thread's lease: a purchase, once recorded, keeps its call and its input.
  const recorded = await threads.purchase(sub, id, toolCallId);
  if (recorded === undefined) {
    return {
      error: "purchase_unknown",
      error_description:
        `${unknownPurchaseText(id, toolCallId, "to resume")}. This resume asked Auth0 nothing and ` +
        `ordered nothing. ${FORGOTTEN_CAVEAT}, in a new chat. A consent request of a purchase ` +
        "the app forgot may still show on the phone, and approving it orders nothing.",
    };
  }
  // The resume runs the call with the input as sent: another purchase under this call's id,
  // which the purchase tool refuses, but only once the model has run.
  if (!isDeepStrictEqual(part.input, recorded.purchase)) {
    return {
      error: "purchase_mismatch",
      error_description:
        `Chat ${id}'s purchase ${toolCallId} is ${JSON.stringify(recorded.purchase)}, and the ` +
        `resume sent ${JSON.stringify(part.input)}: send the tool call back as the chat gave it. ` +
        "Nothing was sent or ordered.",
    };
  }
  return undefined;
}

/**
 * Interrupt mode: the 409 `purchase_pending` to answer anything but the resume of a purchase of
 * the chat that waits for the person. The turn that asked for it ended at its interrupt, so the
 * chat is free, but only that resume may go on with it: another page of the chat (a second tab)
 * that never saw it would have the model ask for its own purchase beside it, a second push, and
 * for the same words a second order. That page follows the chat instead and shows the purchase.
 * Block mode needs no such check: a waiting purchase holds the chat, which answers thread_busy.
 */
async function waitingBeside(
  threads: ChatThreads,
  sub: string,
  id: string,
  messages: UIMessage[],
): Promise<{ error: string; error_description: string } | undefined> {
  if (threads.mode !== "interrupt") return undefined;
  const resumed = resumedPart(messages)?.toolCallId;
  const waiting = (await threads.purchases(sub, id))?.purchases.find(
    (purchase) => purchase.result.outcome === "PENDING" && purchase.toolCallId !== resumed,
  );
  if (waiting === undefined) return undefined;
  const { toolCallId, result } = waiting;
  const binding = result.bindingMessage === undefined ? "" : ` ("${result.bindingMessage}")`;
  return {
    error: "purchase_pending",
    error_description:
      `Chat ${id}'s purchase ${toolCallId}${binding} still waits for the person's answer, and ` +
      "only its resume goes on with the chat: a message sent now would ask for another " +
      `purchase beside it. GET /api/chat/${id}/purchases shows it; send the message once it ` +
      "is decided. Nothing was sent or ordered.",
  };
}

/**
 * The 409 `chat_full` to answer a new message in a chat that keeps `purchasesPerChat`
 * purchases, its most, before the model runs: what the app keeps of a chat stays bounded (see
 * kept-chats.ts). The resume of a purchase the chat holds goes on, so that its approval is
 * answered; the purchase tool tries no new one past the bound (`chatFullResult`).
 */
function fullChat(
  threads: ChatThreads,
  thread: OpenThread,
  id: string,
  messages: UIMessage[],
): { error: string; error_description: string } | undefined {
  if (!thread.full || resumedPart(messages) !== undefined) return undefined;
  return {
    error: "chat_full",
    error_description:
      `Chat ${id} holds ${String(threads.purchasesPerChat)} purchases, the most one chat keeps: ` +
      "start a new chat (New chat on the page) and send your message there. Nothing was asked " +
      "or ordered.",
  };
}

/**
 * The messages with the result this chat recorded for each purchase the client still shows
 * without one (a page whose block-mode stream broke before the result came, and that sends the
 * chat on before it learnt the result from the purchase route), or the 409 to answer when such
 * a purchase still waits for the person. Run without its result, the call would read to the
 * model as a purchase asked for and never answered, and the model would ask again: a second
 * consent request for a purchase already ordered, or refused.
 */
async function withRecordedResults(
  thread: OpenThread,
  id: string,
  messages: UIMessage[],
): Promise<UIMessage[] | { error: string; error_description: string }> {
  const filled: UIMessage[] = [];
  for (const message of messages) {
    const parts: UIMessage["parts"] = [];
    for (const part of message.parts) {
      if (
        !isToolUIPart(part) ||
        (part.state !== "input-available" && part.state !== "input-streaming")
      ) {
        parts.push(part);
        continue;
      }
      const result = await thread.purchaseResult(part.toolCallId);
      if (result === undefined) {
        parts.push(part);
      } else if (result.outcome === "PENDING") {
        return {
          error: "purchase_pending",
          error_description:
            `Chat ${id}'s purchase ${part.toolCallId} still waits for the person's answer: ` +
            `GET /api/chat/${id}/purchases/${part.toolCallId} says when it has one, then send the chat on`,
        };
      } else {
        parts.push({ ...part, state: "output-available", output: result });
      }
    }
    filled.push({ ...message, parts });
  }
  return filled;
}

/**
 * What `read` gives, or the 409 `thread_unreadable` to answer when chat `id`'s thread entry
 * cannot be read. Such an entry answers 409 each time rather than being discarded: it holds the
 * chat's purchase records, which are what stops a resume from asking twice or ordering twice,
 * and the person loses nothing by a new chat.
 */
async function readingThread<T>(
  id: string,
  read: () => Promise<T>,
): Promise<T | { error: string; error_description: string }> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof StoreEntryError)) throw error;
    return {
      error: "thread_unreadable",
      error_description: `Chat ${id}: ${UNREADABLE_THREAD_TEXT}`,
    };
  }
}

/**
 * The thread, the 409 to answer (see `readingThread`), or why a new chat was refused (429 or
 * 503, with Retry-After).
 */
async function openThread(
  threads: ChatThreads,
  sub: string,
  id: string,
  messages: UIMessage[],
): Promise<OpenThread | NewChatRefused | { error: string; error_description: string }> {
  let thread: Awaited<ReturnType<typeof readingThread<OpenThread | undefined>>>;
  try {
    const messageId = messages.findLast((message) => message.role === "user")?.id;
    thread = await readingThread(id, () =>
      threads.open(sub, id, lastUserText(messages), messageId),
    );
  } catch (error) {
    if (error instanceof NewChatRefused) return error;
    throw error;
  }
  return (
    thread ?? {
      error: "thread_busy",
      error_description: `Chat ${id} is answering another request: send this one when it has finished`,
    }
  );
}

/** Runs the chat turn on the locked thread and streams it; the stream releases the thread. */
function answer(
  deps: ChatRouteDeps,
  thread: OpenThread,
  id: string,
  messages: UIMessage[],
  res: Response,
  orders: readonly EarlierOrder[],
): void {
  setAIContext({ threadID: id });
  const { tools } = thread;
  const status = new ApprovalStatus(deps.approverUrl);
  /** What this request ordered, each in a sentence: an error after it must say it stands. */
  const ordered: string[] = [];
  thread.onEvent((event) => {
    if (event.type === "purchase-finished" && event.result.outcome === "ORDERED") {
      ordered.push(describeResult(event.result));
    }
    status.listener(event);
  });
  /** The stream's writer, once it exists. */
  let streamWriter: UIMessageStreamWriter | undefined;
  const streamErrors = new StreamErrors(
    (error) => clientErrorText(error, ordered),
    errorSerializer,
    (error) => {
      (deps.reportError ?? reportToStderr)(error, "POST /api/chat");
    },
    (error) => {
      // Its code, before the error's text: the page shows it beside the words, as it shows a
      // refusal's, also when the error cuts an answer the model had begun.
      const code = clientErrorCode(error);
      if (code !== undefined) {
        streamWriter?.write({ type: ERROR_CODE_PART, data: { code }, transient: true });
      }
    },
  );
  const errorText = streamErrors.text;
  /** The model's last words, once its last step ended with no tool call left to run. */
  let reply: string | undefined;
  /** The answer the request ends with when the model does not write it. */
  let turnAnswer: TurnAnswer | undefined;
  // A page that goes away before the turn asked for any purchase leaves nothing to follow: the
  // model's calls are aborted, and the chat is free at once rather than after the model's
  // timeout. Once a purchase is under way the turn goes on without the page (it follows the
  // chat from GET /api/chat/:id/purchases), ordering on approval and going on to the rest.
  const pageGone = new AbortController();
  let purchaseAsked = false;
  res.once("close", () => {
    if (!res.writableFinished && !purchaseAsked) pageGone.abort();
  });

  // createUIMessageStream starts `execute` before it can still throw: nothing runs (no resumed
  // purchase) until the stream exists, so a failure here leaves nothing behind the lock.
  let begin: () => void = () => undefined;
  const begun = new Promise<void>((resolve) => {
    begin = resolve;
  });
  const execute = withInterruptions(
    ({ writer }) => {
      const resumed = resumedToolOutput(messages);
      if (resumed !== undefined) writer.write({ type: "tool-output-available", ...resumed });
      purchaseAsked ||= resumed !== undefined;
      turnAnswer = new TurnAnswer(
        resumed?.output,
        resumed === undefined ? [] : untriedBeside(messages),
      );
      if (turnAnswer.endedBeforeModel) {
        // The resumed purchase did not go through: the turn ends there, as the CLI's does.
        const ended: UIMessageChunk[] = [
          { type: "start" },
          ...turnAnswer.chunks(),
          { type: "finish" },
        ];
        for (const chunk of ended) writer.write(chunk);
        return;
      }
      const result = streamText({
        // What the chat ordered before stands, and is not ordered again unasked.
        model: withEarlierOrders(withModelDeadline(deps.model), orders),
        abortSignal: pageGone.signal,
        onChunk: ({ chunk }) => {
          purchaseAsked ||= chunk.type === "tool-call" || chunk.type === "tool-input-start";
        },
        system: SYSTEM_PROMPT,
        // After withInterruptions ran a resumed tool: the model reads its own result.
        messages: convertToModelMessages(withResumedOutputs(messages)),
        tools,
        // As the CLI's: no model step after a purchase that did not go through.
        stopWhen: [stepCountIs(MAX_STEPS), endsTurn],
        providerOptions: { openai: { parallelToolCalls: false } },
        // Auth0's samples for AI SDK 5: a tool call that ended in an interrupt becomes the
        // stream's error, which errorSerializer writes as the interrupt part.
        // The step's first such call, wherever its part is: a model that called the tool twice
        // in one step (OpenAI's parallel calls) has the second call's result after it, a call
        // not tried beside the purchase that waits.
        onFinish: (output) => {
          // An answer not complete (cut off, filtered, no finish reason) is not the reply: the
          // turn's answer says so instead (TurnAnswer).
          if (output.finishReason === "stop") reply = output.text;
          const interrupted =
            output.finishReason === "tool-calls" ? toolErrorThatRan(output.content) : undefined;
          if (interrupted !== undefined) {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- the shape errorSerializer reads
            throw {
              cause: interrupted.error,
              toolCallId: interrupted.toolCallId,
              toolName: interrupted.toolName,
              toolArgs: interrupted.input,
            };
          }
        },
        onError: () => undefined,
      });
      // A failed model call arrives as the stream's error part, which the SDK would write as
      // "An error occurred." (after an order, an invitation to ask, and buy, again): it is
      // written as the CLI says it, by the same words.
      writer.merge(turnAnswer.around(result.toUIMessageStream({ onError: errorText })));
    },
    { messages, tools },
  );
  const stream = createUIMessageStream({
    originalMessages: messages,
    execute: async (options) => {
      await begun;
      // Before withInterruptions runs a resumed purchase: its approval and its order at the
      // shop show as they happen, not once the shop has answered.
      status.attach(options.writer);
      streamWriter = options.writer;
      await execute(options);
    },
    onError: streamErrors.serialized,
    onFinish: () => {
      thread.replied(turnAnswer?.answer ?? reply);
      void thread.release();
    },
  });
  begin();
  sendEventStream(res, createUIMessageStreamResponse({ stream }), deps.heartbeat);
}
