#!/usr/bin/env bash
# bench/page-scale.sh — time one page of 50 from mailboxes of 1,000 and 100,000 messages.
#
# Starts its own Dovecot (127.0.0.1:15143) and a release gateway (127.0.0.1:18090), seeds the
# mailboxes by writing Maildir files, warms each mailbox once (Dovecot builds its index), then
# times ROUNDS sequential requests for the first page and for a page deep in the mailbox.
# Prints mean and p50/p95 per case. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-50}
DIR=/tmp/igw-bench-dovecot
export DOVECOT_TEST_DIR=$DIR DOVECOT_IMAP_PORT=15143 DOVECOT_IMAPS_PORT=15993 DOVECOT_TEST_USERS=alice
cleanup() {
  [[ -n ${GW_PID:-} ]] && kill "$GW_PID" 2>/dev/null || true
  bash scripts/dovecot-test-server.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
cargo build --release --locked -q
bash scripts/dovecot-test-server.sh stop >/dev/null 2>&1 || true
rm -rf "$DIR/mail"
bash scripts/dovecot-test-server.sh start >/tmp/igw-bench-dovecot.env
root=$DIR/mail/alice/Maildir
python3 bench/seed_maildir.py "$root" k1 1000
python3 bench/seed_maildir.py "$root" k100 100000
chown -R nobody:nogroup "$DIR/mail" 2>/dev/null || chown -R nobody "$DIR/mail"
db=$(mktemp -u /tmp/igw-bench-XXXX.db)
IMAP_GATEWAY__HTTP__LISTEN=127.0.0.1:18090 IMAP_GATEWAY__DATABASE__URL="sqlite://$db" \
IMAP_GATEWAY__IMAP__PORT=15143 IMAP_GATEWAY__IMAP__TLS=starttls IMAP_GATEWAY__IMAP__CA_FILE=$DIR/tls/ca.pem \
IMAP_GATEWAY__AUTH__JWT_SECRET=$(openssl rand -base64 48) IMAP_GATEWAY__AUTH__ENCRYPTION_KEY=$(openssl rand -base64 32) \
RUST_LOG=warn target/release/imap-gateway serve &
GW_PID=$!
python3 - "$ROUNDS" <<'PY'
import json, statistics, sys, time, urllib.request
rounds = int(sys.argv[1])
base = "http://127.0.0.1:18090"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz"); break
    except Exception:
        time.sleep(0.1)
req = urllib.request.Request(base + "/v1/auth/login", data=json.dumps({"username": "alice", "password": "alice-pass"}).encode(),
                             headers={"content-type": "application/json"})
token = json.load(urllib.request.urlopen(req))["accessToken"]
def get(path):
    r = urllib.request.Request(base + path, headers={"authorization": "Bearer " + token})
    t = time.perf_counter(); body = json.load(urllib.request.urlopen(r)); return time.perf_counter() - t, body
for box in ("k1", "k100"):
    get(f"/v1/mailboxes/{box}/messages?limit=50")  # Dovecot indexes the folder on first access
    _, first = get(f"/v1/mailboxes/{box}/messages?limit=50")
    deep = first
    for _ in range(5):  # a cursor a few pages in
        deep = get(f"/v1/mailboxes/{box}/messages?limit=50&cursor={deep['nextCursor']}")[1]
    for label, path in (("first page", f"/v1/mailboxes/{box}/messages?limit=50"),
                        ("page 7", f"/v1/mailboxes/{box}/messages?limit=50&cursor={deep['nextCursor']}")):
        times = sorted(get(path)[0] * 1000 for _ in range(rounds))
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"{box:>5} ({first['total']:>6} msgs) {label:<10} mean {statistics.mean(times):6.2f} ms  p50 {p(0.5):6.2f} ms  p95 {p(0.95):6.2f} ms  ({rounds} requests)")
PY
