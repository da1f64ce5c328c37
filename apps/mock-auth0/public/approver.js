// The approver page: shows consent requests as a phone would and sends the person's answer,
// and the requests on the email channel as the emails Auth0 would send, with their links.
// Plain browser JavaScript, no build step; the server pushes every change as an event.
// It holds one page of pending requests at a time (more on demand) and the recent others,
// never the tenant's whole history.

import { approvalSummary, detailsTable, escaped } from "./details.js";
import { readEventStream } from "./event-stream.js";
import { ANSWER_WAIT_SECONDS, NO_ANSWER, NO_ANSWER_IN_TIME, ask } from "./no-answer.js";

const PAGE_SIZE = 50;
/** The most requests the control API lists at once. */
const LIST_LIMIT = 1000;
const RECENT = 25;
/**
 * How long after a card moved on the page (a newer request arrived above it, one above it was
 * decided), or arrived above a card that was there, a pointer click on its buttons is not
 * taken: the person aimed at what was there before. A keyboard press is taken at once: focus
 * stays on the card it was on.
 */
const MOVED_GRACE_MS = 800;

/** Pending requests, shown as cards (push) or emails, by id. */
const pending = new Map();
/** Decided, expired and collected requests, the newest RECENT of them. */
const recent = new Map();
let pendingTotal = 0;
/**
 * How many pending requests the page holds at most: a page, and a page more for each "Show
 * older requests". A request that arrives when it holds that many lets the oldest go, so that
 * the page does the same work with 50 or 5,000 waiting.
 */
let held = PAGE_SIZE;
/** Where the next page of older pending requests starts; null when none is left. */
let nextCursor = null;
/**
 * Whether the page let requests go since `nextCursor` was read: they came after the cursor, so
 * the older requests are read again from the newest.
 */
let letGo = false;
let loadingOlder = false;
/** Cleared by a failed load, so that only the button retries it. */
let loadOlderByItself = true;
let clockOffsetMs = 0;
/**
 * Whether the tenant's first snapshot has come: until then the page knows of no request, and
 * says neither that none waits nor how many do.
 */
let snapshotRead = false;

const $ = (id) => document.getElementById(id);
const NOTHING_WAITING = $("pending-empty").textContent;
const serverNow = () => Date.now() + clockOffsetMs;

const OUTCOME_LABEL = {
  approved: "Approved",
  consumed: "Approved · token issued",
  denied: "Denied",
  expired: "Expired",
};

const DECIDED_BY = {
  rule: "decided by a rule",
  "control-api": "decided through the control API",
  "approver-page": "decided on an approver page",
  "email-link": "decided through the email's link",
};

/**
 * The requests this page decided: the tenant records only that an approver page did, and a tab
 * whose Deny lost to another tab's Approve must not call that Approve its own. Only those the
 * page still holds, waiting or in the Recent list: a request that leaves both goes from here
 * too (`forgetDecided`), so a page open for days keeps no more than it shows.
 */
const decidedOnThisPage = new Set();

/** Takes from `decidedOnThisPage` the requests the page no longer holds. */
function forgetDecided() {
  for (const id of decidedOnThisPage) {
    if (!pending.has(id) && !recent.has(id)) decidedOnThisPage.delete(id);
  }
}

/** Who decided `request`, as the Recent list says it. */
function decidedBy(request) {
  const { by } = request.decision;
  if (by === "approver-page" && decidedOnThisPage.has(request.auth_req_id)) {
    return "decided on this page";
  }
  return DECIDED_BY[by] ?? by;
}

const pad = (n) => String(n).padStart(2, "0");

/** `4:59`, or `71:59:59` past an hour (the email channel allows up to 72 hours). */
function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = pad(total % 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${seconds}` : `${minutes}:${seconds}`;
}

function formatAgo(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`;
}

/** The end of the id, enough to tell requests apart and to find one in logs. */
const idTail = (id) => `…${id.slice(-6)}`;
const isEmail = (request) => request.channel === "email";

const justMoved = (card) =>
  performance.now() - Number(card.dataset.movedAt ?? "-Infinity") < MOVED_GRACE_MS;

