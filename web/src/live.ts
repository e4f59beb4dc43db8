// live.ts: the event stream of the open mailbox. A browser's EventSource cannot send a
// header, so each connection gets a single-use ticket first (POST /v1/events/ticket); a new
// ticket is fetched for every reconnect.

import { api } from "./session";

let source: EventSource | null = null;
let generation = 0;

export type Handlers = {
  created: (mailbox: string, uids: number[]) => void;
  updated: (mailbox: string, uids: number[]) => void;
  deleted: (mailbox: string, uids: number[]) => void;
};

export async function watch(mailbox: string, on: Handlers): Promise<void> {
  const mine = ++generation;
  source?.close();
  source = null;
  const { data } = await api.POST("/v1/events/ticket", { body: { mailboxes: [mailbox] } });
  if (!data || mine !== generation) return;
  const es = new EventSource(`/v1/events?ticket=${encodeURIComponent(data.ticket)}`);
  source = es;
  const handle = (kind: keyof Handlers) => (e: MessageEvent<string>) => {
    const d = JSON.parse(e.data) as { mailbox: string; uids: number[] };
    on[kind](d.mailbox, d.uids);
  };
  es.addEventListener("message.created", handle("created"));
  es.addEventListener("message.updated", handle("updated"));
  es.addEventListener("message.deleted", handle("deleted"));
  es.addEventListener("error", () => {
    // The ticket is spent: reconnect with a new one, unless another mailbox took over.
    es.close();
    if (mine === generation) setTimeout(() => void watch(mailbox, on), 2000);
  });
}

export function stopWatching(): void {
  generation++;
  source?.close();
  source = null;
}
