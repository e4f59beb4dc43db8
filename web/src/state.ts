// state.ts: what the page shows, in one place: the mailboxes, the open mailbox's loaded
// summaries (newest first), the selection and the open message.

import type { Schemas } from "./session";

export type Summary = Schemas["MessageSummary"];
export type Mailbox = Schemas["Mailbox"];

export const state = {
  mailboxes: [] as Mailbox[],
  mailbox: "INBOX",
  items: [] as Summary[],
  cursor: null as string | null,
  /** Messages in the open mailbox (the page's `total`). */
  total: 0,
  /** A search result is shown instead of the mailbox's pages. */
  searching: false,
  selected: -1,
  open: null as Schemas["Message"] | null,
};

/** Timings the browser tests read (answer received → rows in the DOM), in ms. */
export const timings: { what: string; ms: number; rows: number }[] = [];
declare global {
  interface Window {
    igwTimings: typeof timings;
  }
}
window.igwTimings = timings;