/**
 * Whether the mouse has moved on the page since it was last shown (opened, made visible, or its
 * window focused). Another site cannot frame this page, but it can open it in its own window
 * as the first click of a double-click it asked for lands, and the second click then lands on
 * whatever button is under the pointer (DoubleClickjacking). A person who clicks a button
 * moves the mouse to it first; the second click of that double-click comes with no move.
 */
let movedSinceShown = false;
let shownAt = performance.now();
const pageShown = () => {
  movedSinceShown = false;
  shownAt = performance.now();
};
addEventListener("pageshow", pageShown);
addEventListener("focus", (event) => {
  if (event.target === window) pageShown();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") pageShown();
});
addEventListener("pointermove", () => (movedSinceShown = true), { passive: true });

/**
 * A pointer click on a page that just came up under it: a mouse's, before the mouse moved on
 * the page; a finger's or a pen's (which move nothing before a tap), within MOVED_GRACE_MS.
 */
const justShown = (event) =>
  event.pointerType === "mouse" ? !movedSinceShown : performance.now() - shownAt < MOVED_GRACE_MS;

/** Why the card takes no pointer click `event`, if it takes none. */
function clickRefusal(event, card) {
  if (justShown(event)) {
    const again =
      event.pointerType === "mouse" ? "move the pointer to its button and click" : "tap again";
    return `This page came up under your pointer as you clicked (another page can put it there): check that this is the request you mean, then ${again}.`;
  }
  if (justMoved(card)) {
    return `This request ${card.dataset.arrived === "true" ? "appeared" : "moved"} on the page as you clicked: check that it is the one you mean, then click again.`;
  }
  return undefined;
}

/**
 * A click the card takes: a key press, or a pointer click on a card that has not just moved, on
 * a page that did not just come up under the pointer.
 */
function onDecision(request, decision, card) {
  return (event) => {
    const refusal = event.detail === 0 ? undefined : clickRefusal(event, card);
    if (refusal !== undefined) {
      const error = card.querySelector(".error");
      error.textContent = refusal;
      error.hidden = false;
      return;
    }
    void decide(request, decision, card);
  };
}

async function decide(request, decision, card) {
  const buttons = card.querySelectorAll("button");
  // Its buttons are disabled now, which takes the focus off them: once the card goes, the
  // focus goes to the one after it (placeInOrder).
  card.dataset.decidedHere = "true";
  $("decision-error").hidden = true;
  const error = card.querySelector(".error");
  buttons.forEach((button) => (button.disabled = true));
  error.hidden = true;
  try {
    const answer = await controlAsk(
      `/approver/api/requests/${encodeURIComponent(request.auth_req_id)}/${decision}`,
      { method: "POST", headers: { "X-Requested-By": "approver-page" } },
    );
    if (answer.failed === "unreachable") {
      throw new Error(
        `${NO_ANSWER}. The page shows the request as it stands once the tenant is back.`,
      );
    }
    // The tenant may have taken the decision without saying so: what it sends once it answers
    // again tells.
    if (answer.failed === "late") {
      throw new Error(
        `${NO_ANSWER_IN_TIME}, so your answer may or may not have been taken. Once the tenant ` +
          "answers again, this page shows the request as it stands: answer it again if it still waits.",
      );
    }
    if (!answer.ok) {
      throw new Error(answer.body?.error_description ?? `The server answered ${answer.status}`);
    }
    decidedOnThisPage.add(request.auth_req_id);
    // Its news may have come, and taken it off the Recent list already (an old request).
    forgetDecided();
    // The tenant's news of the decision may have come first: its Recent item says so now.
    scheduleRender();
  } catch (e) {
    const text = `Could not ${decision}: ${e.message}`;
    if (card.isConnected && pending.has(request.auth_req_id)) {
      error.textContent = text;
      error.hidden = false;
      buttons.forEach((button) => (button.disabled = false));
    } else {
      // The card went while the decision was out (decided elsewhere, or expired): say it where
      // the person still looks, naming the request.
      const pageError = $("decision-error");
      pageError.textContent = `${escaped(request.binding_message)} (request ${idTail(request.auth_req_id)}): ${text}`;
      pageError.hidden = false;
    }
  }
}

