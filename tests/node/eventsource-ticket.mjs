// Opens the gateway's event stream as a web page would: a WHATWG EventSource (the `eventsource`
// package, the Node stand-in for a browser's) on `GET /v1/events?ticket=…`, which sends no
// Authorization header. Prints one JSON line per event or error, and exits 0 after `want`
// message events, or once the EventSource gives up (a refused connection closes it).
//
//   IGW_NODE_DEPS=<dir with node_modules> node eventsource-ticket.mjs URL WANT
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.env.IGW_NODE_DEPS ?? '.', 'package.json'));
const { EventSource } = require('eventsource');

const [url, want] = process.argv.slice(2);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const es = new EventSource(url);
let changes = 0;
for (const type of ['ready', 'resync', 'message.created', 'message.updated', 'message.deleted', 'mailbox.changed']) {
  es.addEventListener(type, (e) => {
    out({ type, id: e.lastEventId, data: JSON.parse(e.data) });
    if (type.startsWith('message.') && ++changes >= Number(want)) {
      es.close();
      process.exit(0);
    }
  });
}
es.addEventListener('error', (e) => {
  out({ type: 'error', code: e.code ?? null, closed: es.readyState === EventSource.CLOSED });
  if (es.readyState === EventSource.CLOSED) process.exit(0);
});
setTimeout(() => {
  out({ type: 'timeout' });
  process.exit(2);
}, 30_000);
