/**
 * The chat page's script (bundled by esbuild at its first request): `ai`'s own chat client
 * (AbstractChat with DefaultChatTransport, which parses the UI message stream), rendered
 * without a framework. A purchase waiting for approval shows as a card with a link to the
 * approver page; in interrupt mode the card comes from `@auth0/ai-vercel`'s interrupt and the
 * page resumes the tool call every interval, as its `useInterruptions` hook does.
 *
 * A purchase waiting for the person outlives the page (see `savePendingChat`): a page opened
 * after the tab was closed resumes it at once (interrupt mode), so an approval given meanwhile
 * still places the order, or learns how the turn it missed ended (block mode: the app went on
 * waiting, see `followPurchase`); a denial or an expiry is told. Two pages of one chat (two
 * tabs) show one conversation (see `shareChat` and `keepPendingChat`).
 */
import {
  AbstractChat,
  DefaultChatTransport,
  getToolName,
  isToolUIPart,
  lastAssistantMessageIsCompleteWithToolCalls,
  type ChatState,
  type ChatStatus,
  type UIMessage,
} from "ai";

import { answerErrorMetadata, answerErrorOf, ERROR_CODE_PART } from "./answer-error.js";
import {
  decidedStatus,
  ORDERING,
  UNCONFIRMED,
  type ApprovalStatusData,
} from "./approval-status.js";
import { INTERRUPTION_PREFIX } from "./interruption-prefix.js";
import {
  decidedHeading,
  NOT_RUN,
  NOT_TRIED,
  notRunText,
  notTriedText,
} from "./decided-card-text.js";
import { mergeChatViews, standInPurchaseId, standInReplyId } from "./merge-chat-views.js";
import { patchChildren } from "./patch-children.js";
import { personWords } from "./person-words.js";
import { SESSION_CHANGED, SHOWN_PERSON_HEADER } from "./shown-person.js";
import { bindingMessageIn, pendingInterruptText } from "./pending-interrupt-text.js";

interface Session {
  user: { sub: string; name?: string; email?: string };
  approverUrl: string | null;
  mode: "block" | "interrupt";
}

interface Interrupt {
  code: string;
  message: string;
  request?: { id: string; requestedAt: number; expiresIn: number; interval?: number };
  toolCall: { id?: string; name?: string; args?: { product?: string; qty?: number } };
}

/** The chat's state, kept in plain fields; every change re-renders the page. */
class PageChatState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];

  constructor(private readonly changed: () => void) {}

  pushMessage = (message: UIMessage) => {
    this.messages = [...this.messages, message];
    this.changed();
  };

  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
    this.changed();
  };

  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = this.messages.map((m, i) => (i === index ? message : m));
    this.changed();
  };

  snapshot = <T>(thing: T): T => structuredClone(thing);
}

class PageChat extends AbstractChat<UIMessage> {
  constructor(
    readonly pageState: PageChatState,
    onError: (error: Error) => void,
    id: string | undefined,
  ) {
    super({
      ...(id === undefined ? {} : { id }),
      state: pageState,
      transport: new DefaultChatTransport({
        api: "/api/chat",
        fetch: fetchChat,
        // The person this page shows: the app refuses the chat if the session is another's.
        headers: (): Record<string, string> =>
          session === undefined
            ? {}
            : { [SHOWN_PERSON_HEADER]: encodeURIComponent(session.user.sub) },
      }),
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls,
      onError,
      onData: (part) => {
        if (part.type === ERROR_CODE_PART && isRecord(part.data)) {
          const { code } = part.data;
          if (typeof code === "string") streamErrorCode = code;
        }
        if (part.type === "data-approval" && part.id !== undefined) {
          const approval = withAskedPurchase(part.id, part.data as ApprovalStatusData);
          approvals.set(part.id, approval);
          // Block mode: the app waits for the answer within this request; a page opened after
          // this one closed learns how it ended (followPurchase).
          if (approval.status === "PENDING" && session?.mode === "block") {
            saveBlockedChat(part.id, approval);
          }
          render();
        }
      },
    });
  }

  protected override setStatus(update: { status: ChatStatus; error?: Error }): void {
    // A new request: the code of the last one's error is no longer news.
    if (update.status === "submitted") streamErrorCode = undefined;
    super.setStatus(update);
    // A request that ended without an interrupt decided the purchase (or made none). One that
    // got no answer about the chat may have reached the app: the message stays kept (the next
    // page warns of it) until the page learns where the chat stands.
    if (
      update.status === "ready" ||
      (update.status === "error" && !(update.error instanceof ChatUnavailable))
    ) {
      forgetSentMessage();
    }
    // A request that ended in an error about the chat (the model failed after an order in block
    // mode) with nothing left waiting or followed: the purchase the page kept the chat for is
    // decided, and a later page must not take it for one that waited when the app restarted.
    if (
      update.status === "error" &&
      !(update.error instanceof ChatUnavailable) &&
      waitingHere() === undefined &&
      following === undefined
    ) {
      forgetPendingChat();
    }
    if (update.status === "ready") {
      failedResumes = 0;
      waitNote = undefined;
      if (interrupt === undefined) {
        resumedInterrupt = undefined;
        forgetPendingChat();
      }
      showOthers();
    }
    if (update.status === "ready" || update.status === "error") {
      // What another page of the chat shared while this one's request ran, then this page's turn.
      const later = sharedLater;
      sharedLater = undefined;
      if (later !== undefined) takeUpShared(later);
      shareChat();
    }
    render();
  }
}

/**
 * A chat request that got no answer about the chat: the web app could not be reached, the
 * connection broke while its answer streamed, or the app (or a proxy in front of it) failed
 * with a 5xx or 429. A waiting purchase asks again (see `retryResume`); nothing else does.
 */
class ChatUnavailable extends Error {
  override name = "ChatUnavailable";
}

const isAbort = (error: unknown) => isRecord(error) && error.name === "AbortError";

/** The chat transport's fetch: failures that say nothing about the chat are ChatUnavailable. */
async function fetchChat(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ChatUnavailable("The agent's web app cannot be reached", { cause: error });
  }
  if (response.status >= 500 || response.status === 429) {
    const text = await response.text().catch(() => "");
    // The app's own refusal to start the chat says all about it: it read nothing of the message.
    if (NEW_CHAT_REFUSALS.has(refusalIn(text)?.code ?? "")) {
      const { status, statusText, headers } = response;
      return new Response(text, { status, statusText, headers });
    }
    throw new ChatUnavailable(
      `The agent's web app answered ${String(response.status)}` +
        (text === "" ? "" : `: ${refusalIn(text)?.description ?? text.slice(0, 200)}`),
    );
  }
  if (response.body === null) return response;
  const { status, statusText, headers } = response;
  return new Response(breakIsUnavailable(response.body), { status, statusText, headers });
}

/** `body`, whose read failing (the connection broke) fails as ChatUnavailable. */
function breakIsUnavailable(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(
          isAbort(error)
            ? error
            : new ChatUnavailable("The connection to the agent's web app broke", {
                cause: error,
              }),
        );
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function $(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found;
}
const messagesList = $("messages") as HTMLOListElement;
const form = $("ask") as HTMLFormElement;
const input = $("prompt") as HTMLInputElement;
const statusLine = $("status") as HTMLParagraphElement;
/** Where a screen reader is told what the chat shows anew (see `announceNew`). */
const announcer = $("announcer");

let session: Session | undefined;
let interrupt: Interrupt | undefined;
/** The interrupt the last resume answers: still the one waiting if that resume is refused. */
let resumedInterrupt: Interrupt | undefined;
let resumeTimer: ReturnType<typeof setTimeout> | undefined;
/** Set once the person logs out in this page: it keeps nothing more of the chat. */
let loggingOut = false;
/** Resumes in a row that got no answer (ChatUnavailable). */
let failedResumes = 0;
/** Why the page is not asking right now while the purchase waits, shown after the status. */
let waitNote: string | undefined;
/**
 * Set when the person pressed Enter in the message box while Send was off (a purchase waits, or
 * the agent answers): the browser sends nothing then, and the status line says why until Send is
 * back.
 */
let held = false;
/** What the page has to tell when nothing waits or runs (a followed purchase's end): before an error. */
let notice: string | undefined;
/**
 * Set while the page's message got no answer and the app cannot be asked yet whether it read it
 * (see `followPurchase`): what the status line says meanwhile.
 */
let arrivalUnknown: string | undefined;
/** The tool call of the block-mode purchase this page follows (followPurchase), if any. */
let following: string | undefined;
/** The polling interval of the chat it follows, in seconds, once a purchase has one. */
let followInterval: number | undefined;
/**
 * A message of this page's the app refused because another page's request held the chat (see
 * `onChatError`): its text, told until the person sends again.
 */
let unsent: string | undefined;
/**
 * How often, at most, a page asks how a block-mode purchase it follows ended. A purchase whose
 * polling interval is shorter (a tenant that lets the app poll Auth0 faster, as `pnpm dev`'s
 * 1 s) is asked after each interval instead: the app learns the decision no sooner, and the
 * page shows it no later.
 */
const FOLLOW_SECONDS = 2;
/** The longest wait between two resumes after failures. */
const MAX_RETRY_SECONDS = 30;
let lastToolCall: { id: string; name: string } | undefined;
/** The code of the error the current request's stream ended in, sent just before it. */
let streamErrorCode: string | undefined;
/** The approval status of each tool call, from the stream's transient data parts. */
const approvals = new Map<string, ApprovalStatusData>();

/** Whether a purchase is still to be decided: it waits for the person, or for the shop. */
const undecided = (approval: ApprovalStatusData | undefined) =>
  approval?.status === "PENDING" || approval?.status === ORDERING;

/**
 * `approval` of tool call `toolCallId` with what was asked, when it does not say (an order
 * placed by a resume, whose stream never showed the card waiting): the consent request the
 * page showed, so the card still names the purchase.
 */
function withAskedPurchase(toolCallId: string, approval: ApprovalStatusData): ApprovalStatusData {
  if (approval.bindingMessage !== undefined) return approval;
  const asked = [interrupt, resumedInterrupt].find((one) => one?.toolCall.id === toolCallId);
  const bindingMessage =
    approvals.get(toolCallId)?.bindingMessage ??
    (asked === undefined ? undefined : bindingOfInterrupt(asked));
  return bindingMessage === undefined ? approval : { ...approval, bindingMessage };
}

const state = new PageChatState(() => {
  render();
});
/** Made once the person is known: a saved chat keeps its id (see `start`). */
let chat: PageChat | undefined;

/**
 * Where a page keeps a chat whose purchase waits for the person, for the next page: one key per
 * person and chat (`<prefix><sub>:<chat id>`), so that another person's login in the same
 * browser leaves it for its owner's next login, and a chat in another tab does not replace it.
 */
const PENDING_CHAT_PREFIX = "shopping-agent.pending-chat:";

/**
 * Where a page keeps a message it sent until the app's answer shows where it stands: a page
 * left before the purchase's card came cannot follow that purchase (it never learnt its tool
 * call), but the app goes on with it, and the next page must say so before the person asks
 * again and approves a second purchase.
 */
const SENT_MESSAGE_PREFIX = "shopping-agent.sent-message:";

/**
 * Where a page keeps a message the app refused because the session had ended: the login the
 * person goes through leaves the page, and the page it returns to puts the message back in the
 * box, so the person sends it instead of typing it anew.
 */
const UNSENT_MESSAGE_PREFIX = "shopping-agent.unsent-message:";

/** How long a browser keeps what a person left there (a kept chat, a sent message). */
const KEPT_FOR_MS = 86_400_000;

/** The logged-in person's key under `prefix`; undefined while nobody is logged in. */
const keyOf = (prefix: string) =>
  session === undefined ? undefined : `${prefix}${session.user.sub}`;

/**
 * The page's localStorage, which may be full or off: the page works without it, and only
 * this page can then go on with what it would have kept.
 */
function keep(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or off: nothing is kept for the next page.
  }
}

