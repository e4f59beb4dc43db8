// main.ts: the login screen, the shell (banner, navigation, list, reading pane, compose
// dialog), the actions and the keyboard: j/k move, Enter opens, / searches, c composes.

import { composeDialog, openCompose } from "./compose";
import { byId, clear, h, notify } from "./dom";
import { initList, moveSelection, openMailbox, refreshTop, removeUids, renderList, rowButtons } from "./list";
import { watch, stopWatching } from "./live";
import { initMailboxes, loadMailboxes, renderMailboxes, selectableNames } from "./mailboxes";
import { closeMessage, initReader, openMessage } from "./reader";
import { search } from "./search";
import { api, login, logout, problemText, type Schemas } from "./session";
import { state } from "./state";

const root = byId("app");

function showLogin(message = ""): void {
  stopWatching();
  clear(root);
  const error = h("p", { id: "login-error", role: "alert" }, message);
  const form = h(
    "form",
    { id: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to your mail"),
    h("label", { for: "username" }, "User name"),
    h("input", { id: "username", name: "username", autocomplete: "username", required: true }),
    h("label", { for: "password" }, "Password"),
    h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const failed = await login(byId<HTMLInputElement>("username").value, byId<HTMLInputElement>("password").value, () =>
      showLogin("Your session has ended: sign in again."),
    );
    if (failed) error.textContent = failed;
    else void showApp();
  });
  root.append(h("main", { class: "login" }, form));
  byId("username").focus();
}

function searchForm(): HTMLFormElement {
  const input = (id: string, label: string, type = "text") => [
    h("label", { for: id }, label),
    h("input", { id, type }),
  ];
  const form = h(
    "form",
    { id: "search", role: "search", "aria-label": "Search messages" },
    ...input("search-from", "From"),
    ...input("search-subject", "Subject"),
    ...input("search-text", "Text"),
    ...input("search-since", "Since", "date"),
    ...input("search-before", "Before", "date"),
    h("label", { for: "search-unread", class: "check" }, h("input", { id: "search-unread", type: "checkbox" }), "Unread only"),
    h("button", { type: "submit" }, "Search"),
    h("button", { type: "button", id: "search-clear", onclick: () => void pickMailbox(state.mailbox) }, "Clear"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = (id: string) => byId<HTMLInputElement>(id).value;
    closeMessage();
    void search({
      from: v("search-from"),
      subject: v("search-subject"),
      text: v("search-text"),
      since: v("search-since"),
      before: v("search-before"),
      unread: byId<HTMLInputElement>("search-unread").checked,
    });
  });
  return form;
}

async function showApp(): Promise<void> {
  clear(root);
  root.append(
    h(
      "header",
      { class: "banner" },
      h("span", { class: "brand" }, "imap-gateway mail"),
      searchForm(),
      h("button", { type: "button", id: "compose-open", onclick: () => openCompose() }, "Compose"),
      h("button", { type: "button", id: "logout", onclick: () => void logout().then(() => showLogin()) }, "Sign out"),
    ),
    h("nav", { "aria-label": "Mailboxes" }, h("h2", { class: "visually-hidden" }, "Mailboxes"), h("ul", { id: "mailboxes" })),
    h(
      "main",
      {},
      h(
        "section",
        { class: "list", "aria-labelledby": "list-title" },
        h("h1", { id: "list-title" }, "INBOX"),
        h("p", { id: "list-count", class: "count" }),
        h("ol", { id: "messages" }),
        h("p", { id: "more" }, "Loading more…"),
      ),
      h("article", { id: "reader", "aria-label": "Message" }),
    ),
    h("p", { id: "status", role: "status" }),
    composeDialog(),
  );
  initMailboxes((name) => void pickMailbox(name));
  initList((i) => void openAt(i));
  initReader({
    reply: (m) => openCompose(m),
    flag: (m) => void setKeyword(m, "$flagged", !m.keywords["$flagged"]),
    move: (m, to) => void move(m, to),
    remove: (m) => void remove(m),
    destinations: selectableNames,
  });
  await loadMailboxes();
  await pickMailbox("INBOX");
}

async function pickMailbox(name: string): Promise<void> {
  closeMessage();
  await openMailbox(name);
  renderMailboxes();
  void watch(name, {
    created: (mb) => mb === state.mailbox && void refreshTop().then(loadMailboxes),
    updated: (mb) => mb === state.mailbox && void refreshTop(),
    deleted: (mb, uids) => mb === state.mailbox && removeUids(uids),
  });
}

async function openAt(index: number): Promise<void> {
  const s = state.items[index];
  if (!s) return;
  state.selected = index;
  renderList();
  await openMessage(s.uid);
  if (!s.keywords["$seen"]) await setKeyword(state.open!, "$seen", true, false);
  renderList();
}

async function setKeyword(m: Schemas["Message"], keyword: string, on: boolean, reopen = true): Promise<void> {
  const { error } = await api.PATCH("/v1/mailboxes/{mailbox}/messages/{uid}", {
    params: { path: { mailbox: state.mailbox, uid: m.uid } },
    body: { keywords: { [keyword]: on } },
    headers: { "Content-Type": "application/merge-patch+json" },
  });
  if (error) return notify(problemText(error), "error");
  const item = state.items.find((s) => s.uid === m.uid);
  if (item) item.keywords = { ...item.keywords, [keyword]: on };
  if (!on) delete item?.keywords[keyword];
  renderList();
  if (reopen) await openMessage(m.uid);
  void loadMailboxes();
}

async function move(m: Schemas["Message"], destination: string): Promise<void> {
  if (!destination) return;
  const { error } = await api.POST("/v1/mailboxes/{mailbox}/messages/move", {
    params: { path: { mailbox: state.mailbox } },
    body: { uids: [m.uid], destination },
  });
  if (error) return notify(problemText(error), "error");
  closeMessage();
  removeUids([m.uid]);
  notify(`Moved to ${destination}`);
  void loadMailboxes();
}

async function remove(m: Schemas["Message"]): Promise<void> {
  const { error } = await api.DELETE("/v1/mailboxes/{mailbox}/messages/{uid}", {
    params: { path: { mailbox: state.mailbox, uid: m.uid } },
  });
  if (error) return notify(problemText(error), "error");
  closeMessage();
  removeUids([m.uid]);
  notify("Deleted");
}

document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement;
  if (!byId("app").querySelector("main:not(.login)") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (target.closest("input, textarea, select, dialog")) return;
  // j/k move from the focused row, if one is focused.
  const focusedRow = rowButtons().indexOf(target as HTMLButtonElement);
  if (focusedRow >= 0) state.selected = focusedRow;
  if (e.key === "j") moveSelection(1);
  else if (e.key === "k") moveSelection(-1);
  else if (e.key === "Enter" && target.closest("#messages")) return; // the row's button opens it
  else if (e.key === "Enter" && state.selected >= 0) void openAt(state.selected);
  else if (e.key === "/") byId("search-from").focus();
  else if (e.key === "c") openCompose();
  else return;
  e.preventDefault();
});

showLogin();
