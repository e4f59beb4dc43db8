// compose.ts: compose, reply and send (or save as a draft) in a dialog.

import { byId, h, notify } from "./dom";
import { api, problemText, type Schemas } from "./session";
import { state } from "./state";

type Message = Schemas["Message"];
let replyTo: { mailbox: string; uid: number } | null = null;

function recipients(text: string): Schemas["Recipient"][] {
  return text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((email) => ({ email }));
}

function field(id: string): HTMLInputElement | HTMLTextAreaElement {
  return byId<HTMLInputElement>(id);
}

export function openCompose(reply?: Message): void {
  const dialog = byId<HTMLDialogElement>("compose");
  replyTo = reply ? { mailbox: state.mailbox, uid: reply.uid } : null;
  const from = reply?.envelope?.replyTo?.length ? reply.envelope.replyTo : reply?.from;
  field("compose-to").value = from?.map((a) => a.email ?? "").filter(Boolean).join(", ") ?? "";
  const subject = reply?.subject ?? "";
  field("compose-subject").value = reply ? (/^re:/i.test(subject) ? subject : `Re: ${subject}`) : "";
  field("compose-text").value = "";
  byId("compose-title").textContent = reply ? "Reply" : "New message";
  dialog.showModal();
  (reply ? field("compose-text") : field("compose-to")).focus();
}

function document(): Schemas["Compose"] {
  return {
    to: recipients(field("compose-to").value),
    subject: field("compose-subject").value,
    text: field("compose-text").value,
    ...(replyTo ? { inReplyTo: replyTo } : {}),
  };
}

export async function sendCompose(): Promise<void> {
  const { data, error } = await api.POST("/v1/messages/send", { body: document() as Schemas["ComposeToSend"] });
  if (!data) return notify(problemText(error), "error");
  byId<HTMLDialogElement>("compose").close();
  notify(`Sent to ${data.accepted.join(", ")}`);
}

export async function saveDraft(): Promise<void> {
  const { data, error } = await api.POST("/v1/drafts", { body: document() });
  if (!data) return notify(problemText(error), "error");
  byId<HTMLDialogElement>("compose").close();
  notify(`Draft saved in ${data.mailbox}`);
}

export function composeDialog(): HTMLDialogElement {
  return h(
    "dialog",
    { id: "compose", "aria-labelledby": "compose-title" },
    h(
      "form",
      { method: "dialog", onsubmit: (e: Event) => (e.preventDefault(), void sendCompose()) },
      h("h2", { id: "compose-title" }, "New message"),
      h("label", { for: "compose-to" }, "To"),
      h("input", { id: "compose-to", type: "text", autocomplete: "email", required: true }),
      h("label", { for: "compose-subject" }, "Subject"),
      h("input", { id: "compose-subject", type: "text" }),
      h("label", { for: "compose-text" }, "Message"),
      h("textarea", { id: "compose-text", rows: 12 }),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", id: "compose-send" }, "Send"),
        h("button", { type: "button", id: "compose-draft", onclick: () => void saveDraft() }, "Save draft"),
        h("button", { type: "button", id: "compose-cancel", onclick: () => byId<HTMLDialogElement>("compose").close() }, "Cancel"),
      ),
    ),
  );
}