function forget(key: string | undefined): void {
  if (key === undefined) return;
  try {
    localStorage.removeItem(key);
  } catch {
    // Storage off: nothing was kept.
  }
}

/** What `key` holds, unchecked; null when nothing readable. */
function readKept(key: string | undefined): unknown {
  if (key === undefined) return null;
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function keepSentMessage(text: string): void {
  const key = keyOf(SENT_MESSAGE_PREFIX);
  if (key !== undefined) keep(key, { text, at: Date.now() });
}

function forgetSentMessage(): void {
  forget(keyOf(SENT_MESSAGE_PREFIX));
}

/** A message the person sent from a page left before its answer came, within the last hour. */
function unansweredMessage(): string | undefined {
  const saved = readKept(keyOf(SENT_MESSAGE_PREFIX));
  forgetSentMessage();
  if (!isRecord(saved) || typeof saved.text !== "string") return undefined;
  if (typeof saved.at !== "number" || Date.now() - saved.at > 3_600_000) return undefined;
  return saved.text;
}

/** Keeps `text`, a message not sent as the session had ended, for the person's next login. */
function keepUnsentMessage(text: string): void {
  const key = keyOf(UNSENT_MESSAGE_PREFIX);
  if (key !== undefined) keep(key, { text, at: Date.now() });
}

/** The message the person's last session ended before it was sent, if one is kept; forgotten. */
function takeUnsentMessage(): string | undefined {
  const key = keyOf(UNSENT_MESSAGE_PREFIX);
  const saved = readKept(key);
  forget(key);
  return isRecord(saved) && typeof saved.text === "string" ? saved.text : undefined;
}

/**
 * Drops what other people left in this browser more than KEPT_FOR_MS ago (their purchases
 * have long been decided or expired), and anything unreadable under the page's keys.
 */
function dropStaleKept(): void {
  const prefixes = [PENDING_CHAT_PREFIX, SENT_MESSAGE_PREFIX, UNSENT_MESSAGE_PREFIX];
  for (const key of prefixes.flatMap(keptKeys)) {
    const saved = readKept(key);
    if (!isRecord(saved) || typeof saved.at !== "number" || Date.now() - saved.at > KEPT_FOR_MS) {
      forget(key);
    }
  }
}

/** The keys of localStorage that start with `prefix`; none when storage is off. */
function keptKeys(prefix: string): string[] {
  try {
    return Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).filter(
      (key): key is string => key?.startsWith(prefix) === true,
    );
  } catch {
    return [];
  }
}

/**
 * What the next page needs to go on with a waiting purchase: the chat and its tool call, and
 * either the interrupt it resumes (interrupt mode) or the approval it was showing (block mode).
 */
interface PendingChat {
  sub: string;
  /** When it was kept (epoch ms). */
  at: number;
  chatId: string;
  messages: UIMessage[];
  toolCall: { id: string; name: string };
  interrupt?: Interrupt;
  approval?: ApprovalStatusData;
  /** Kept when the person logged out: `messages` then hold no words of the agent's. */
  keptAtLogout?: boolean;
  /** Which page kept it, and how many times that page had kept a chat (see `keepPendingChat`). */
  revision?: string;
}

/** What a page waits for in its chat: a purchase's tool call, and its interrupt or approval. */
type Waiting = Pick<PendingChat, "toolCall" | "interrupt" | "approval">;

/** Whether `value` is what a page waits for (a kept chat's, or a shared one's). */
function isWaiting(value: unknown): value is Waiting {
  return (
    isRecord(value) &&
    isRecord(value.toolCall) &&
    typeof value.toolCall.id === "string" &&
    typeof value.toolCall.name === "string" &&
    (isRecord(value.interrupt) || isRecord(value.approval))
  );
}

/** This page among the browser's pages of the app: it names the chats it keeps. */
const PAGE_ID = Math.random().toString(36).slice(2);
let keptCount = 0;
/** The revision of the kept chat this page's view holds: the one it kept or took up last. */
let keptRevision: string | undefined;

/**
 * How the pages of the app in this browser tell each other their chat's conversation, at the
 * end of each request and each time they keep it (see `shareChat`). Nothing is stored.
 */
const chatChannel =
  typeof BroadcastChannel === "function" ? new BroadcastChannel("shopping-agent.chat") : undefined;

/** A page's chat as it tells the other pages: the conversation, and what it waits for. */
interface SharedChat {
  sub: string;
  chatId: string;
  messages: UIMessage[];
  waiting?: Waiting;
}

/** What another page of this chat shared while this page's own request ran. */
let sharedLater: SharedChat | undefined;
/** What this page shared last: its conversation, and the tool call it waited for. */
let sharedLast: { messages: UIMessage[]; waitingFor: string | undefined } | undefined;

/** Whether a request of this page's runs on its chat. */
const isBusy = () => chat?.status === "submitted" || chat?.status === "streaming";

/** What this page waits for in its chat, if anything. */
function waitingHere(): Waiting | undefined {
  if (interrupt !== undefined && lastToolCall !== undefined) {
    return { toolCall: lastToolCall, interrupt };
  }
  for (const [toolCallId, approval] of approvals) {
    const toolCall = undecided(approval) ? toolCallShown(toolCallId) : undefined;
    if (toolCall !== undefined) return { toolCall, approval };
  }
  return undefined;
}

/**
 * Tells the other pages of this browser the chat's conversation as this page has it, and what
 * it waits for: a page of the same person and chat (a second tab) takes it up.
 */
function shareChat(): void {
  if (chatChannel === undefined || session === undefined || chat === undefined) return;
  const waiting = waitingHere();
  const waitingFor = waiting?.toolCall.id;
  if (sharedLast?.messages === state.messages && sharedLast.waitingFor === waitingFor) return;
  sharedLast = { messages: state.messages, waitingFor };
  const shared: SharedChat = {
    sub: session.user.sub,
    chatId: chat.id,
    messages: state.messages,
    ...(waiting === undefined ? {} : { waiting }),
  };
  chatChannel.postMessage(shared);
}

/**
 * Another page of this chat (a second tab) shared it: this page shows the turns it had not
 * seen (`mergeChatViews`: none of its own is lost), and goes on with a purchase that page
 * waits for as a page opened now would (interrupt mode: resumes it after its interval; block
 * mode: follows it), unless it waits for one itself. While its own request runs, it does so
 * once that has ended.
 */
