#!/usr/bin/env bash
# bench/sse-latency.sh — delay from an IMAP APPEND (by a separate client) to the gateway's
# `message.created` Server-Sent Event, over N appends (default 100). Prints median, p90 and worst.
#
# Starts its own Dovecot (127.0.0.1:16143) and a release gateway (127.0.0.1:18091), opens
# /v1/events for one mailbox, then appends one message at a time with Python's imaplib and
# times until its event arrives. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
DIR=/tmp/igw-bench-sse
export DOVECOT_TEST_DIR=$DIR DOVECOT_IMAP_PORT=16143 DOVECOT_IMAPS_PORT=16993 DOVECOT_TEST_USERS=alice
cleanup() {
  [[ -n ${GW_PID:-} ]] && kill "$GW_PID" 2>/dev/null || true
  bash scripts/dovecot-test-server.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
cargo build --release --locked -q
bash scripts/dovecot-test-server.sh stop >/dev/null 2>&1 || true
rm -rf "$DIR/mail"
bash scripts/dovecot-test-server.sh start >/tmp/igw-bench-sse.env
db=$(mktemp -u /tmp/igw-bench-XXXX.db)
IMAP_GATEWAY__HTTP__LISTEN=127.0.0.1:18091 IMAP_GATEWAY__DATABASE__URL="sqlite://$db" \
IMAP_GATEWAY__IMAP__PORT=16143 IMAP_GATEWAY__IMAP__TLS=starttls IMAP_GATEWAY__IMAP__CA_FILE=$DIR/tls/ca.pem \
IMAP_GATEWAY__AUTH__JWT_SECRET=$(openssl rand -base64 48) IMAP_GATEWAY__AUTH__ENCRYPTION_KEY=$(openssl rand -base64 32) \
RUST_LOG=warn target/release/imap-gateway serve &
GW_PID=$!
python3 - "$N" <<'PY'
import http.client, imaplib, json, statistics, sys, time, urllib.request
n = int(sys.argv[1])
base = "http://127.0.0.1:18091"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz"); break
    except Exception:
        time.sleep(0.1)
req = urllib.request.Request(base + "/v1/auth/login", data=json.dumps({"username": "alice", "password": "alice-pass"}).encode(),
                             headers={"content-type": "application/json"})
token = json.load(urllib.request.urlopen(req))["accessToken"]
imap = imaplib.IMAP4("127.0.0.1", 16143)
imap.login("alice", "alice-pass")
imap.create("Bench")
conn = http.client.HTTPConnection("127.0.0.1", 18091)
conn.request("GET", "/v1/events?mailboxes=Bench", headers={"authorization": "Bearer " + token})
resp = conn.getresponse()
assert resp.status == 200, resp.status

def events():
    kind, data = None, None
    while True:
        line = resp.fp.readline().decode().rstrip("\r\n")
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "":
            if kind:
                yield kind, json.loads(data) if data and data.startswith("{") else data
            kind, data = None, None

stream = events()
kind, _ = next(stream)
assert kind == "ready", kind
msg = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: bench\r\n\r\nHello.\r\n"
delays = []
for i in range(1, n + 1):
    t = time.perf_counter()
    imap.append("Bench", None, None, msg)
    for kind, data in stream:
        if kind == "message.created" and i in data["uids"]:
            delays.append((time.perf_counter() - t) * 1000)
            break
def report(label, d):
    d.sort()
    p = lambda q: d[min(len(d) - 1, int(q * len(d)))]
    print(f"{label} over {len(d)} appends: median {statistics.median(d):.1f} ms, p90 {p(0.9):.1f} ms, worst {d[-1]:.1f} ms")
report("gateway: APPEND -> SSE message.created", delays)

# The floor: a plain IMAP client in IDLE on the same mailbox, APPEND -> "* n EXISTS".
import socket
s = socket.create_connection(("127.0.0.1", 16143)); f = s.makefile("rb"); f.readline()
def send(tag, text):
    s.sendall(f"{tag} {text}\r\n".encode())
    while not f.readline().decode().startswith(tag + " "):
        pass
send("a1", "LOGIN alice alice-pass"); send("a2", 'EXAMINE "Bench"')
direct = []
for i in range(n):
    s.sendall(b"i IDLE\r\n")
    while not f.readline().startswith(b"+"):
        pass
    t = time.perf_counter()
    imap.append("Bench", None, None, msg)
    while b"EXISTS" not in f.readline():
        pass
    direct.append((time.perf_counter() - t) * 1000)
    s.sendall(b"DONE\r\n")
    while not f.readline().startswith(b"i "):
        pass
report("direct IMAP IDLE: APPEND -> * EXISTS", direct)
PY