function renderCard(request) {
  const card = $("card-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = request.auth_req_id;
  card.querySelector(".client").textContent = escaped(request.client_name ?? request.client_id);
  card.querySelector(".message").textContent = escaped(request.binding_message);
  // The card leads with what the token will carry: Guardian shows a custom type's message
  // alone, and an agent whose message says one thing and whose details another is wrong.
  const summary = approvalSummary(request.authorization_details);
  if (summary !== undefined) {
    const headline = card.querySelector(".headline");
    headline.textContent = summary;
    headline.hidden = false;
    card.querySelector(".message-label").hidden = false;
    card.querySelector(".message").classList.add("secondary");
  }
  if (request.message_mismatch) {
    const mismatch = card.querySelector(".mismatch");
    mismatch.textContent = `Check before you approve: ${escaped(request.message_mismatch)}`;
    mismatch.hidden = false;
  }
  const byRule = ruleNote(request);
  if (byRule !== undefined) {
    const note = card.querySelector(".by-rule");
    note.textContent = byRule;
    note.hidden = false;
  }
  card.querySelector(".user").textContent = request.user_name
    ? `${escaped(request.user_name)} (${escaped(request.user)})`
    : escaped(request.user);
  card.querySelector(".audience").textContent =
    request.audience === undefined || request.audience === null
      ? "none (sign-in only)"
      : escaped(request.audience);
  card.querySelector(".scope").textContent = escaped(request.scope);
  if (request.authorization_details?.length) {
    card.querySelector(".details").append(detailsTable(request.authorization_details));
  } else if (request.audience) {
    // An API token that names nothing approved: the binding message is the agent's own text.
    card.querySelector(".unbound").hidden = false;
  }
  const approve = card.querySelector(".approve");
  const deny = card.querySelector(".deny");
  // Two requests with one message still get buttons of their own names.
  const named = `${summary ?? escaped(request.binding_message)} (request ${idTail(request.auth_req_id)})`;
  approve.setAttribute("aria-label", `Approve: ${named}`);
  deny.setAttribute("aria-label", `Deny: ${named}`);
  approve.addEventListener("click", onDecision(request, "approve", card));
  deny.addEventListener("click", onDecision(request, "deny", card));
  return card;
}

/**
 * What the approver's policy does with a request that waits, from its `approver_outcome`:
 * `undefined` when it waits for a person (`manual`).
 */
function ruleNote(request) {
  const [action, afterMs] = String(request.approver_outcome ?? "manual").split("-after:");
  if (action === "manual") return undefined;
  if (action === "ignore") {
    return "The approver's policy leaves this request unanswered: it expires unless you answer it here.";
  }
  const at = new Date(Date.parse(request.created_at) + Number(afterMs ?? 0)).toLocaleTimeString();
  const verb = { approve: "approves", deny: "denies", expire: "ends" }[action] ?? action;
  return `A rule of the approver's policy ${verb} this request at ${at}, unless you answer it first.`;
}

/** A request on the email channel, as the email Auth0 would send. */
function renderEmail(request) {
  const mail = $("email-template").content.firstElementChild.cloneNode(true);
  mail.dataset.id = request.auth_req_id;
  const email = request.email ?? {};
  mail.querySelector(".to").textContent = escaped(email.to ?? request.user);
  mail.querySelector(".subject").textContent = escaped(email.subject ?? "");
  mail.querySelector(".sent").textContent = new Date(
    email.sent_at ?? request.created_at,
  ).toLocaleString();
  mail.querySelector(".client").textContent = escaped(request.client_name ?? request.client_id);
  mail.querySelector(".code").textContent = escaped(email.request_code ?? request.binding_message);
  mail.querySelector(".expires").textContent = new Date(request.expires_at).toLocaleString();
  const link = mail.querySelector(".link");
  if (email.link) {
    link.href = email.link;
    link.setAttribute("aria-label", `Review the request: ${escaped(request.binding_message)}`);
  } else {
    link.replaceWith("(the link can no longer be used)");
  }
  return mail;
}

/** What changes while a request waits: whether its agent still polls. */
function updateLiveness(node, request) {
  const stale = request.agent_polling === false;
  node.classList.toggle("stale", stale);
  node.querySelector(".not-polling").hidden = !stale;
}

/** Its id and when the agent last polled: the part of a card that ages, redrawn every second. */
function updateMeta(node, request) {
  const polled = request.last_polled_at
    ? `agent last polled ${formatAgo(serverNow() - Date.parse(request.last_polled_at))}`
    : "not polled yet";
  node.querySelector(".meta").textContent = `Request ${idTail(request.auth_req_id)} · ${polled}`;
}

function renderHistoryItem(request) {
  const item = document.createElement("li");
  item.dataset.id = request.auth_req_id;
  const badge = document.createElement("span");
  badge.className = "outcome";
  const message = document.createElement("strong");
  message.textContent = escaped(request.binding_message);
  // What changes later (the polls, the timeline) is not announced again: only a new decision,
  // and a token issued for one, are (updateHistoryItem).
  const who = document.createElement("div");
  who.className = "who";
  who.setAttribute("aria-live", "off");
  const details = document.createElement("details");
  details.setAttribute("aria-live", "off");
  const summary = document.createElement("summary");
  summary.textContent = "Timeline";
  details.append(summary, document.createElement("ol"));
  item.append(badge, message, who, details);
  updateHistoryItem(item, request);
  return item;
}

const setText = (node, text) => {
  if (node.textContent !== text) node.textContent = text;
};

/**
 * A Recent item brought up to date in place: its nodes stay, and with them an open timeline and
 * the focus; only what differs is written.
 */
function updateHistoryItem(item, request) {
  const badge = item.querySelector(".outcome");
  badge.className = `outcome ${request.status}`;
  setText(badge, OUTCOME_LABEL[request.status] ?? request.status);
  const by = request.decision ? ` · ${decidedBy(request)}` : "";
  setText(
    item.querySelector(".who"),
    `${escaped(request.user)} · ${escaped(request.client_name ?? request.client_id)}${by} · ${request.polls} polls`,
  );
  const list = item.querySelector("details ol");
  const events = (request.timeline ?? []).map((event) => {
    const time = new Date(event.at).toLocaleTimeString();
    const extra = event.answer ?? event.by ?? "";
    return `${time} ${event.type.replace("_", " ")}${extra ? `: ${extra}` : ""}`;
  });
  events.forEach((text, index) => {
    const li = list.children[index] ?? list.appendChild(document.createElement("li"));
    setText(li, text);
  });
  while (list.children.length > events.length) list.lastElementChild.remove();
}

const newestFirst = (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at);
/** Requests whose agent still polls first, then those nobody polls any more; newest first in each. */
const liveThenStale = (a, b) =>
  Number(a.agent_polling === false) - Number(b.agent_polling === false) || newestFirst(a, b);

/**
 * Puts `list`'s items in the order of `requests`: new ones are rendered, gone ones removed,
 * the others brought up to date (`update`) and moved only when their place changed. A moved
 * element loses focus in the browser; it gets it back. Focus on an item that goes (its request
 * was decided) moves to the item that takes its place, not to the page's start. An item whose
 * place on the page changed is marked (`movedAt`): a pointer click right after is not taken
 * (`onDecision`). So is a new item put above one that was there: its buttons took the place the
 * person aimed at (a request sent as the person clicks the one below it would be approved
 * unread).
 */
function placeInOrder(list, requests, render, update = updateLiveness) {
  const focused = document.activeElement;
  const shown = new Set(requests.map((r) => r.auth_req_id));
  // Every place is read before anything is written: a read after a write makes the browser lay
  // the page out again, once per card.
  const tops = new Map([...list.children].map((node) => [node, node.offsetTop]));
  /** The list's items by id: one lookup per request, not a search of the list. */
  const byId = new Map();
  let focusAt;
  for (const [index, node] of [...list.children].entries()) {
    if (shown.has(node.dataset.id)) {
      byId.set(node.dataset.id, node);
      continue;
    }
    const focusLeft = focused === null || focused === document.body;
    if (
      (focused instanceof Node && focused !== document.body && node.contains(focused)) ||
      (focusLeft && node.dataset.decidedHere === "true")
    ) {
      focusAt = index;
    }
    node.remove();
  }
  let previous = null;
  for (const request of requests) {
    const node = byId.get(request.auth_req_id) ?? render(request);
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (node !== expected) {
      if (previous) previous.after(node);
      else list.prepend(node);
    }
    update(node, request);
    previous = node;
  }
  const now = String(performance.now());
  const moved = [...tops].filter(([node, top]) => node.isConnected && node.offsetTop !== top);
  for (const [node] of moved) node.dataset.movedAt = now;
  // A new node above the last one that was there: in the place the person may have aimed at.
  const lastKept = [...list.children].findLast((node) => tops.has(node));
  for (const node of lastKept === undefined ? [] : list.children) {
    if (node === lastKept) break;
    if (tops.has(node)) continue;
    node.dataset.movedAt = now;
    node.dataset.arrived = "true";
  }
  if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) {
    focused.focus();
  } else if (focusAt !== undefined) {
    const next = list.children[Math.min(focusAt, list.children.length - 1)];
    const target = next?.querySelector("article") ?? list.closest("section")?.querySelector("h2");
    if (target) {
      target.tabIndex = -1;
      target.focus();
    }
  }
}