function takeUpShared(shared: SharedChat): void {
  if (session === undefined || chat === undefined) return;
  if (shared.sub !== session.user.sub || shared.chatId !== chat.id) return;
  if (isBusy()) {
    sharedLater = shared;
    return;
  }
  const { waiting } = shared;
  // The other page's resume decided the purchase this page waited for (this page's own may have
  // been refused as that one ran): this page waits for it no more, and goes on as that page does.
  let ownWaiting = waitingHere()?.toolCall.id;
  let ended = false;
  if (ownWaiting !== undefined && decidedIn(shared.messages, ownWaiting)) {
    endDecidedWait();
    ownWaiting = undefined;
    ended = true;
  }
  state.messages = mergeChatViews(
    state.messages,
    shared.messages,
    ownWaiting ?? waiting?.toolCall.id,
  );
  if (ended && following !== undefined) {
    // Block mode: the wait's end cancelled the follow's next poll (`resumeTimer`), and the page
    // would stay following, Send off, for good. One more poll ends the follow as its own would.
    void followPurchase(chat.id, following);
  }
  if (waiting !== undefined && ownWaiting === undefined && following === undefined) {
    lastToolCall = waiting.toolCall;
    if (waiting.interrupt !== undefined) {
      interrupt = waiting.interrupt;
      scheduleResume(interrupt);
    } else if (waiting.approval !== undefined) {
      approvals.set(waiting.toolCall.id, waiting.approval);
      void followPurchase(chat.id, waiting.toolCall.id);
    }
  }
  render();
}

function isSharedChat(value: unknown): value is SharedChat {
  return (
    isRecord(value) &&
    typeof value.sub === "string" &&
    typeof value.chatId === "string" &&
    Array.isArray(value.messages) &&
    (value.waiting === undefined || isWaiting(value.waiting))
  );
}

chatChannel?.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (isSharedChat(event.data)) takeUpShared(event.data);
});

/**
 * Keeps the chat while its purchase waits, in the browser's localStorage under the person's
 * `sub`: only then, and only until the purchase is decided (a logout keeps less, see
 * `keepPurchaseOnly`). The server keeps the thread under the same chat id, so the next
 * page's resume polls the same request instead of sending another push.
 */
function savePendingChat(): void {
  if (interrupt === undefined || lastToolCall === undefined) return;
  keepPendingChat({ toolCall: lastToolCall, interrupt });
}

/**
 * Keeps a block-mode chat while its purchase waits: the tool call `toolCallId` (found in the
 * messages, which hold it from the moment the call streamed) and the approval on its card.
 */
function saveBlockedChat(toolCallId: string, approval: ApprovalStatusData): void {
  const toolCall = toolCallShown(toolCallId);
  if (toolCall !== undefined) keepPendingChat({ toolCall, approval });
}

/** The tool call `toolCallId` as the page's messages show it, if they do. */
function toolCallShown(toolCallId: string): { id: string; name: string } | undefined {
  const part = state.messages
    .flatMap((message) => message.parts)
    .find((candidate) => isToolUIPart(candidate) && candidate.toolCallId === toolCallId);
  return part !== undefined && isToolUIPart(part)
    ? { id: toolCallId, name: getToolName(part) }
    : undefined;
}

function keepPendingChat(waiting: Waiting): void {
  if (loggingOut || session === undefined || chat === undefined) return;
  // The next page follows this purchase: it need not warn of an unanswered message.
  forgetSentMessage();
  const { sub } = session.user;
  // Another page of the chat (a second tab) kept it since this one did: its turns are kept with
  // this page's, never written over, and this page shows them too (once its request ends).
  const kept = pendingChatsOf(sub).find((other) => other.chatId === chat?.id);
  const messages =
    kept !== undefined && kept.revision !== keptRevision
      ? mergeChatViews(state.messages, kept.messages, waiting.toolCall.id)
      : state.messages;
  keptCount += 1;
  const revision = `${PAGE_ID}.${String(keptCount)}`;
  // While this page's request streams, its view changes only with it: it takes up the other
  // page's turns after (that page shares them), and merges them again at its next keep.
  if (!isBusy()) {
    state.messages = messages;
    keptRevision = revision;
  }
  const saved: PendingChat = {
    sub,
    at: Date.now(),
    chatId: chat.id,
    messages,
    ...waiting,
    revision,
  };
  keep(pendingChatKey(saved.sub, saved.chatId), saved);
  shareChat();
}

const pendingChatKey = (sub: string, chatId: string) => `${PENDING_CHAT_PREFIX}${sub}:${chatId}`;

/** Forgets the page's chat: its purchase was decided, or the app can never go on with it. */
function forgetPendingChat(): void {
  if (session !== undefined && chat !== undefined) {
    forget(pendingChatKey(session.user.sub, chat.id));
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * The chats pages left waiting for `sub`'s answer (`sub` is the logged-in person), the latest
 * kept first; what is not a kept chat is dropped.
 */
function pendingChatsOf(sub: string): PendingChat[] {
  const chats: PendingChat[] = [];
  for (const key of keptKeys(`${PENDING_CHAT_PREFIX}${sub}:`)) {
    const saved = readKept(key) as { [K in keyof PendingChat]?: unknown } | null;
    const usable =
      saved?.sub === sub &&
      typeof saved.at === "number" &&
      typeof saved.chatId === "string" &&
      key === pendingChatKey(sub, saved.chatId) &&
      Array.isArray(saved.messages) &&
      isWaiting(saved);
    if (usable) chats.push(saved as PendingChat);
    else forget(key);
  }
  return chats.sort((a, b) => b.at - a.at);
}

/** What the person wrote in `message`. */
function textOf(message: UIMessage): string {
  return message.parts
    .map((part) => (part.type === "text" ? part.text : ""))
    .join(" ")
    .trim();
}

/** The consent request's words for a purchase whose binding message the page does not have. */
function bindingOf(args: Interrupt["toolCall"]["args"] = {}): string {
  return `Do you want to buy ${String(args.qty ?? "")} ${args.product ?? ""}`;
}

/**
 * The consent request of an interrupt's purchase: its binding message as the app worded it
 * (price limit included), which an interrupt carries in its message.
 */
function bindingOfInterrupt(pending: Interrupt): string {
  return bindingMessageIn(pending.message) ?? bindingOf(pending.toolCall.args);
}

/** What a kept chat waits for, in the consent request's words. */
function waitingFor(kept: PendingChat): string {
  return (
    kept.approval?.bindingMessage ??
    (kept.interrupt === undefined ? bindingOf() : bindingOfInterrupt(kept.interrupt)).trim()
  );
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string } = {},
  ...children: (Node | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className !== undefined) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const child of children) if (child !== undefined) node.append(child);
  return node;
}

