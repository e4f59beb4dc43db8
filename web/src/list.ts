// list.ts: the message list: pages by cursor with infinite scroll, unread and flagged marks,
// preview lines, the selection, and rows merged in from live events.

import { byId, formatDate, h, notify } from "./dom";
import { api, problemText } from "./session";
import { state, timings, type Summary } from "./state";

export const PAGE = 50;
let onOpen: (index: number) => void = () => {};
let loading = false;

export function initList(open: (index: number) => void): void {
  onOpen = open;
  const sentinel = byId("more");
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void loadMore();
  }).observe(sentinel);
}

function sender(s: Summary): string {
  const f = s.from[0];
  return f ? f.name || f.email || "" : "";
}

/** Rows drawn earlier, by UID, with the summary they show: an unchanged one is kept, so a
 * redraw (after a live event) does not replace the element a person is clicking. */
const drawn = new Map<number, { key: string; el: HTMLLIElement }>();

function cachedRow(s: Summary): HTMLLIElement {
  const key = JSON.stringify(s);
  const old = drawn.get(s.uid);
  if (old && old.key === key) return old.el;
  const el = row(s);
  drawn.set(s.uid, { key, el });
  return el;
}

function row(s: Summary): HTMLLIElement {
  const unread = !s.keywords["$seen"];
  const flagged = !!s.keywords["$flagged"];
  const subject = s.subject || "(no subject)";
  return h(
    "li",
    { class: `row${unread ? " unread" : ""}${flagged ? " flagged" : ""}`, "data-uid": s.uid },
    h(
      "button",
      {
        type: "button",
        class: "open",
        onclick: () => onOpen(state.items.findIndex((x) => x.uid === s.uid)),
      },
      unread || flagged ? h("span", { class: "visually-hidden" }, `${unread ? "Unread. " : ""}${flagged ? "Flagged. " : ""}`) : null,
      h("span", { class: "from" }, sender(s)),
      h("span", { class: "date" }, formatDate(s.receivedAt ?? s.sentAt)),
      h("span", { class: "subject" }, subject),
      s.preview ? h("span", { class: "preview" }, s.preview) : null,
      h("span", { class: "marks", "aria-hidden": "true" }, `${flagged ? "★" : ""}${s.hasAttachment ? "📎" : ""}`),
    ),
  );
}

/** Draws every loaded summary; records how long the rows took after the answer came. */
export function renderList(answeredAt?: number): void {
  const list = byId("messages");
  const els = state.items.map(cachedRow);
  list.replaceChildren(...els);
  els.forEach((r, i) => markCurrent(r.querySelector("button")!, i === state.selected));
  byId("list-title").textContent = state.searching ? `Search in ${state.mailbox}` : state.mailbox;
  byId("list-count").textContent = state.searching ? `${rows(state.items.length)} found` : rows(state.total);
  byId("more").hidden = state.searching || !state.cursor;
  if (answeredAt !== undefined) {
    const count = state.items.length;
    requestAnimationFrame(() => timings.push({ what: "list", ms: performance.now() - answeredAt, rows: count }));
  }
}

function rows(n: number): string {
  return `${n} message${n === 1 ? "" : "s"}`;
}

export async function openMailbox(name: string): Promise<void> {
  drawn.clear();
  state.mailbox = name;
  state.items = [];
  state.cursor = null;
  state.searching = false;
  state.selected = -1;
  await loadMore(true);
}

export async function loadMore(first = false): Promise<void> {
  if (loading || (!first && (!state.cursor || state.searching))) return;
  loading = true;
  try {
    const query = first ? { limit: PAGE } : { limit: PAGE, cursor: state.cursor ?? undefined };
    const { data, error } = await api.GET("/v1/mailboxes/{mailbox}/messages", {
      params: { path: { mailbox: state.mailbox }, query },
    });
    const answeredAt = performance.now();
    if (!data) return notify(problemText(error), "error");
    state.items = first ? data.items : [...state.items, ...data.items];
    state.cursor = data.nextCursor ?? null;
    state.total = data.total;
    renderList(answeredAt);
  } finally {
    loading = false;
  }
}

/** New and changed messages of the open mailbox, from the newest page. */
export async function refreshTop(): Promise<void> {
  if (state.searching) return;
  const { data } = await api.GET("/v1/mailboxes/{mailbox}/messages", {
    params: { path: { mailbox: state.mailbox }, query: { limit: PAGE } },
  });
  if (!data) return;
  const fresh = new Map(data.items.map((s) => [s.uid, s]));
  const known = new Set(state.items.map((s) => s.uid));
  const added = data.items.filter((s) => !known.has(s.uid));
  const selectedUid = state.items[state.selected]?.uid;
  state.total = data.total;
  state.items = [...added, ...state.items.map((s) => fresh.get(s.uid) ?? s)];
  if (selectedUid !== undefined) state.selected = state.items.findIndex((s) => s.uid === selectedUid);
  renderList();
}

export function removeUids(uids: number[]): void {
  const gone = new Set(uids);
  const selectedUid = state.items[state.selected]?.uid;
  state.items = state.items.filter((s) => !gone.has(s.uid));
  state.selected = selectedUid === undefined ? -1 : state.items.findIndex((s) => s.uid === selectedUid);
  renderList();
}

function markCurrent(b: HTMLButtonElement, current: boolean): void {
  if (current) b.setAttribute("aria-current", "true");
  else b.removeAttribute("aria-current");
}

export function rowButtons(): HTMLButtonElement[] {
  return [...byId("messages").querySelectorAll<HTMLButtonElement>("button.open")];
}

/** Moves the selection by `delta` rows and focuses it (j/k). */
export function moveSelection(delta: number): void {
  if (!state.items.length) return;
  state.selected = Math.min(state.items.length - 1, Math.max(0, state.selected + delta));
  const buttons = rowButtons();
  buttons.forEach((b, i) => markCurrent(b, i === state.selected));
  buttons[state.selected]?.focus();
  if (state.selected >= state.items.length - 5) void loadMore();
}

export function showResults(items: Summary[], answeredAt: number): void {
  state.items = items;
  state.cursor = null;
  state.searching = true;
  state.selected = -1;
  renderList(answeredAt);
}