/** The requests that wait: cards and emails, live before stale. */
function renderWaiting() {
  letGoOldest();
  const waiting = [...pending.values()].sort(liveThenStale);
  const cards = waiting.filter((r) => !isEmail(r));
  const emails = waiting.filter(isEmail);

  placeInOrder($("pending"), cards, renderCard);
  // What this section lists: its cards and the older requests not loaded yet, which its button
  // brings. The emails are counted, and listed, under Email.
  const notLoaded = Math.max(0, pendingTotal - waiting.length);
  $("pending-count").textContent = String(cards.length + notLoaded);
  $("pending-count").hidden = !snapshotRead;
  const empty = $("pending-empty");
  empty.hidden = !snapshotRead || cards.length > 0 || notLoaded > 0;
  empty.textContent =
    emails.length === 0
      ? NOTHING_WAITING
      : `No consent request waits here: ${emails.length === 1 ? "the one that waits is" : `the ${emails.length} that wait are`} on the email channel, under Email below.`;
  $("pending-more").hidden = !olderLeft();

  placeInOrder($("emails"), emails, renderEmail);
  $("email-count").textContent = String(emails.length);
  $("email-section").hidden = emails.length === 0;
  tick();
  // Every request shown was answered while older ones wait: bring the next page in.
  if (waiting.length === 0 && olderLeft() && loadOlderByItself) void loadOlder();
}