function countdown(expiresAt: number): string {
  const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

function approverLink(url: string | null | undefined): HTMLElement | undefined {
  if (url === null || url === undefined) return undefined;
  // Said before it happens (WCAG 3.2.5): the link opens a tab of its own.
  const link = element("a", { text: "Open the approver page (opens in a new tab)" });
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener";
  return link;
}

function countdownOf(expiresAt: number): HTMLElement {
  const span = element("span", {
    className: "countdown",
    text: `Expires in ${countdown(expiresAt)}`,
  });
  span.dataset.expiresAt = String(expiresAt);
  // Inside the card's status: without this, a screen reader reads the whole card every second.
  span.setAttribute("aria-live", "off");
  return span;
}

/** Moves every countdown on by the clock, without rebuilding the page. */
function tick(): void {
  for (const span of document.querySelectorAll<HTMLElement>(".countdown")) {
    span.textContent = `Expires in ${countdown(Number(span.dataset.expiresAt))}`;
  }
}

/**
 * The status of a purchase the app forgot while it waited (the app restarted): the page knows
 * it waited, and that approving it now orders nothing, but not whether it was approved before.
 */
const FORGOTTEN = "UNKNOWN";

/**
 * What the card of a purchase the app forgot says, in place of the approval it showed; `ordering`:
 * it forgot it after the person approved, while the shop had the order.
 */
function forgottenApproval(
  bindingMessage: string | undefined,
  ordering = false,
): ApprovalStatusData {
  return {
    status: FORGOTTEN,
    ...(bindingMessage === undefined ? {} : { bindingMessage }),
    description: ordering
      ? "The agent's web app restarted while it placed this order, after you approved it, and " +
        "forgot it: the shop may have it. Check your orders with the shop before you ask again."
      : "The agent's web app restarted while this purchase waited and forgot it: approving it " +
        "now orders nothing. If you approved it before, check your orders with the shop.",
  };
}

/**
 * The card of one purchase waiting for (or past) the person's answer. `toldBelow`: the agent's
 * answer below the card says how the purchase ended (a purchase that did not go through ends
 * the turn, and the answer tells it): the card then says it no more than its heading does, and
 * keeps the agent's description in its details.
 */
function approvalCard(data: ApprovalStatusData, toldBelow = false): HTMLElement {
  const pending = data.status === "PENDING";
  const ordering = data.status === ORDERING;
  const card = element(
    "div",
    { className: `approval ${pending ? "pending" : ordering ? "ordering" : "decided"}` },
    element("strong", {
      // Decided: the purchase's outcome, which is not the approval's when the order failed.
      text: pending
        ? "Waiting for approval"
        : ordering
          ? ORDERING_HEADING
          : decidedHeading(data.status),
    }),
    element("span", { className: "binding", text: data.bindingMessage ?? "" }),
    pending && data.expiresAt !== undefined ? countdownOf(Date.parse(data.expiresAt)) : undefined,
    pending && data.problem !== undefined
      ? element("span", {
          className: "why",
          text: "The agent gets no answer from Auth0; it keeps asking until the request expires.",
        })
      : undefined,
    pending && data.problem !== undefined ? technicalDetails(data.problem) : undefined,
    pending ? approverLink(data.approverUrl ?? session?.approverUrl) : undefined,
    // Why it did not go through: an ordered card says what was ordered in the answer below.
    ...(!pending && !ordering && data.status !== "ORDERED" && data.description !== undefined
      ? whyNot(data.status, data.description, toldBelow)
      : []),
  );
  card.dataset.status = data.status;
  // No live region of its own: the announcer tells it, once (see `announceNew`).
  return card;
}

/** The heading of a purchase approved whose order the shop has not answered yet, and the status line then. */
const ORDERING_HEADING = "Approved \u2014 placing your order\u2026";

/**
 * What a shopper reads on the card of a purchase they denied or let expire, where the tool's
 * description holds the tenant's own words ("The end-user denied the authorization request or
 * it has been expired", Auth0's `access_denied`), which are no sentence for them.
 */
const DECIDED_BY_PERSON: Readonly<Record<string, string>> = {
  DENIED: "It was denied, so nothing was ordered.",
  EXPIRED: "Nobody answered before the approval request expired, so nothing was ordered.",
  [UNCONFIRMED]:
    "The shop never said whether it placed this order: check your orders with the shop before you ask again.",
};

/**
 * Why a purchase did not go through (`status`), in the person's words (`personWords`), unless
 * the answer below says it (`toldBelow`), and the tool's own description, with its ids and error
 * codes, in the card's details when it says more or the card says nothing of it.
 */
function whyNot(status: string, description: string, toldBelow: boolean): HTMLElement[] {
  const said = DECIDED_BY_PERSON[status] ?? personWords(description);
  const details = technicalDetails(description);
  if (toldBelow) return [details];
  const why = element("span", { className: "why", text: said });
  return said === description ? [why] : [why, details];
}

/** A part of a card that shows what only a support person needs; no screen reader is told it. */
function technicalDetails(text: string): HTMLElement {
  return element(
    "details",
    { className: "technical" },
    element("summary", { text: "Technical details" }),
    element("span", { text }),
  );
}

/**
 * What the page told a screen reader of the chat (see `announceNew`), by what it shows: an
 * answer's text (`text:<message id>:<part>`, its words) or a purchase's card (`card:<tool call>`).
 */
const announced = new Map<string, string>();

/**
 * Set while the page shows a chat it kept or took up from before it opened: the person is not
 * told again what they read there before.
 */
let announceQuietly = false;

/**
 * Tells a screen reader, through the announcer, what the chat shows that it was not told: each
 * answer's text once it is whole (never word by word while it streams), and each purchase's card
 * when it first shows and when it changes, without its countdown, link and technical details.
 * Neither the list of messages nor a card is a live region: each thing is told once, and the
 * person's own message is not read back to them.
 */
function announceNew(): void {
  const told: string[] = [];
  for (const shown of messagesList.querySelectorAll<HTMLElement>("[data-announce]")) {
    if (shown.hasAttribute("data-streaming")) continue;
    const key = shown.dataset.announce ?? "";
    const card = shown.classList.contains("approval");
    const words = card
      ? [...shown.children]
          .filter((part) => !part.matches(".countdown, a, details"))
          .map((part) => part.textContent)
          .filter((text) => text !== "")
          .map((text, i, all) => (i === all.length - 1 ? text : asSentence(text)))
          .join(" ")
      : shown.textContent;
    const before = announced.get(key);
    announced.set(key, words);
    if (before !== words) told.push(words);
  }
  // Each thing a sentence of its own: a consent request ends with no stop of its own.
  const sentences = told.map(asSentence);
  if (told.length > 0 && !announceQuietly) announcer.textContent = sentences.join(" ");
}

/** `text` ending as a sentence: with its own stop, or a full stop added. */
const asSentence = (text: string) => (/[.!?\u2026]$/.test(text) ? text : `${text}.`);

function interruptCard(pendingInterrupt: Interrupt): HTMLElement {
  const { request } = pendingInterrupt;
  const card = approvalCard({
    status: "PENDING",
    bindingMessage: bindingOfInterrupt(pendingInterrupt),
    ...(request === undefined
      ? {}
      : {
          authReqId: request.id,
          expiresAt: new Date((request.requestedAt + request.expiresIn) * 1000).toISOString(),
        }),
  });
  card.dataset.announce = `card:${pendingInterrupt.toolCall.id ?? ""}`;
  return card;
}

/**
 * Whether the agent's words follow part `index` of `message` (its answer), in it or in the
 * agent's message after it (`next`: an answer a page that followed the chat was told apart), or
 * may yet: the request still streams. A card that said why until the answer came is told twice.
 */
function answeredAfter(message: UIMessage, index: number, next: UIMessage | undefined): boolean {
  if (isBusy() && state.messages.at(-1)?.id === message.id) return true;
  const hasWords = (parts: UIMessage["parts"]) =>
    parts.some((part) => part.type === "text" && part.text.trim() !== "");
  return (
    hasWords(message.parts.slice(index + 1)) || (next?.role === "assistant" && hasWords(next.parts))
  );
}

function renderMessage(message: UIMessage, at: number, messages: UIMessage[]): HTMLElement {
  const item = element("li", { className: `message ${message.role}` });
  message.parts.forEach((part, index) => {
    if (part.type === "text" && part.text.trim() !== "") {
      const text = element("p", { className: "text", text: part.text });
      // A failure the app told in the model's stead: its code after its words, as the status
      // line shows a refusal's, for a person who reports it or looks it up.
      const code = message.role === "assistant" ? answerErrorOf(part) : undefined;
      if (code !== undefined)
        text.append(" ", element("code", { className: "error-code", text: code }));
      if (message.role === "assistant") {
        text.dataset.announce = `text:${message.id}:${String(index)}`;
        // A request that ended (or broke) mid-text streams it no more.
        if (part.state === "streaming" && isBusy()) text.dataset.streaming = "";
      }
      item.append(text);
    } else if (isToolUIPart(part)) {
      // A call that never ran (input that is not JSON, or that the tool's schema refuses) has
      // no input, only the model's raw one.
      const notRun = part.state === "output-error" && part.input === undefined;
      const asked: unknown = notRun ? part.rawInput : part.input;
      const what =
        isRecord(asked) && typeof asked.product === "string" && typeof asked.qty === "number"
          ? `${String(asked.qty)} x ${asked.product}`
          : undefined;
      const approval = approvals.get(part.toolCallId);
      // A call with a card is told by its card: a line of its own above it said it again.
      const carded = notRun || approval !== undefined || interrupt?.toolCall.id === part.toolCallId;
      if (what !== undefined && !carded) {
        item.append(element("p", { className: "tool", text: `Shop: ${what}` }));
      }
      if (notRun && approval === undefined) {
        const card = approvalCard({
          status: NOT_RUN,
          description: notRunText(asked, part.errorText),
        });
        card.dataset.announce = `card:${part.toolCallId}`;
        item.append(card);
      } else if (approval !== undefined) {
        // A call not tried: what its result tells the model is no sentence for the person.
        const output: unknown = part.state === "output-available" ? part.output : undefined;
        const card = approvalCard(
          approval.status === NOT_TRIED
            ? {
                ...approval,
                description: notTriedText(
                  isRecord(output) && isRecord(output.purchase)
                    ? output.purchase
                    : (part.input ?? {}),
                  isRecord(output) ? output.error : undefined,
                ),
              }
            : approval,
          approval.status !== NOT_TRIED && answeredAfter(message, index, messages[at + 1]),
        );
        card.dataset.announce = `card:${part.toolCallId}`;
        item.append(card);
      }
    }
  });
  return item;
}

/**
 * The approval of each purchase the chat shows decided, from its tool call's result, where the
 * page has none (a reload, a kept chat: the stream's approval parts are not kept) or still shows
 * it waiting (another page's resume decided it: this page's got the result alone). It is what
 * the stream's last approval part of the purchase would have said: its outcome.
 */
function settleApprovals(): void {
  for (const message of state.messages) {
    for (const part of message.parts) {
      if (!isToolUIPart(part) || part.state !== "output-available") continue;
      const result: unknown = part.output;
      if (!isRecord(result) || typeof result.outcome !== "string") continue;
      const shown = approvals.get(part.toolCallId);
      if (result.outcome === "PENDING" || (shown !== undefined && !undecided(shown))) {
        continue;
      }
      // What was asked stays on the card: the result's consent request, else the one it showed.
      const bindingMessage =
        typeof result.bindingMessage === "string" ? result.bindingMessage : shown?.bindingMessage;
      approvals.set(part.toolCallId, {
        status: decidedStatus({ outcome: result.outcome, error: result.error }),
        ...(typeof result.authReqId === "string" ? { authReqId: result.authReqId } : {}),
        ...(bindingMessage === undefined ? {} : { bindingMessage }),
        ...(typeof result.description === "string" ? { description: result.description } : {}),
      });
    }
  }
}

function render(): void {
  settleApprovals();
  const rendered = state.messages.map(renderMessage);
  const shown =
    interrupt?.toolCall.id === undefined ? undefined : approvals.get(interrupt.toolCall.id);
  // Approved, its order at the shop: a resume that broke then asks again, and the card says so.
  const ordered = shown?.status === ORDERING;
  if (interrupt !== undefined && shown?.status !== "PENDING" && !ordered) {
    rendered.at(-1)?.append(interruptCard(interrupt));
  }
  patchChildren(messagesList, rendered);
  announceNew();
  const busy = isBusy();
  // A resume asks whether the purchase is still waiting: it waits until the answer says not.
  const resumed = busy ? resumedInterrupt?.toolCall.id : undefined;
  const waiting =
    (interrupt !== undefined && !ordered) ||
    (resumed !== undefined && (approvals.get(resumed)?.status ?? "PENDING") === "PENDING") ||
    [...approvals.values()].some((a) => a.status === "PENDING");
  // Only while a request or a follow can still tell the order's end.
  const ordering =
    (busy || following !== undefined || interrupt !== undefined) &&
    [...approvals.values()].some((a) => a.status === ORDERING);
  const standing = waiting
    ? "Waiting for your approval…" + (waitNote === undefined ? "" : ` ${waitNote}`)
    : ordering
      ? ORDERING_HEADING + (waitNote === undefined ? "" : ` ${waitNote}`)
      : busy
        ? "The agent is working…"
        : // A followed purchase's end, after the error that cut its request. A message the
          // app refused as the chat was busy has a note of its own instead (`unsentNote`).
          (arrivalUnknown ??
          notice ??
          (chat?.status === "error" && chat.error !== undefined && unsent === undefined
            ? coded("Error: ", chat.error.message)
            : ""));
  const unsentNote =
    unsent === undefined
      ? ""
      : `Your message "${unsent}" was not sent: this chat was busy with a request from another ` +
        "page (what it asks for shows above). Send yours again once that has ended, if you still want it.";
  const blocked = busy || waiting || ordering || following !== undefined;
  // Told until Send is back: the person sends the message then.
  if (!blocked) held = false;
  const heldNote = !held
    ? ""
    : waiting || following !== undefined
      ? "Your message is not sent: a purchase waits for your approval. Send it once that is decided; it stays in the box."
      : "Your message is not sent: the agent is still answering. Send it once it has; it stays in the box.";
  // Logged out, the page shows no chat: only what a logout left waiting (`leftWaitingNote`).
  const lines =
    session === undefined
      ? [notice ?? ""]
      : [standing, unsentNote, heldNote].filter((text) => text !== "");
  const code = errorCodes.get(lines[0] ?? "");
  const status = lines.join(" ");
  // Written again, the same words would be read again: the page renders several times a second.
  if (statusLine.dataset.shown !== `${status}\n${code ?? ""}`) {
    statusLine.dataset.shown = `${status}\n${code ?? ""}`;
    // The code after the words it belongs to, before any note that follows them.
    statusLine.replaceChildren(
      ...(code === undefined
        ? [status]
        : [
            lines[0] ?? "",
            " ",
            element("code", { className: "error-code", text: code }),
            ...lines.slice(1).map((line) => ` ${line}`),
          ]),
    );
  }
  const send = form.querySelector("button");
  // A disabled button loses the focus to the page itself: a keyboard or screen-reader user who
  // pressed Send would start again from the top. The message box, beside it, keeps it.
  if (blocked && send !== null && document.activeElement === send) input.focus();
  send?.toggleAttribute("disabled", blocked);
  // A purchase still waiting must be followed to its end: not while one waits or a turn runs.
  $("new-chat").toggleAttribute("disabled", blocked);
}

/**
 * Starts a chat with nothing in it, under a new id: after a chat the app can no longer go on
 * with (it forgot its purchase), or when the person wants a fresh start. Never while a purchase
 * waits: the page must follow it to its end (see `render`).
 */
function newChat(): void {
  clearTimeout(resumeTimer);
  forgetPendingChat();
  forgetSentMessage();
  state.messages = [];
  state.status = "ready";
  state.error = undefined;
  approvals.clear();
  interrupt = undefined;
  resumedInterrupt = undefined;
  lastToolCall = undefined;
  following = undefined;
  failedResumes = 0;
  waitNote = undefined;
  notice = undefined;
  arrivalUnknown = undefined;
  unsent = undefined;
  keptRevision = undefined;
  sharedLater = undefined;
  chat = new PageChat(state, onChatError, undefined);
  render();
  input.focus();
}

/**
 * Takes the person's last message, which the app refused without reading it, out of the
 * conversation and puts it back in the box (unless the person typed anew there meanwhile).
 * Returns its text, if the conversation ended with one.
 */
function takeBackMessage(): string | undefined {
  const last = state.messages.at(-1);
  if (last?.role !== "user") return undefined;
  state.messages = state.messages.slice(0, -1);
  const text = textOf(last);
  if (input.value === "") input.value = text;
  return text;
}

/** The app's refusals that end a chat for good (see chat-route.ts). */
const FINAL_REFUSALS = new Set(["purchase_unknown", "thread_unreadable"]);

/** The app's refusals of a message because another request holds the chat (see chat-route.ts). */
const BUSY_REFUSALS = new Set(["thread_busy", "purchase_pending"]);

/**
 * The app's refusals to start a new chat (429 and 503, see kept-chats.ts): the person started
 * too many too fast, or too many of theirs (or everyone's) wait for an approval. Each says
 * when to send again.
 */
const NEW_CHAT_REFUSALS = new Set([
  "too_many_new_chats",
  "too_many_waiting_chats",
  "too_many_chats",
]);

/**
 * The app's own refusal of a chat request (`{ error, error_description }`, which the chat
 * transport passes on as the error's text), or undefined for any other text.
 */
function refusalIn(text: string): { code: string; description: string } | undefined {
  try {
    return refusalOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The error code of each status line that tells a refusal, by its words: shown beside them,
 * small, as the CLI's report names it (`error`), for a person who reports it or looks it up.
 */
const errorCodes = new Map<string, string>();

/**
 * `lead` and the refusal's description (`refusal`, or the error text that holds one), its code
 * kept for the status line; any other error text as it is.
 */
function coded(lead: string, refusal: string | { code: string; description: string }): string {
  const found = typeof refusal === "string" ? refusalIn(refusal) : refusal;
  if (found === undefined) return `${lead}${typeof refusal === "string" ? refusal : ""}`;
  const text = `${lead}${found.description}`;
  errorCodes.set(text, found.code);
  return text;
}

/** `refusalIn` of a body already parsed. */
function refusalOf(body: unknown): { code: string; description: string } | undefined {
  return isRecord(body) &&
    typeof body.error === "string" &&
    typeof body.error_description === "string"
    ? { code: body.error, description: body.error_description }
    : undefined;
}

/** `@auth0/ai-vercel`'s interrupt arrives as the stream's error text. */
function onChatError(error: Error): void {
  if (!error.message.startsWith(INTERRUPTION_PREFIX)) {
    if (error instanceof ChatUnavailable && resumedInterrupt !== undefined) {
      // No answer about the purchase: it still waits, and the app keeps its thread.
      retryResume(resumedInterrupt, error.message);
      return;
    }
    if (error instanceof ChatUnavailable && chat !== undefined) {
      // The request may have reached the app, which may have asked for a purchase before the
      // answer was lost, whether or not a card came first. The page follows the chat until
      // nothing waits and nothing runs (block mode: the app goes on waiting and ordering), or
      // resumes a purchase left waiting (interrupt mode). Whether the app read the message
      // at all, only its answer tells: until then the page says it does not know.
      const last = state.messages.at(-1);
      arrivalUnknown =
        `${error.message}: the page cannot tell yet whether your message reached the agent. ` +
        "It keeps asking and will tell you; Send is off until then.";
      void followPurchase(chat.id, chat.id, undefined, {
        why: error.message,
        messageId: last?.role === "user" ? last.id : undefined,
      });
      return;
    }
    const refusal = refusalIn(error.message);
    const code = refusal?.code ?? "";
    if (code === "thread_busy" && resumedInterrupt !== undefined) {
      // Another request of this chat (a second tab's resume, or this page's own from before a
      // reload) is asking right now, and may have taken the approval: ask again, and meanwhile
      // ask the chat whether that request has the order at the shop.
      interrupt = resumedInterrupt;
      render();
      scheduleResume(interrupt);
      if (chat !== undefined && interrupt.toolCall.id !== undefined) {
        void showOrderingElsewhere(chat.id, interrupt.toolCall.id);
      }
      return;
    }
    if (BUSY_REFUSALS.has(code) && resumedInterrupt === undefined && chat !== undefined) {
      // Another page of this chat (a second tab) sent a message, and what it asked for may
      // wait for the person right now: a page that showed only the refusal would have them
      // ask again once it ended, and buy twice. This page shows that request's purchases and
      // follows them to their end, as a page that lost its stream does, and tells the person
      // that their own message was not sent (it leaves the chat: the app never read it).
      const last = state.messages.at(-1);
      if (last?.role === "user") {
        unsent = textOf(last);
        state.messages = state.messages.slice(0, -1);
      }
      void followPurchase(chat.id, chat.id);
      return;
    }
    if (refusal !== undefined && code === SESSION_CHANGED) {
      // This page's session ended without a logout here, and another person logged in since (in
      // another tab): nothing was sent. A waiting purchase stays kept for its own person's next
      // login; a message goes back in the box.
      if (resumedInterrupt === undefined) {
        takeBackMessage();
        notice = coded("Your message was not sent: ", refusal);
      } else {
        interrupt = resumedInterrupt;
        waitNote = refusal.description;
      }
      $("who").textContent = "This browser is now logged in as another person: reload the page.";
      $("logout").hidden = true;
      $("new-chat").hidden = true;
      render();
      return;
    }
    if (
      refusal !== undefined &&
      (NEW_CHAT_REFUSALS.has(code) ||
        (code === "invalid_request" && resumedInterrupt === undefined))
    ) {
      // The app started no chat and read nothing of the message: it leaves the conversation
      // and goes back in the box, so the person sends it again when the refusal says to
      // instead of typing it anew. So for a request the app refused as it stands (a message
      // over the body limit): kept in the chat, every later message sent it again, refused.
      takeBackMessage();
      notice = coded("Your message was not sent: ", refusal);
      render();
      return;
    }
    if (code === "login_required") {
      // The session ended (it expired, or the app restarted). A resume: the saved chat waits for
      // the login, and the page the login comes back to resumes it. A message: the app read
      // nothing of it; it goes back in the box, and the page the login comes back to puts it
      // there again.
      if (resumedInterrupt === undefined) {
        const text = takeBackMessage();
        if (text !== undefined) keepUnsentMessage(text);
        notice = "Your message was not sent: your session ended. Log in again, then send it.";
      } else {
        interrupt = resumedInterrupt;
        waitNote = "Your session ended: log in again to go on.";
      }
      loggedOut();
      render();
      return;
    }
    // An error the stream told with its code (the model failed mid-answer): shown beside it.
    if (refusal === undefined && streamErrorCode !== undefined) {
      errorCodes.set(`Error: ${error.message}`, streamErrorCode);
    }
    // A chat the app can never go on with: no later page should resume it.
    if (FINAL_REFUSALS.has(code)) forgetPendingChat();
    const forgottenCall = resumedInterrupt?.toolCall.id;
    if (
      code === "purchase_unknown" &&
      resumedInterrupt !== undefined &&
      forgottenCall !== undefined
    ) {
      // Its card says so for as long as the chat shows it, not only until the next message.
      const ordering = approvals.get(forgottenCall)?.status === ORDERING;
      approvals.set(
        forgottenCall,
        forgottenApproval(bindingOfInterrupt(resumedInterrupt), ordering),
      );
    }
    render();
    return;
  }
  failedResumes = 0;
  waitNote = undefined;
  const parsed = JSON.parse(error.message.slice(INTERRUPTION_PREFIX.length)) as Interrupt;
  // A resumed tool that is still pending comes back without its call (withInterruptions
  // rethrows it as a plain AISDKError): it is the call this page resumed.
  if (parsed.toolCall.id !== undefined && parsed.toolCall.name !== undefined) {
    lastToolCall = { id: parsed.toolCall.id, name: parsed.toolCall.name };
  } else if (lastToolCall !== undefined) {
    // Nor its arguments: the card (and the next page's) keeps the purchase it shows.
    const args = parsed.toolCall.args ?? resumedInterrupt?.toolCall.args;
    parsed.toolCall = {
      ...parsed.toolCall,
      ...lastToolCall,
      ...(args === undefined ? {} : { args }),
    };
  }
  interrupt = parsed;
  savePendingChat();
  render();
  scheduleResume(parsed);
}

/** The request's polling interval, in seconds. */
function intervalOf(pending: Interrupt): number {
  return pending.request?.interval ?? 5;
}

/** Resumes the tool call after the request's polling interval (as Auth0 asks), or `seconds`. */
function scheduleResume(pending: Interrupt, seconds = intervalOf(pending)): void {
  clearTimeout(resumeTimer);
  resumeTimer = setTimeout(resume, seconds * 1000);
}

/**
 * Asks again after a resume that got no answer, later each time in a row: the interval, then
 * twice as long each time, up to MAX_RETRY_SECONDS. Never sooner than the interval, since the
 * app may have polled Auth0 for the request that failed.
 */
function retryResume(pending: Interrupt, reason: string): void {
  failedResumes += 1;
  interrupt = pending;
  const interval = intervalOf(pending);
  const seconds = Math.min(
    interval * 2 ** (failedResumes - 1),
    Math.max(interval, MAX_RETRY_SECONDS),
  );
  waitNote = `${reason}; asking again in ${String(Math.ceil(seconds))} s.`;
  render();
  scheduleResume(pending, seconds);
}

/** One purchase of the chat as `GET /api/chat/:id/purchases` lists it. */
interface ListedPurchase {
  toolCallId: string;
  toolName: string;
  summary: string;
  interval?: number;
  /** Waiting: why the app's last poll of Auth0 got no answer (see ApprovalStatusData). */
  problem?: string;
  /** Approved, and the shop has not answered its order yet (`result` is PENDING till then). */
  ordering?: boolean;
  result: {
    outcome: string;
    purchase?: { product?: string; qty?: number };
    bindingMessage?: string;
    description?: string;
    /** The failure's code (`Verdict.error`), when it has one. */
    error?: string;
    authReqId?: string;
    expiresAt?: string;
  };
}

/** The chat's purchases from the app's answer, unchecked beyond their shape; undefined if not one. */
function listedPurchases(
  body: unknown,
):
  | { running: boolean; purchases: ListedPurchase[]; reply?: string; lastMessageId?: string }
  | undefined {
  if (!isRecord(body) || typeof body.running !== "boolean" || !Array.isArray(body.purchases)) {
    return undefined;
  }
  const purchases = body.purchases.filter(
    (item: unknown): item is ListedPurchase =>
      isRecord(item) &&
      typeof item.toolCallId === "string" &&
      typeof item.toolName === "string" &&
      typeof item.summary === "string" &&
      isRecord(item.result) &&
      typeof item.result.outcome === "string",
  );
  return {
    running: body.running,
    purchases,
    ...(typeof body.reply === "string" ? { reply: body.reply } : {}),
    ...(typeof body.lastMessageId === "string" ? { lastMessageId: body.lastMessageId } : {}),
  };
}

/** The tool calls this page shows decided. */
function decidedCalls(): Set<string> {
  return new Set(
    state.messages.flatMap((message) =>
      message.parts.flatMap((part) =>
        isToolUIPart(part) && part.state === "output-available" ? [part.toolCallId] : [],
      ),
    ),
  );
}

/**
 * Shows a purchase of the chat as the app's journal has it: its card, and its tool call with
 * the result once decided, as the stream would have. A purchase the page never saw asked (the
 * request went on to another item of the person's message after the page lost it) gets a
 * message of its own.
 */
function showPurchase({ toolCallId, toolName, result, problem, ordering }: ListedPurchase): void {
  const pending = result.outcome === "PENDING";
  // What was asked stays on a decided card, as the stream's last approval part says it.
  const bindingMessage = result.bindingMessage ?? approvals.get(toolCallId)?.bindingMessage;
  approvals.set(toolCallId, {
    status: pending ? (ordering === true ? ORDERING : result.outcome) : decidedStatus(result),
    ...(result.authReqId === undefined ? {} : { authReqId: result.authReqId }),
    ...(bindingMessage === undefined ? {} : { bindingMessage }),
    ...(pending && result.expiresAt !== undefined ? { expiresAt: result.expiresAt } : {}),
    // The app's polls get no answer from Auth0: the card says so, as the stream's would.
    ...(pending && typeof problem === "string" ? { problem } : {}),
    ...(!pending && result.description !== undefined ? { description: result.description } : {}),
  });
  const shown = state.messages.some((message) =>
    message.parts.some((part) => isToolUIPart(part) && part.toolCallId === toolCallId),
  );
  if (shown) {
    if (pending) return;
    state.messages = state.messages.map((message) => ({
      ...message,
      parts: message.parts.map((part) =>
        isToolUIPart(part) && part.toolCallId === toolCallId
          ? ({ ...part, state: "output-available", output: result } as typeof part)
          : part,
      ),
    }));
    return;
  }
  const part = {
    type: `tool-${toolName}`,
    toolCallId,
    input: result.purchase ?? {},
    ...(pending ? { state: "input-available" } : { state: "output-available", output: result }),
  } as UIMessage["parts"][number];
  state.messages = [
    ...state.messages,
    { id: standInPurchaseId(toolCallId), role: "assistant", parts: [part] },
  ];
}

/**
 * Interrupt mode: the card and status line of tool call `toolCallId`, whose resume the app found
 * busy with another request of the chat, say "Approved — placing your order…" when the chat's
 * purchases list it `ordering`: that request took the person's approval, and the shop has not
 * answered its order yet. Otherwise the page would say it waits for an approval already given
 * until a resume of its own gets the order's end, however slow the shop. Nothing changes if the
 * page has since stopped waiting for that purchase (another page's answer decided it).
 */
async function showOrderingElsewhere(chatId: string, toolCallId: string): Promise<void> {
  let body: unknown;
  try {
    const answer = await fetch(`/api/chat/${encodeURIComponent(chatId)}/purchases`, {
      headers: { accept: "application/json" },
    });
    if (!answer.ok) return;
    body = await answer.json();
  } catch {
    // No answer: the next resume asks again, and the card stays as it was.
    return;
  }
  const listed = listedPurchases(body)?.purchases.find((p) => p.toolCallId === toolCallId);
  const stillWaiting = [interrupt, resumedInterrupt].some((one) => one?.toolCall.id === toolCallId);
  const shown = approvals.get(toolCallId);
  if (listed?.ordering !== true || !stillWaiting || (shown !== undefined && !undecided(shown))) {
    return;
  }
  showPurchase(listed);
  // The consent request the page showed, should the app's record not word it.
  const ordering = approvals.get(toolCallId);
  if (ordering !== undefined) approvals.set(toolCallId, withAskedPurchase(toolCallId, ordering));
  render();
}

/** The interrupt a purchase listed as waiting stands for: what the page resumes. */
function interruptOf({ toolCallId, toolName, result, interval }: ListedPurchase): Interrupt {
  const now = Date.now();
  const expiresAt = result.expiresAt === undefined ? Number.NaN : Date.parse(result.expiresAt);
  return {
    code: "ASYNC_AUTHORIZATION_AUTHORIZATION_PENDING",
    message: pendingInterruptText(result.bindingMessage),
    ...(result.authReqId === undefined || Number.isNaN(expiresAt)
      ? {}
      : {
          request: {
            id: result.authReqId,
            requestedAt: now / 1000,
            expiresIn: Math.max(0, (expiresAt - now) / 1000),
            ...(typeof interval === "number" ? { interval } : {}),
          },
        }),
    toolCall: {
      id: toolCallId,
      name: toolName,
      ...(result.purchase ? { args: result.purchase } : {}),
    },
  };
}

/** The page's message whose request got no answer: why, and the message's id. */
interface Unanswered {
  why: string;
  messageId: string | undefined;
}

/** The id of the agent's answer that the page lost and the app told it afterwards. */
const STAND_IN_ANSWER_PREFIX = "lost-answer-";

/**
 * Takes the page's message that never reached the app (see `Unanswered`) out of the chat and
 * back into the box, and says so: the person sends it again rather than typing it anew, and
 * the chat holds it once.
 */
function notSentText(why: string): string {
  const text = takeBackMessage();
  const back = text !== undefined && input.value === text;
  return (
    `Your message was not sent: ${why.charAt(0).toLowerCase()}${why.slice(1)}. Nothing was ` +
    `asked or ordered. ${back ? "It is back in the box: send it again." : "Send it again."}`
  );
}

/**
 * A block-mode chat whose request this page did not see end (the page that asked was closed,
 * reloaded or logged out, or its connection broke): the app went on waiting for the answer,
 * ordering, and asking for the next item of the person's message. Asks it how the chat stands
 * (`GET /api/chat/:id/purchases`, from its journal) every FOLLOW_SECONDS while a purchase waits
 * or the request still runs, showing each purchase as it goes; then tells what this page had
 * not seen decided and gives each tool call its result, and shows the agent's answer, as the
 * stream would have, so that the chat goes on from them. `known`: the tool calls the page
 * showed decided when it began. `unanswered`: the page's own message got no answer (`why`),
 * and the app's answer tells whether it read the message (`messageId`, the last it read).
 */
async function followPurchase(
  chatId: string,
  toolCallId: string,
  known: ReadonlySet<string> = decidedCalls(),
  unanswered?: Unanswered,
): Promise<void> {
  following = toolCallId;
  const askAgain = (note?: string) => {
    waitNote = note;
    render();
    clearTimeout(resumeTimer);
    resumeTimer = setTimeout(
      () => void followPurchase(chatId, following ?? toolCallId, known, unanswered),
      Math.min(FOLLOW_SECONDS, followInterval ?? FOLLOW_SECONDS) * 1000,
    );
  };
  let answer: Response;
  try {
    answer = await fetch(`/api/chat/${encodeURIComponent(chatId)}/purchases`, {
      headers: { accept: "application/json" },
    });
  } catch {
    askAgain("The agent's web app cannot be reached; asking again.");
    return;
  }
  // The app answered: the page learns below where the message stands.
  arrivalUnknown = undefined;
  const body: unknown = await answer.json().catch(() => undefined);
  // Logged out in another tab meanwhile (or the session ended): this page shows no more.
  if (session === undefined) return;
  showOthers();
  const listed = answer.ok ? listedPurchases(body) : undefined;
  if (listed !== undefined) {
    for (const purchase of listed.purchases) showPurchase(purchase);
    const waiting = listed.purchases.findLast((p) => p.result.outcome === "PENDING");
    // The chat's latest polling interval: the tenant's, which the next purchase gets too. Not
    // under a tenth of a second, whatever a tenant says.
    const interval = listed.purchases.findLast((p) => typeof p.interval === "number")?.interval;
    followInterval = interval === undefined ? undefined : Math.max(0.1, interval);
    if (session.mode === "interrupt" && waiting !== undefined && !listed.running) {
      // Interrupt mode: nothing polls Auth0 until the page resumes the call, as after the
      // interrupt that never reached it.
      following = undefined;
      waitNote = undefined;
      lastToolCall = { id: waiting.toolCallId, name: waiting.toolName };
      interrupt = interruptOf(waiting);
      savePendingChat();
      render();
      scheduleResume(interrupt);
      return;
    }
    if (waiting !== undefined) {
      // The next page follows the purchase that waits now, not the one this page began with.
      following = waiting.toolCallId;
      const approval = approvals.get(waiting.toolCallId);
      if (approval !== undefined) saveBlockedChat(waiting.toolCallId, approval);
    }
    if (waiting !== undefined || listed.running) {
      askAgain();
      return;
    }
    const told = listed.purchases.filter((p) => !known.has(p.toolCallId)).map((p) => p.summary);
    const last = listed.purchases.at(-1);
    const { reply } = listed;
    // Unless the chat shows it with the last purchase's call: another page of the chat (a
    // second tab) shared the turn that asked for it, or the answer it was told as this page is.
    const shown = state.messages.some(
      (message) =>
        (last !== undefined && message.id === standInReplyId(last.toolCallId)) ||
        (message.parts.some((part) => isToolUIPart(part) && part.toolCallId === last?.toolCallId) &&
          message.parts.some((part) => part.type === "text" && part.text === reply)),
    );
    const answered = told.length > 0 && reply !== undefined && last !== undefined;
    if (answered && !shown) {
      // The agent's answer to the request that decided them, as the page that asked shows it:
      // it may say more than the outcomes (that it did not try the rest of the message).
      // A purchase that did not go through ended the turn: the answer is the app's, with its code.
      const error = last.result.outcome === "ORDERED" ? undefined : last.result.error;
      state.messages = [
        ...state.messages,
        {
          id: standInReplyId(last.toolCallId),
          role: "assistant",
          parts: [
            {
              type: "text",
              text: reply,
              ...(error === undefined ? {} : { providerMetadata: answerErrorMetadata(error) }),
            },
          ],
        },
      ];
    }
    waitNote = undefined;
    // The agent's answer, shown above, tells each outcome it words as the summary does: the
    // status line tells only the others, or the person reads the same outcome twice. Told, the
    // outcomes leave no error of the request that lost them to show.
    const untold = answered ? told.filter((summary) => !reply.includes(summary)) : told;
    // Nor is the error of the request that began the follow told: what it was about is settled
    // (a resume the app found busy with another page's, which decided the purchase, included).
    notice = told.length > 0 ? untold.join(" ") : "";
    if (told.length === 0 && unanswered !== undefined) {
      const read =
        unanswered.messageId !== undefined && listed.lastMessageId === unanswered.messageId;
      if (!read) {
        notice = notSentText(unanswered.why);
      } else if (reply !== undefined) {
        // The app read it and answered in words only: its answer, which the page lost.
        const sent = state.messages.findIndex(({ id }) => id === unanswered.messageId);
        if (!state.messages.slice(sent + 1).some((message) => textOf(message) === reply)) {
          state.messages = [
            ...state.messages,
            {
              id: `${STAND_IN_ANSWER_PREFIX}${unanswered.messageId ?? ""}`,
              role: "assistant",
              parts: [{ type: "text", text: reply }],
            },
          ];
        }
      } else {
        notice =
          `${unanswered.why}: the agent read your message, but its answer was lost, and it ` +
          "asked for no purchase. Ask again in a new message if you still want an answer.";
      }
    }
    following = undefined;
    forgetPendingChat();
    forgetSentMessage();
    showOthers();
    shareChat();
    render();
    return;
  }
  if (answer.status === 401) {
    // The saved chat waits for the login; the page it returns to follows the purchase again.
    waitNote = "Your session ended: log in again to go on.";
    loggedOut();
    render();
    return;
  }
  if (answer.status >= 500 || answer.status === 429) {
    askAgain(`The agent's web app answered ${String(answer.status)}; asking again.`);
    return;
  }
  // chat_unknown, thread_unreadable: there is nothing to follow.
  forgetPendingChat();
  forgetSentMessage();
  if (unanswered !== undefined && refusalOf(body)?.code === "chat_unknown") {
    // A new chat whose first message never reached the app.
    following = undefined;
    waitNote = undefined;
    notice = notSentText(unanswered.why);
    render();
    return;
  }
  // The app restarted and forgot the chat: the card of what waited says so from now on.
  const forgot = refusalOf(body)?.code === "chat_unknown";
  for (const [id, approval] of approvals) {
    if (!undecided(approval)) continue;
    const ordering = approval.status === ORDERING;
    if (forgot) approvals.set(id, forgottenApproval(approval.bindingMessage, ordering));
    else approvals.delete(id);
  }
  waitNote = undefined;
  following = undefined;
  const refusal = refusalOf(body);
  notice =
    refusal === undefined
      ? `Error: the agent's web app answered ${String(answer.status)}`
      : coded("Error: ", refusal);
  render();
}

/** Runs the interrupted tool again: it polls Auth0 once for the person's answer. */
function resume(): void {
  const call = lastToolCall;
  resumedInterrupt = interrupt;
  interrupt = undefined;
  if (call === undefined || chat === undefined) return;
  void chat.addToolOutput({
    tool: call.name,
    toolCallId: call.id,
    output: { continueInterruption: true, toolName: call.name },
  });
}

/** Whether `messages` show tool call `toolCallId` with its purchase's outcome (not PENDING). */
function decidedIn(messages: UIMessage[], toolCallId: string): boolean {
  return messages.some((message) =>
    message.parts.some(
      (part) =>
        isToolUIPart(part) &&
        part.toolCallId === toolCallId &&
        part.state === "output-available" &&
        isRecord(part.output) &&
        typeof part.output.outcome === "string" &&
        part.output.outcome !== "PENDING",
    ),
  );
}

/**
 * Ends this page's wait for a purchase another page of the chat decided: no resume is due, and
 * the error of this page's own resume, refused while the other page's ran (`thread_busy`) or
 * unanswered, is about a purchase now decided: the person sent nothing, and the status line
 * shows no error of it.
 */
function endDecidedWait(): void {
  clearTimeout(resumeTimer);
  interrupt = undefined;
  resumedInterrupt = undefined;
  waitNote = undefined;
  failedResumes = 0;
  if (state.status === "error") {
    state.status = "ready";
    state.error = undefined;
  }
}

/** The session ended under the page: the header offers Log in only. */
function loggedOut(): void {
  $("who").textContent = "Your session ended.";
  $("logout").hidden = true;
  $("new-chat").hidden = true;
  $("login").hidden = false;
}

/**
 * Names the person's other chats that wait for their approval (kept by other tabs, or left by
 * pages since closed), or hides the note when none does: the person must know of them. Read
 * again when the page starts, when another tab keeps or forgets a chat (the storage event), when
 * this page's request ends and at each of its follow's polls, so a chat that ends in another tab
 * leaves the note then, not at the next reload.
 */
function showOthers(): void {
  const others =
    session === undefined
      ? []
      : pendingChatsOf(session.user.sub).filter((kept) => kept.chatId !== chat?.id);
  const waitsHere =
    interrupt !== undefined || following !== undefined || [...approvals.values()].some(undecided);
  const note = $("others");
  note.hidden = others.length === 0;
  note.textContent =
    others.length === 0
      ? ""
      : `Your other chats wait for your approval too: ${others.map((other) => `"${waitingFor(other)}"`).join(", ")}. ` +
        (waitsHere
          ? "Reload this page once the purchase below is decided to follow the next."
          : "Reload this page to follow the next.");
}

async function start(): Promise<void> {
  // Optional: nobody logged in is answered 200 { user: null }, which the console does not log.
  const answer = await fetch("/api/session?optional=1", {
    headers: { accept: "application/json" },
  });
  const who = $("who");
  const body: unknown = answer.ok ? await answer.json() : undefined;
  if (answer.status === 401 || (isRecord(body) && body.user === null)) {
    who.textContent = "You are not logged in.";
    $("login").hidden = false;
    form.hidden = true;
    notice = leftWaitingNote();
    render();
    return;
  }
  forget(LEFT_WAITING_KEY);
  session = body as Session;
  who.textContent = `Logged in as ${session.user.name ?? session.user.sub}`;
  $("logout").hidden = false;
  $("new-chat").hidden = false;
  form.hidden = false;
  input.focus();
  setInterval(tick, 1000);
  dropStaleKept();
  // This page follows the chat kept last; the others wait their turn (see showOthers).
  const [pending] = pendingChatsOf(session.user.sub);
  const unanswered = unansweredMessage();
  const unsentMessage = takeUnsentMessage();
  if (unsentMessage !== undefined) input.value = unsentMessage;
  if (pending === undefined && unanswered !== undefined) {
    notice =
      `The page was left before the agent answered "${unanswered}": a purchase it asked for ` +
      "may be waiting for your approval. Check the approver page before you ask again.";
  }
  if (pending !== undefined) {
    state.messages = pending.messages;
    keptRevision = pending.revision;
    lastToolCall = pending.toolCall;
    interrupt = pending.interrupt;
    if (pending.approval !== undefined) approvals.set(pending.toolCall.id, pending.approval);
  }
  chat = new PageChat(state, onChatError, pending?.chatId);
  announceQuietly = true;
  render();
  announceQuietly = false;
  showOthers();
  // The answer may have come while no page was open: ask at once.
  if (pending?.interrupt !== undefined) resume();
  else if (pending !== undefined) void followPurchase(pending.chatId, pending.toolCall.id);
}

/**
 * Logging out does not end a waiting purchase: the person may still approve it on their phone,
 * and the app then orders it (block mode) or the next page resumes it (interrupt mode). So a
 * logout keeps, for the same person's next login, what the chat needs to go on: the person's
 * messages (the rest of what they asked for) and the purchases' calls and results. The agent's
 * own words are dropped.
 */
function keepPurchaseOnly(): void {
  if (session === undefined) return;
  for (const saved of pendingChatsOf(session.user.sub)) {
    const messages = saved.messages
      .map((message) => ({
        ...message,
        parts: message.role === "user" ? message.parts : message.parts.filter(isToolUIPart),
      }))
      .filter((message) => message.parts.length > 0);
    keep(pendingChatKey(saved.sub, saved.chatId), {
      ...saved,
      messages,
      keptAtLogout: true,
    } satisfies PendingChat);
  }
}

/** Set when the person logs out in one tab: the other tabs of the app hear it and clear. */
const LOGGED_OUT_KEY = "shopping-agent.logged-out";

/**
 * What the purchases a logout left waiting ask, in the consent requests' words, until the next
 * login: a logged-out page says they waited at the logout, or the person would take the logout
 * for their end and be surprised by an order they approve later. Whether they still wait it
 * cannot know (nobody is logged in to ask the app): one may have been denied or expired since.
 */
const LEFT_WAITING_KEY = "shopping-agent.left-waiting";

/** What a logout left waiting: the consent requests' words, and the app's mode then. */
interface LeftWaiting {
  asked: string[];
  mode?: Session["mode"];
}

/** The logged-out page's note on the purchases the logout left waiting; none when it left none. */
function leftWaitingNote(): string | undefined {
  const kept = readKept(LEFT_WAITING_KEY);
  // A page before the mode was kept wrote the list alone.
  const left: unknown = Array.isArray(kept) ? { asked: kept } : kept;
  if (!isRecord(left) || !Array.isArray(left.asked) || left.asked.length === 0) return undefined;
  const asked = left.asked.map((binding) => `"${String(binding)}"`).join(", ");
  const one = left.asked.length === 1;
  const waited = `Logging out ended no purchase: ${asked} waited for your approval when you logged out`;
  const it = one ? "it" : "one";
  // Interrupt mode: only a page of the app collects the answer, by resuming the purchase.
  return left.mode === "interrupt"
    ? `${waited}. Approving ${it} orders it only if you log in again in this ` +
        "browser before it expires: while no page of the app is open, nothing collects your " +
        "answer. Log in to follow it."
    : `${waited}, and approving ${it} while it waits orders it. Log in to follow it.`;
}

$("logout").addEventListener("submit", () => {
  // What this page waits for, kept now if it was not yet, so that the logout keeps its purchase.
  const waiting = waitingHere();
  if (waiting !== undefined) keepPendingChat(waiting);
  keepPurchaseOnly();
  const left = session === undefined ? [] : pendingChatsOf(session.user.sub).map(waitingFor);
  if (left.length > 0) {
    keep(LEFT_WAITING_KEY, {
      asked: left,
      ...(session === undefined ? {} : { mode: session.mode }),
    } satisfies LeftWaiting);
  } else forget(LEFT_WAITING_KEY);
  // The page lives on until the logout's answer comes: a resume answered meanwhile (the purchase
  // still waits) would keep the whole chat again, the agent's words with it.
  loggingOut = true;
  clearTimeout(resumeTimer);
  keep(LOGGED_OUT_KEY, Date.now());
});

// Logged out in another tab: this one shows nothing of the chat any more, and asks nothing.
// What a waiting purchase needs for the next login was kept by the tab that logged out.
window.addEventListener("storage", (event) => {
  if (event.key !== LOGGED_OUT_KEY || session === undefined) return;
  clearTimeout(resumeTimer);
  void chat?.stop();
  // What the person was typing is back in the box after their next login (see `start`).
  const draft = input.value.trim();
  if (draft !== "") keepUnsentMessage(draft);
  session = undefined;
  state.messages = [];
  approvals.clear();
  interrupt = undefined;
  resumedInterrupt = undefined;
  following = undefined;
  waitNote = undefined;
  // Said in the status line, a live region: the box the person may be typing in goes away.
  notice = [
    "You logged out in another tab.",
    draft === ""
      ? "Log in to go on."
      : "Log in to go on: what you were typing is back in the box then.",
    leftWaitingNote(),
  ]
    .filter((text) => text !== undefined)
    .join(" ");
  arrivalUnknown = undefined;
  unsent = undefined;
  sharedLater = undefined;
  loggedOut();
  $("who").textContent = "You logged out in another tab.";
  const focused = form.contains(document.activeElement);
  form.hidden = true;
  input.value = "";
  render();
  // Focus was in the form that went: on the one thing left to do.
  if (focused) $("login").focus();
});
// Another tab kept or forgot a waiting chat (its purchase asked, or decided).
window.addEventListener("storage", (event) => {
  if (event.key === null || event.key.startsWith(PENDING_CHAT_PREFIX)) showOthers();
});
$("new-chat").addEventListener("click", newChat);

input.addEventListener("keydown", (event) => {
  const send = form.querySelector("button");
  if (event.key !== "Enter" || event.isComposing || send?.disabled !== true) return;
  if (input.value.trim() === "") return;
  held = true;
  render();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (text === "") return;
  input.value = "";
  resumedInterrupt = undefined;
  notice = undefined;
  unsent = undefined;
  keepSentMessage(text);
  void chat?.sendMessage({ text });
});

void start();
