// An example client of imap-gateway, typed from its OpenAPI document (openapi-typescript +
// openapi-fetch): it logs in, lists mailboxes, pages a mailbox with a cursor, reads a message
// with If-None-Match, searches with a nested filter, appends with an Idempotency-Key, flags the
// new message with If-Match, and reads three Server-Sent Events through a browser-style
// EventSource opened with a ticket. Each step prints one line.
//
//   GATEWAY_URL=http://127.0.0.1:8080 GATEWAY_USER=alice GATEWAY_PASSWORD=… node dist/example.js
//
// It writes to the mailbox (GATEWAY_MAILBOX, default INBOX): one appended message, flagged.
import createClient from 'openapi-fetch';
import { EventSource } from 'eventsource';
import type { components, paths } from './schema.js';

type Filter = components['schemas']['Filter'];
type Problem = components['schemas']['Problem'];

const base = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
const mailbox = process.env.GATEWAY_MAILBOX ?? 'INBOX';
const username = process.env.GATEWAY_USER ?? 'alice';
const password = process.env.GATEWAY_PASSWORD ?? '';

const api = createClient<paths>({ baseUrl: base });

/** The data of a successful answer, or an error naming the step and the problem. */
function must<T>(r: { data?: T; error?: unknown; response: Response }, step: string): T {
  if (r.data === undefined) {
    const problem = r.error as Problem | undefined;
    throw new Error(`${step}: ${r.response.status} ${problem?.type ?? ''} ${problem?.detail ?? ''}`);
  }
  return r.data;
}

// 1. Log in; every later request carries the access token.
const tokens = must(await api.POST('/v1/auth/login', { body: { username, password } }), 'login');
api.use({
  onRequest({ request }) {
    request.headers.set('Authorization', `Bearer ${tokens.accessToken}`);
    return request;
  },
});
console.log(`login: ${tokens.tokenType} token, expires in ${tokens.expiresIn} s`);

// 2. Mailboxes.
const listed = must(await api.GET('/v1/mailboxes'), 'mailboxes');
console.log(`mailboxes: ${listed.items.map((m) => `${m.name}${m.role ? ` (${m.role})` : ''}`).join(', ')}`);

// The event stream, opened now so that it sees the changes below. A browser's EventSource
// cannot send Authorization: a single-use ticket stands in for it.
const ticket = must(await api.POST('/v1/events/ticket', { body: { mailboxes: [mailbox] } }), 'ticket');
const stream = new EventSource(`${base}/v1/events?ticket=${ticket.ticket}`);
const seen: string[] = [];
const three = new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`events: only ${seen.length} in 30 s`)), 30_000);
  const take = (e: MessageEvent<string>) => {
    const data = JSON.parse(e.data) as components['schemas']['EventData'] | components['schemas']['ReadyEvent'];
    seen.push(`${e.type} ${'uids' in data ? `uids ${JSON.stringify(data.uids)}` : JSON.stringify(data)}`);
    if (seen.length === 3) {
      clearTimeout(timer);
      resolve();
    }
  };
  // mailbox.changed (counts) may come between them: not listened to here.
  for (const type of ['ready', 'message.created', 'message.updated', 'message.deleted', 'resync']) {
    stream.addEventListener(type, take);
  }
  stream.addEventListener('error', (e) => {
    clearTimeout(timer);
    reject(new Error(`events: ${e.message ?? 'failed'}`));
  });
});
const arrival = (type: string) =>
  new Promise<void>((resolve) => stream.addEventListener(type, () => resolve(), { once: true }));
const created = arrival('message.created');
await arrival('ready');

// 3. Pages of two, newest first, following the cursor.
let cursor: string | undefined;
const pages: number[] = [];
do {
  const page = must(
    await api.GET('/v1/mailboxes/{mailbox}/messages', { params: { path: { mailbox }, query: { limit: 2, cursor } } }),
    'page',
  );
  pages.push(page.items.length);
  cursor = page.nextCursor ?? undefined;
} while (cursor !== undefined && pages.length < 50);
console.log(`pages: ${pages.join(' + ')} messages`);

// 4. Append a message, twice with the same Idempotency-Key: stored once.
const raw = [
  'From: Example <example@example.com>',
  `To: ${username}@example.com`,
  'Subject: typed client example',
  'Message-ID: <typed-client-example@example.com>',
  '',
  'Sent by clients/typescript.',
  '',
].join('\r\n');
const key = `ts-example-${Date.now()}`;
const append = () =>
  api.POST('/v1/mailboxes/{mailbox}/messages', {
    params: { path: { mailbox }, header: { 'Idempotency-Key': key } },
    body: raw,
    bodySerializer: (body) => (typeof body === 'string' ? body : JSON.stringify(body)),
    headers: { 'Content-Type': 'message/rfc822' },
  });
const first = await append();
const again = await append();
const appended = must(first, 'append');
const uid = appended.uid;
if (uid === null || uid === undefined) throw new Error('append: the server gave no UID (no UIDPLUS)');
console.log(
  `append: uid ${uid}, retry answered uid ${must(again, 'append again').uid}, replayed ${again.response.headers.get('Idempotency-Replayed')}`,
);

// 5. Read it, then read it again with its ETag: 304.
const path = { mailbox, uid };
const read = await api.GET('/v1/mailboxes/{mailbox}/messages/{uid}', { params: { path } });
const message = must(read, 'read');
const etag = read.response.headers.get('ETag') ?? '';
const cached = await api.GET('/v1/mailboxes/{mailbox}/messages/{uid}', {
  params: { path, header: { 'If-None-Match': etag } },
});
console.log(`read: "${message.subject}", preview "${message.preview}", again with If-None-Match: ${cached.response.status}`);

// 6. A nested filter: (subject OR from) AND NOT deleted AND NOT flagged.
const filter: Filter = {
  operator: 'AND',
  conditions: [
    { operator: 'OR', conditions: [{ subject: 'typed client' }, { from: 'example@example.com' }] },
    { operator: 'NOT', conditions: [{ deleted: true }, { flagged: true }] },
  ],
};
const found = must(
  await api.POST('/v1/mailboxes/{mailbox}/search', { params: { path: { mailbox } }, body: { filter, return: 'summaries' } }),
  'search',
);
console.log(`search: ${found.total} match, uids ${JSON.stringify(found.uids)}`);

// 7. Flag it if nothing changed it since it was read (If-Match: its ETag). First wait for the
// stream to report the new message: a change the server makes before the gateway looks comes
// as part of message.created, not as its own message.updated.
await created;
const flagged = await api.PATCH('/v1/mailboxes/{mailbox}/messages/{uid}', {
  params: { path, header: { 'If-Match': etag } },
  body: { keywords: { $flagged: true } },
  headers: { 'Content-Type': 'application/merge-patch+json' },
});
const flags = must(flagged, 'flags');
const stale = await api.PATCH('/v1/mailboxes/{mailbox}/messages/{uid}', {
  params: { path, header: { 'If-Match': etag } },
  body: { keywords: { $flagged: null } },
  headers: { 'Content-Type': 'application/merge-patch+json' },
});
console.log(`flags: $flagged ${flags.keywords['$flagged'] ?? false}, the old ETag again: ${stale.response.status}`);

// 8. The three events: ready, the append, the flag change.
await three;
stream.close();
for (const line of seen) console.log(`event: ${line}`);