/** Whether pending requests older than those held are left for "Show older requests". */
const olderLeft = () => nextCursor !== null || letGo;

/** Keeps the newest `held` pending requests and lets the others go (`letGo`). */
function letGoOldest() {
  if (pending.size <= held) return;
  for (const request of [...pending.values()].sort(newestFirst).slice(held)) {
    pending.delete(request.auth_req_id);
  }
  letGo = true;
}

/** What a render is due for: the Recent list too, or the waiting requests only (polls). */
let due = undefined;
const renderChannel = new MessageChannel();
renderChannel.port1.onmessage = () => {
  const what = due;
  due = undefined;
  if (what === "all") render();
  else if (what === "waiting") renderWaiting();
};

/**
 * Renders once for every event of a task: the stream brings many at once when requests arrive
 * fast or the page fell behind, and each render lays out every card. A message, not a timer or
 * an animation frame: those wait while the tab is in the background, or for a test's clock.
 */
function scheduleRender(what = "all") {
  if (due === undefined) renderChannel.port2.postMessage(null);
  if (due !== "all") due = what;
}

function render() {
  const finished = [...recent.values()].sort(newestFirst);
  // In place, as the cards: an open timeline stays open, the focus stays where it was, and the
  // live region announces the decision that is new, not the whole list again.
  placeInOrder($("history"), finished, renderHistoryItem, updateHistoryItem);
  $("history-empty").hidden = !snapshotRead || finished.length > 0;
  if (snapshotRead) listenToDecisions();
  renderWaiting();
}

/**
 * Makes the Recent list a live region once the first snapshot's decisions are on the page:
 * placed while it was one, each of them (up to 25) was read out as new at every load. Once the
 * browser has drawn them (a frame, then a task: a screen reader hears of a frame's changes after
 * it), later decisions are announced as they come.
 */
let listening = false;
function listenToDecisions() {
  if (listening) return;
  listening = true;
  requestAnimationFrame(() => {
    setTimeout(() => {
      $("history").setAttribute("aria-live", "polite");
    }, 0);
  });
}

