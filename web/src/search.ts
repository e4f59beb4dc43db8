// search.ts: the filter builder: from, subject, text, a date range and "unread only" become
// one AND of conditions, searched in the open mailbox.

import { notify } from "./dom";
import { showResults } from "./list";
import { api, problemText, type Schemas } from "./session";
import { state } from "./state";

type Filter = Schemas["Filter"];
type Condition = Schemas["FilterCondition"];

export type SearchFields = {
  from: string;
  subject: string;
  text: string;
  since: string;
  before: string;
  unread: boolean;
};

/** The filter tree of the builder's fields; null when every field is empty. */
export function buildFilter(f: SearchFields): Filter | null {
  const conditions: Condition[] = [];
  if (f.from.trim()) conditions.push({ from: f.from.trim() });
  if (f.subject.trim()) conditions.push({ subject: f.subject.trim() });
  if (f.text.trim()) conditions.push({ text: f.text.trim() });
  if (f.since) conditions.push({ since: f.since });
  if (f.before) conditions.push({ before: f.before });
  if (f.unread) conditions.push({ seen: false });
  if (!conditions.length) return null;
  return conditions.length === 1 ? conditions[0]! : { operator: "AND", conditions };
}

export async function search(fields: SearchFields): Promise<boolean> {
  const filter = buildFilter(fields);
  if (!filter) return false;
  const { data, error } = await api.POST("/v1/mailboxes/{mailbox}/search", {
    params: { path: { mailbox: state.mailbox } },
    body: { filter, return: "summaries", limit: 200 },
  });
  const answeredAt = performance.now();
  if (!data) {
    notify(problemText(error), "error");
    return false;
  }
  showResults(data.items ?? [], answeredAt);
  notify(`${data.total} found`);
  return true;
}
