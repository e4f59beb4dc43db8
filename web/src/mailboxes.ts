// mailboxes.ts: the mailbox tree in the navigation landmark, with roles and unread counts.

import { byId, clear, h, notify } from "./dom";
import { api, problemText } from "./session";
import { state, type Mailbox } from "./state";

let onPick: (name: string) => void = () => {};

export function initMailboxes(pick: (name: string) => void): void {
  onPick = pick;
}

export async function loadMailboxes(): Promise<void> {
  const { data, error } = await api.GET("/v1/mailboxes", { params: { query: { counts: true } } });
  if (!data) return notify(problemText(error), "error");
  state.mailboxes = data.items;
  renderMailboxes();
}

function depth(m: Mailbox): number {
  return m.delimiter ? m.name.split(m.delimiter).length - 1 : 0;
}

function leaf(m: Mailbox): string {
  return m.delimiter ? m.name.split(m.delimiter).pop()! : m.name;
}

export function renderMailboxes(): void {
  const list = byId("mailboxes");
  clear(list);
  const sorted = [...state.mailboxes].sort((a, b) =>
    a.name === "INBOX" ? -1 : b.name === "INBOX" ? 1 : a.name.localeCompare(b.name),
  );
  for (const m of sorted) {
    const unseen = m.counts?.unseen ?? 0;
    const role = m.role ? String(m.role) : "";
    const button = h(
      "button",
      {
        type: "button",
        class: "mailbox",
        "data-mailbox": m.name,
        "aria-current": m.name === state.mailbox ? "page" : undefined,
        disabled: !m.isSelectable,
        onclick: () => onPick(m.name),
      },
      h("span", { class: "name" }, leaf(m)),
      role ? h("span", { class: "role" }, role) : null,
      unseen ? h("span", { class: "unread" }, String(unseen), h("span", { class: "visually-hidden" }, " unread")) : null,
    );
    // Through the CSSOM: the page's CSP allows no inline style attribute.
    button.style.paddingLeft = `${0.5 + depth(m)}rem`;
    list.appendChild(h("li", {}, button));
  }
}

export function selectableNames(): string[] {
  return state.mailboxes.filter((m) => m.isSelectable).map((m) => m.name);
}