function remember(request) {
  if (request.status === "pending") {
    pending.set(request.auth_req_id, request);
    return;
  }
  pending.delete(request.auth_req_id);
  recent.set(request.auth_req_id, request);
  if (recent.size > RECENT) {
    const oldest = [...recent.values()].sort(newestFirst).slice(RECENT);
    for (const request of oldest) recent.delete(request.auth_req_id);
    forgetDecided();
  }
}

/**
 * The next page of older pending requests, from the control API: from the cursor, or, when
 * the page let requests go since it was read, the newest requests again, as many as it holds
 * and a page more.
 */
async function loadOlder() {
  if (loadingOlder || !olderLeft()) return;
  loadingOlder = true;
  const button = $("pending-more");
  button.disabled = true;
  const fromNewest = letGo;
  letGo = false;
  // Room for the page that comes, before it comes: a request that arrives meanwhile lets none go.
  held = Math.max(held, pending.size + PAGE_SIZE);
  try {
    const wanted = fromNewest ? pending.size + PAGE_SIZE : PAGE_SIZE;
    let cursor = fromNewest ? null : nextCursor;
    let read = 0;
    let page;
    do {
      const limit = Math.min(LIST_LIMIT, wanted - read);
      const query = new URLSearchParams({ status: "pending", limit: String(limit) });
      if (cursor !== null) query.set("cursor", cursor);
      const answer = await controlAsk(`/approver/api/requests?${query}`);
      if (answer.failed !== undefined) {
        throw new Error(answer.failed === "late" ? NO_ANSWER_IN_TIME : NO_ANSWER);
      }
      if (!answer.ok || answer.body === undefined) {
        throw new Error(`The server answered ${answer.status}`);
      }
      page = answer.body;
      for (const request of page.requests) remember(request);
      read += page.requests.length;
      cursor = page.next_cursor;
    } while (cursor !== null && read < wanted);
    nextCursor = cursor;
    pendingTotal = page.total;
    held = Math.max(held, pending.size);
    loadOlderByItself = true;
  } catch (e) {
    if (fromNewest) letGo = true;
    loadOlderByItself = false;
    showConnection(`Could not load older requests: ${e.message}`);
  } finally {
    loadingOlder = false;
    button.disabled = false;
  }
  scheduleRender();
}

function tick() {
  for (const node of [...$("pending").children, ...$("emails").children]) {
    const request = pending.get(node.dataset.id);
    if (!request) continue;
    updateMeta(node, request);
    const countdown = node.querySelector(".countdown");
    if (countdown) {
      const left = Date.parse(request.expires_at) - serverNow();
      countdown.textContent = `Expires in ${formatRemaining(left)}`;
    }
  }
}

/** The tenant's time in the last event read: a request made later is new to the page. */
let lastEventAt = -Infinity;

function syncClock(now) {
  lastEventAt = Date.parse(now);
  clockOffsetMs = lastEventAt - Date.now();
}

/** How many announcements the arrivals region keeps; each is read once, as it is added. */
const ARRIVALS_KEPT = 5;

/** What a screen reader is told of a request that arrived: what it asks, in one line. */
function arrivalText(request) {
  const client = escaped(request.client_name ?? request.client_id);
  const message = escaped(request.binding_message);
  if (isEmail(request)) {
    return `New email: ${client} asks for your approval, request code ${message}`;
  }
  return `New consent request: ${client} asks ${approvalSummary(request.authorization_details) ?? message}`;
}

/**
 * Tells a screen reader of requests that arrived, once each. The lists are no live regions:
 * a card that moves (its agent stopped polling, or polls again) is taken out and put back,
 * which a live region would announce as a new request. Older requests loaded on demand, and
 * those of the page's first snapshot, arrive nowhere: the person asked for them.
 */
function announceArrivals(requests) {
  const region = $("arrivals");
  for (const request of requests) {
    const line = document.createElement("p");
    line.textContent = arrivalText(request);
    region.append(line);
  }
  while (region.children.length > ARRIVALS_KEPT) region.firstElementChild.remove();
}

