// reader.ts: the reading pane: sanitized HTML (the gateway's `sanitize=true`: no scripts,
// handlers, styles or remote loads, `cid:` rewritten to part URLs, whose images are fetched
// with the token), or the plain text; attachments to download; the part tree on demand.

import { byId, clear, formatSize, h, notify } from "./dom";
import { api, fetchBlob, problemText, type Schemas } from "./session";
import { state } from "./state";

type Message = Schemas["Message"];
type Part = Schemas["BodyPart"];
export type Actions = {
  reply: (m: Message) => void;
  flag: (m: Message) => void;
  move: (m: Message, destination: string) => void;
  remove: (m: Message) => void;
  destinations: () => string[];
};
let actions: Actions;

export function initReader(a: Actions): void {
  actions = a;
}

export async function openMessage(uid: number): Promise<void> {
  const pane = byId("reader");
  const { data, error } = await api.GET("/v1/mailboxes/{mailbox}/messages/{uid}", {
    params: { path: { mailbox: state.mailbox, uid }, query: { sanitize: true } },
  });
  if (!data) return notify(problemText(error), "error");
  state.open = data;
  pane.dataset.uid = String(uid);
  clear(pane);
  pane.append(header(data), await body(data), attachments(data), partTree(data));
  byId("reader-title").focus();
}

export function closeMessage(): void {
  state.open = null;
  const pane = byId("reader");
  delete pane.dataset.uid;
  clear(pane);
}

function addresses(list: Schemas["EmailAddress"][]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.email ?? ""}>` : (a.email ?? a.group ?? ""))).join(", ");
}

function header(m: Message): HTMLElement {
  const flagged = !!m.keywords["$flagged"];
  const select = h("select", { id: "move-to", "aria-label": "Move to mailbox" });
  for (const name of actions.destinations().filter((n) => n !== state.mailbox)) {
    select.append(h("option", { value: name }, name));
  }
  return h(
    "header",
    { class: "message-head" },
    h("h2", { id: "reader-title", tabindex: "-1" }, m.subject || "(no subject)"),
    h("p", { class: "meta" }, h("span", { class: "label" }, "From "), addresses(m.from)),
    h("p", { class: "meta" }, h("span", { class: "label" }, "To "), addresses(m.to)),
    h("p", { class: "meta" }, h("span", { class: "label" }, "Date "), m.sentAt ? new Date(m.sentAt).toLocaleString() : ""),
    h(
      "div",
      { class: "actions", role: "toolbar", "aria-label": "Message actions" },
      h("button", { type: "button", id: "reply", onclick: () => actions.reply(m) }, "Reply"),
      h("button", { type: "button", id: "flag", "aria-pressed": String(flagged), onclick: () => actions.flag(m) }, flagged ? "Unflag" : "Flag"),
      select,
      h("button", { type: "button", id: "move", onclick: () => actions.move(m, select.value) }, "Move"),
      h("button", { type: "button", id: "delete", onclick: () => actions.remove(m) }, "Delete"),
    ),
  );
}

async function body(m: Message): Promise<HTMLElement> {
  const html = m.htmlBody?.map((p) => m.bodyValues?.[p.partId]).find((v) => v?.html === "sanitized");
  if (html) {
    // Parsed inert (nothing loads or runs), images rewritten to fetched blobs, then adopted.
    const doc = new DOMParser().parseFromString(html.value, "text/html");
    const images = [...doc.querySelectorAll("img")];
    for (const img of images) {
      const src = img.getAttribute("src");
      img.removeAttribute("src");
      if (src && src.startsWith("/v1/")) img.dataset.part = src;
    }
    const box = h("div", { class: "mail-body html", "aria-label": "Message body" });
    box.append(...[...doc.body.childNodes].map((n) => document.adoptNode(n)));
    await Promise.all(
      [...box.querySelectorAll<HTMLImageElement>("img[data-part]")].map(async (img) => {
        try {
          img.src = URL.createObjectURL(await fetchBlob(img.dataset.part!));
        } catch {
          img.alt = img.alt || "(image not available)";
        }
      }),
    );
    return box;
  }
  const text = (m.textBody ?? []).map((p) => m.bodyValues?.[p.partId]?.value ?? "").join("\n");
  return h("pre", { class: "mail-body text", "aria-label": "Message body" }, text);
}

function attachments(m: Message): HTMLElement | string {
  const files = m.attachments ?? [];
  if (!files.length) return "";
  return h(
    "section",
    { class: "attachments", "aria-label": "Attachments" },
    h("h3", {}, `Attachments (${files.length})`),
    h(
      "ul",
      {},
      ...files.map((f) => {
        const name = f.name || `part-${f.partId}.${(f.type ?? "bin").split("/").pop()}`;
        const size = `${f.sizeIsEstimate ? "about " : ""}${formatSize(f.size)}`;
        return h("li", {}, h("button", { type: "button", class: "download", "data-part": f.partId, onclick: () => void download(f.downloadUrl, name) }, `${name} (${size})`));
      }),
    ),
  );
}

async function download(url: string, name: string): Promise<void> {
  try {
    const blobUrl = URL.createObjectURL(await fetchBlob(url));
    const a = h("a", { href: blobUrl, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
  } catch (e) {
    notify(String(e), "error");
  }
}

function partTree(m: Message): HTMLElement {
  const details = h("details", { class: "parts" }, h("summary", {}, "Message structure"));
  details.addEventListener(
    "toggle",
    async () => {
      const { data } = await api.GET("/v1/mailboxes/{mailbox}/messages/{uid}/bodystructure", {
        params: { path: { mailbox: state.mailbox, uid: m.uid } },
      });
      if (data) details.append(tree(data));
    },
    { once: true },
  );
  return details;
}

function tree(p: Part): HTMLElement {
  const label = `${p.partId ?? "message"}: ${p.type}${p.name ? ` "${p.name}"` : ""}, ${formatSize(p.size)}`;
  return h("ul", {}, h("li", {}, label, ...(p.subParts ?? []).map(tree)));
}
