// The approver page: shows consent requests as a phone would and sends the person's answer.
// Plain browser JavaScript, no build step; the server pushes every change as an event.
// It holds one page of pending requests at a time (more on demand) and the recent others,
// never the tenant's whole history.

const PAGE_SIZE = 50;
const RECENT = 25;

/** Pending requests shown as cards, by id. */
const pending = new Map();
/** Decided, expired and collected requests, the newest RECENT of them. */
const recent = new Map();
let pendingTotal = 0;
/** Where the next page of older pending requests starts; null when none is left. */
let nextCursor = null;
let loadingOlder = false;
/** Cleared by a failed load, so that only the button retries it. */
let loadOlderByItself = true;
let clockOffsetMs = 0;

const $ = (id) => document.getElementById(id);
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
  "approver-page": "decided on this page",
};

function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

function formatAmount(value, currency) {
  if (typeof value !== "number") return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${value} ${currency ?? ""}`.trim();
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** RFC 9396 entries as a table; purchases get named columns, other types their raw members. */
function detailsTable(details) {
  const table = document.createElement("table");
  const caption = document.createElement("caption");
  caption.textContent = "What you approve";
  table.append(caption);
  const head = document.createElement("tr");
  for (const title of ["Product", "Quantity", "Up to", "Currency"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = title;
    if (title === "Quantity" || title === "Up to") th.className = "number";
    head.append(th);
  }
  table.append(head);
  for (const entry of details) {
    const row = document.createElement("tr");
    if (entry.type === "product_purchase") {
      row.append(
        cell(entry.product ?? ""),
        cell(String(entry.quantity ?? ""), "number"),
        cell(formatAmount(entry.maximum_amount, entry.currency) || "—", "number"),
        cell(entry.currency ?? ""),
      );
    } else {
      const other = cell(JSON.stringify(entry));
      other.colSpan = 4;
      row.append(other);
    }
    table.append(row);
  }
  return table;
}

async function decide(request, decision, card) {
  const buttons = card.querySelectorAll("button");
  const error = card.querySelector(".error");
  buttons.forEach((button) => (button.disabled = true));
  error.hidden = true;
  try {
    const response = await fetch(
      `/approver/api/requests/${encodeURIComponent(request.auth_req_id)}/${decision}`,
      { method: "POST", headers: { "X-Requested-By": "approver-page" } },
    );
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error_description ?? `The server answered ${response.status}`);
    }
  } catch (e) {
    error.textContent = `Could not ${decision}: ${e.message}`;
    error.hidden = false;
    buttons.forEach((button) => (button.disabled = false));
  }
}

function renderCard(request) {
  const card = $("card-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = request.auth_req_id;
  card.querySelector(".client").textContent = request.client_name ?? request.client_id;
  card.querySelector(".message").textContent = request.binding_message;
  card.querySelector(".user").textContent = request.user_name
    ? `${request.user_name} (${request.user})`
    : request.user;
  card.querySelector(".audience").textContent = request.audience ?? "none (sign-in only)";
  card.querySelector(".scope").textContent = request.scope;
  if (request.authorization_details?.length) {
    card.querySelector(".details").append(detailsTable(request.authorization_details));
  }
  const approve = card.querySelector(".approve");
  const deny = card.querySelector(".deny");
  approve.setAttribute("aria-label", `Approve: ${request.binding_message}`);
  deny.setAttribute("aria-label", `Deny: ${request.binding_message}`);
  approve.addEventListener("click", () => decide(request, "approve", card));
  deny.addEventListener("click", () => decide(request, "deny", card));
  return card;
}

function renderHistoryItem(request) {
  const item = document.createElement("li");
  item.dataset.id = request.auth_req_id;
  const badge = document.createElement("span");
  badge.className = `outcome ${request.status}`;
  badge.textContent = OUTCOME_LABEL[request.status] ?? request.status;
  const message = document.createElement("strong");
  message.textContent = request.binding_message;
  const who = document.createElement("div");
  const by = request.decision ? ` · ${DECIDED_BY[request.decision.by] ?? request.decision.by}` : "";
  who.textContent = `${request.user} · ${request.client_name ?? request.client_id}${by} · ${request.polls} polls`;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "Timeline";
  const list = document.createElement("ol");
  for (const event of request.timeline ?? []) {
    const li = document.createElement("li");
    const time = new Date(event.at).toLocaleTimeString();
    const extra = event.answer ?? event.by ?? "";
    li.textContent = `${time} ${event.type.replace("_", " ")}${extra ? `: ${extra}` : ""}`;
    list.append(li);
  }
  details.append(summary, list);
  item.append(badge, message, who, details);
  return item;
}

const newestFirst = (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at);

function render() {
  const cards = [...pending.values()].sort(newestFirst);
  const finished = [...recent.values()].sort(newestFirst);

  // Cards already shown stay where they are (a focused button keeps its focus); new ones go
  // in their place, newest first.
  const pendingList = $("pending");
  const shown = new Set(cards.map((r) => r.auth_req_id));
  for (const card of [...pendingList.children]) {
    if (!shown.has(card.dataset.id)) card.remove();
  }
  let previous = null;
  for (const request of cards) {
    let card = pendingList.querySelector(`[data-id="${CSS.escape(request.auth_req_id)}"]`);
    if (!card) {
      card = renderCard(request);
      if (previous) previous.after(card);
      else pendingList.prepend(card);
    }
    previous = card;
  }
  $("pending-count").textContent = String(Math.max(pendingTotal, cards.length));
  $("pending-empty").hidden = cards.length > 0 || pendingTotal > 0;
  $("pending-more").hidden = nextCursor === null;

  $("history").replaceChildren(...finished.map(renderHistoryItem));
  $("history-empty").hidden = finished.length > 0;
  tick();
  // Every card shown was answered while older ones wait: bring the next page in.
  if (cards.length === 0 && nextCursor !== null && loadOlderByItself) void loadOlder();
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
  }
}

/** The next page of older pending requests, from the control API. */
async function loadOlder() {
  if (loadingOlder || nextCursor === null) return;
  loadingOlder = true;
  const button = $("pending-more");
  button.disabled = true;
  try {
    const query = new URLSearchParams({ status: "pending", limit: String(PAGE_SIZE) });
    query.set("cursor", nextCursor);
    const response = await fetch(`/approver/api/requests?${query}`);
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    const page = await response.json();
    for (const request of page.requests) remember(request);
    nextCursor = page.next_cursor;
    pendingTotal = page.total;
    loadOlderByItself = true;
  } catch (e) {
    loadOlderByItself = false;
    $("connection").textContent = `Could not load older requests: ${e.message}`;
  } finally {
    loadingOlder = false;
    button.disabled = false;
  }
  render();
}

function tick() {
  for (const card of $("pending").children) {
    const request = pending.get(card.dataset.id);
    if (!request) continue;
    const left = Date.parse(request.expires_at) - serverNow();
    card.querySelector(".countdown").textContent = `Expires in ${formatRemaining(left)}`;
  }
}

function syncClock(now) {
  clockOffsetMs = Date.parse(now) - Date.now();
}

function connect() {
  const events = new EventSource("/approver/api/events");
  events.addEventListener("open", () => {
    $("connection").textContent = "Live";
  });
  events.addEventListener("error", () => {
    $("connection").textContent = "Reconnecting…";
  });
  events.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    syncClock(data.now);
    pending.clear();
    recent.clear();
    for (const request of data.pending.requests) remember(request);
    for (const request of data.recent) remember(request);
    pendingTotal = data.pending.total;
    nextCursor = data.pending.next_cursor;
    render();
  });
  events.addEventListener("request", (event) => {
    const data = JSON.parse(event.data);
    syncClock(data.now);
    pendingTotal = data.pending;
    remember(data.request);
    render();
  });
}

/**
 * With MOCK_AUTH0_CONTROL_TOKEN set, the tenant wants its token: the page takes it from its
 * URL fragment (`#token=`, never sent to any server) or from the form, and trades it for an
 * HttpOnly session cookie that its event stream and decisions then carry.
 */
async function startSession(token) {
  const response = await fetch("/approver/api/session", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });
  return response.ok;
}

function showLocked(message) {
  $("connection").textContent = "Locked";
  $("locked").hidden = false;
  $("pending-section").hidden = true;
  $("history-section").hidden = true;
  const error = $("unlock-error");
  error.textContent = message ?? "";
  error.hidden = !message;
}

async function start() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    history.replaceState(null, "", location.pathname + location.search);
    await startSession(token);
  }
  const session = await fetch("/approver/api/session");
  if (session.status === 401) {
    showLocked(token ? "That is not this tenant's control token." : undefined);
    return;
  }
  connect();
}

$("unlock").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("token");
  if (!(await startSession(input.value))) {
    showLocked("That is not this tenant's control token.");
    return;
  }
  input.value = "";
  $("locked").hidden = true;
  $("pending-section").hidden = false;
  $("history-section").hidden = false;
  connect();
});
$("pending-more").addEventListener("click", () => void loadOlder());

void start();
setInterval(tick, 1000);