/** What the stream's events do to the page. */
const ON_EVENT = {
  snapshot(data) {
    // After a reconnection: the requests made while the stream was down are new.
    const known = new Set([...pending.keys(), ...recent.keys()]);
    const since = lastEventAt;
    const arrived = snapshotRead
      ? data.pending.requests.filter(
          (r) => !known.has(r.auth_req_id) && Date.parse(r.created_at) >= since,
        )
      : [];
    syncClock(data.now);
    pending.clear();
    recent.clear();
    for (const request of data.pending.requests) remember(request);
    for (const request of data.recent) remember(request);
    forgetDecided();
    pendingTotal = data.pending.total;
    nextCursor = data.pending.next_cursor;
    held = PAGE_SIZE;
    letGo = false;
    snapshotRead = true;
    scheduleRender();
    announceArrivals(arrived);
  },
  request(data) {
    syncClock(data.now);
    pendingTotal = data.pending;
    const { request } = data;
    // A request is pending only once: as it is made.
    const arrived = request.status === "pending" && !pending.has(request.auth_req_id);
    remember(request);
    scheduleRender();
    if (arrived) announceArrivals([request]);
  },
  // Polls, and requests whose agent stopped polling: judged on the tenant's clock.
  polling(data) {
    syncClock(data.now);
    for (const update of data.requests) {
      const request = pending.get(update.auth_req_id);
      if (request) Object.assign(request, update);
    }
    // Polls change no history: an open timeline stays open.
    scheduleRender("waiting");
  },
};

/**
 * With MOCK_AUTH0_CONTROL_TOKEN set, the tenant wants its token on every control request, as
 * `Authorization: Bearer`. The page keeps it for this tab only, in sessionStorage, which is
 * this origin's (this tenant's port) alone; never in a cookie, which a browser would send to
 * every server on localhost.
 */
const TOKEN_KEY = "mock-auth0-control-token";
const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

function withToken(init) {
  const token = storedToken();
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  return { ...init, headers };
}

/** A control request, and its answer within ANSWER_WAIT_SECONDS (`ask`). */
const controlAsk = (url, init = {}) => ask(url, withToken(init));

/**
 * Whether the tenant refuses `token` (with `null`, whether it wants one). A tenant that does
 * not answer refuses nothing yet: the event stream says so, and asks again once it is back.
 */
async function tokenRefused(token) {
  let headers;
  try {
    headers = new Headers(token === null ? {} : { Authorization: `Bearer ${token}` });
  } catch {
    // A character no header carries (an em dash pasted from a chat): no tenant's token.
    return true;
  }
  const answer = await ask("/approver/api/session", { headers });
  return answer.status === 401;
}

const TOKEN_RETIRED =
  "The tenant no longer takes this page's control token (it started again with another one): unlock it again.";

/** EventSource's pause before it opens a stream again, until the server's `retry:` says otherwise. */
let retryMs = 3000;
/** Ends the open event stream, and its reconnections. */
let stream = new AbortController();

const pause = (ms, signal) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });

/**
 * The tenant writes to the event stream at least every 15 s (its keep-alive comment). A stream
 * that stays silent for twice that and 5 s more comes from a tenant that stopped answering
 * (stopped with Ctrl+Z or SIGSTOP, stuck, or its machine stalled): the connection still stands,
 * so nothing else would tell the page, which would say "Live" for good.
 */
const STREAM_SILENCE_MS = 35_000;

const STOPPED_ANSWERING =
  "The tenant stopped answering (is mock-auth0 paused, stuck, or its machine overloaded?): " +
  "nothing new shows here, and your answers cannot reach it. Reconnecting…";

/**
 * One attempt's connection, aborted with the page's stream, or when the tenant leaves it without
 * a word for `ms` (`quiet`, again at each chunk that comes): the response's headers within
 * ANSWER_WAIT_SECONDS, then something at least every STREAM_SILENCE_MS.
 */
function watchedConnection(signal) {
  const attempt = new AbortController();
  let silent = false;
  let timer;
  const quiet = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      attempt.abort();
    }, ms);
  };
  const end = () => {
    clearTimeout(timer);
    attempt.abort();
  };
  signal.addEventListener("abort", end, { once: true });
  quiet(ANSWER_WAIT_SECONDS * 1000);
  return {
    signal: attempt.signal,
    quiet,
    silent: () => silent,
    done: () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", end);
    },
  };
}

/**
 * Reads the event stream with fetch(), which can send the token (EventSource cannot), and
 * reconnects as EventSource would: after a pause, from a new snapshot. A 401 means the tenant
 * started again with another token: the stream would retry for ever, its cards still showing.
 */
async function connect() {
  stream.abort();
  const { signal } = (stream = new AbortController());
  while (!signal.aborted) {
    let wait = retryMs;
    const connection = watchedConnection(signal);
    try {
      const response = await fetch(
        "/approver/api/events",
        withToken({
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: connection.signal,
        }),
      );
      if (response.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        pending.clear();
        scheduleRender();
        showLocked(TOKEN_RETIRED);
        return;
      }
      const retryAfter = Number(response.headers.get("retry-after"));
      if (retryAfter > 0) wait = retryAfter * 1000;
      if (response.ok && response.body) {
        showConnection("Live");
        connection.quiet(STREAM_SILENCE_MS);
        const heard = new TransformStream({
          transform(chunk, controller) {
            connection.quiet(STREAM_SILENCE_MS);
            controller.enqueue(chunk);
          },
        });
        await readEventStream(response.body.pipeThrough(heard), {
          onEvent: (event) => {
            if (Object.hasOwn(ON_EVENT, event.type)) ON_EVENT[event.type](JSON.parse(event.data));
          },
          onRetry: (ms) => (retryMs = ms),
        });
      }
    } catch {
      // A connection lost or refused: tried again below, unless the page ended it.
    } finally {
      connection.done();
    }
    if (signal.aborted) return;
    showConnection(connection.silent() ? STOPPED_ANSWERING : "Reconnecting…");
    await pause(wait, signal);
  }
}

/**
 * The connection's line, a live region: written only when its words change, so that a retry
 * after another ("Reconnecting…" again) is not announced again.
 */
function showConnection(text) {
  const line = $("connection");
  if (line.textContent !== text) line.textContent = text;
}

function showLocked(message) {
  stream.abort();
  showConnection("Locked");
  $("locked").hidden = false;
  $("pending-section").hidden = true;
  $("email-section").hidden = true;
  $("history-section").hidden = true;
  const error = $("unlock-error");
  error.textContent = message ?? "";
  error.hidden = !message;
  // The one thing to do here: type the token.
  $("token").focus();
}

/** `#token=` of the address, taken out of the address bar (and its history entry) once read. */
function tokenFromFragment() {
  // Read as written: URLSearchParams would read a token's "+" as a space.
  const written = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1))?.[1];
  let token = written;
  try {
    token = written === undefined ? undefined : decodeURIComponent(written);
  } catch {
    // Not percent-encoding ("%" alone): the token as typed.
  }
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

/** Keeps `token` for this tab and opens the page when the tenant takes it. */
async function unlock(token) {
  if (await tokenRefused(token)) {
    showLocked("That is not this tenant's control token.");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  // The token's form goes with the focus in it: the focus would fall to the page's start, and a
  // screen reader would say nothing of the page that opened.
  const focusInForm = $("locked").contains(document.activeElement);
  $("locked").hidden = true;
  $("pending-section").hidden = false;
  $("history-section").hidden = false;
  if (focusInForm) {
    const heading = document.querySelector("h1");
    heading.tabIndex = -1;
    heading.focus();
  }
  void connect();
}

async function start() {
  showConnection("Connecting…");
  const token = tokenFromFragment();
  if (token) {
    await unlock(token);
    return;
  }
  const stored = storedToken();
  if (await tokenRefused(stored)) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLocked(stored === null ? undefined : TOKEN_RETIRED);
    return;
  }
  void connect();
}

// `#token=` typed into the address bar of a page already open (and locked): a fragment alone
// does not load the page again.
window.addEventListener("hashchange", () => {
  const token = tokenFromFragment();
  if (token && !$("locked").hidden) void unlock(token);
});

$("unlock").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("token");
  const token = input.value;
  // Not kept in the field, right or wrong: a wrong secret is still a secret.
  input.value = "";
  await unlock(token);
});
$("pending-more").addEventListener("click", () => void loadOlder());

void start();
setInterval(tick, 1000);
