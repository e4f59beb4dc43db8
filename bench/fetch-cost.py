#!/usr/bin/env python3
"""Dovecot's CPU per cold message read, by the FETCH sequence a client sends (bench/HISTORY.md,
run 12), and the slow reads of 16 concurrent sessions next to rewrites of dovecot.index.

Needs a running Dovecot on this machine (its imap processes are read in /proc) with a mailbox
of messages never read before, such as a throwaway one from scripts/dovecot-test-server.sh:

    export DOVECOT_TEST_DIR=/tmp/igw-cost DOVECOT_IMAP_PORT=11143 DOVECOT_IMAPS_PORT=11993 DOVECOT_TEST_USERS=alice
    scripts/dovecot-test-server.sh start >/dev/null
    bench/fetch-cost.py seed --maildir /tmp/igw-cost/mail/alice/Maildir --count 100000
    chown -R nobody:nogroup /tmp/igw-cost/mail
    bench/fetch-cost.py cost --port 11143 --first-uid 1 direct,gateway,spec2,direct,gateway,spec2
    bench/fetch-cost.py stall --port 11143 --first-uid 60001 --index-dir /tmp/igw-cost/mail/alice/Maildir
    bench/fetch-cost.py stall --port 11143 --first-uid 70001 --sequence spec2 --index-dir /tmp/igw-cost/mail/alice/Maildir
    scripts/dovecot-test-server.sh stop; rm -rf /tmp/igw-cost

Each name in `cost` reads the next 1,000 UIDs, one UID FETCH (or two) per message, in one
session, and prints the imap process's CPU time per message. `stall` reads with 16 sessions at
once (`--sequence`, the direct client's FETCH by default; run 13 compares them) and prints
Dovecot's CPU per read over every imap process. Nothing is written to the mailbox.
"""
import argparse, imaplib, os, subprocess, threading, time

# what the direct client and the gateway's summary both ask for
ITEMS = "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE"
NOREFS = f"{ITEMS} MODSEQ"
SUMMARY = f"{ITEMS} BODY.PEEK[HEADER.FIELDS (REFERENCES)]<0.2048> MODSEQ"
SPEC2 = "BODY.PEEK[1]<0.65536> BODY.PEEK[2]<0.16384>"
# name: (first FETCH, what follows for a text and HTML alternative)
SEQUENCES = {
    "direct": (f"({ITEMS} BODY.PEEK[])", None),
    "gateway": (f"({SUMMARY} BODY.PEEK[1]<0.65536>)", "(BODY.PEEK[2])"),
    "spec2": (f"({SUMMARY} {SPEC2})", None),
    "whole": (f"({SUMMARY} BODY.PEEK[])", None),
    "spec2-norefs": (f"({NOREFS} {SPEC2})", None),
    "whole-norefs": (f"({NOREFS} BODY.PEEK[])", None),
}


LINE = "The quick brown fox jumps over the lazy dog, again and again, in the benchmark."


def seed(a):
    """The benchmark's three shapes (bench/seed.rs): plain text 60 %, text and HTML 30 %, text and
    a small PDF 10 %, in threads of five."""
    import base64, random
    rng = random.Random(7)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)
    pdf = base64.encodebytes(b"%" * 3000).decode().replace("\n", "\r\n")
    for i in range(1, a.count + 1):
        text = "".join(f"{k:02} {LINE}\r\n" for k in range(8 + rng.randrange(40)))
        root = i - i % 5
        refs = "" if i == root else (f"In-Reply-To: <bench-{i - 1}@example.com>\r\nReferences: "
                                     + "\r\n ".join(f"<bench-{r}@example.com>" for r in range(root, i)) + "\r\n")
        m = (f"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: Bob <bob@example.com>\r\nTo: alice@example.org\r\n"
             f"Subject: topic {i}\r\nMessage-ID: <bench-{i}@example.com>\r\n{refs}MIME-Version: 1.0\r\n")
        shape = rng.randrange(10)
        if shape <= 5:
            m += f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
        elif shape <= 8:
            html = text.replace("\r\n", "<br>")
            m += (f"Content-Type: multipart/alternative; boundary=\"a{i}\"\r\n\r\n--a{i}\r\n"
                  f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--a{i}\r\n"
                  f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{html}</p></body></html>\r\n--a{i}--\r\n")
        else:
            m += (f"Content-Type: multipart/mixed; boundary=\"m{i}\"\r\n\r\n--m{i}\r\n"
                  f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}--m{i}\r\n"
                  f"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n"
                  f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}--m{i}--\r\n")
        body = m.encode()
        with open(os.path.join(a.maildir, "cur", f"{1700000000 + i}.M{i}P1.cost,S={len(body)}:2,S"), "wb") as f:
            f.write(body)


def imap_pids():
    out = subprocess.run(["pgrep", "-x", "imap"], capture_output=True, text=True).stdout
    return set(out.split())


def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a session that ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def session(a):
    c = imaplib.IMAP4(a.host, a.port)
    c.login(a.user, a.password)
    c._simple_command("ENABLE", "QRESYNC")
    c.select(a.mailbox, readonly=True)
    return c


def cost(a):
    before = imap_pids()
    c = session(a)
    pid = (imap_pids() - before).pop()
    uid = a.first_uid
    for name in a.sequences.split(","):
        first, then = SEQUENCES[name]
        cpu0, wall0, seconds = cpu_seconds(pid), time.perf_counter(), 0
        for u in range(uid, uid + a.count):
            _, data = c.uid("FETCH", str(u), first)
            text = b" ".join(x if isinstance(x, bytes) else b" ".join(x) for x in data).upper()
            if then and b'"ALTERNATIVE"' in text:
                c.uid("FETCH", str(u), then)
                seconds += 1
        cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
        print(f"{name:8} UIDs {uid}-{uid + a.count - 1}: Dovecot {1e6 * cpu / a.count:4.0f} µs CPU "
              f"and {1e6 * wall / a.count:4.0f} µs wall per message, {seconds} second FETCHes")
        uid += a.count
    c.logout()


def stall(a):
    """16 sessions (all logged in and with the mailbox open first) read never-read messages with
    one FETCH sequence; prints the latencies, Dovecot's CPU per read (all imap processes) and
    the slow reads next to rewrites of dovecot.index."""
    index = os.path.join(a.index_dir, "dovecot.index")
    rewrites, latencies, lock, done = [], [], threading.Lock(), threading.Event()
    ready = threading.Barrier(a.sessions + 1)
    finished = threading.Barrier(a.sessions + 1)

    def watch():
        last = os.stat(index).st_ino
        while not done.is_set():
            ino = os.stat(index).st_ino
            if ino != last:
                rewrites.append(time.perf_counter())
                last = ino
            time.sleep(0.01)

    def worker(i):
        c = session(a)
        ready.wait()
        for k in range(a.count):
            t0 = time.perf_counter()
            c.uid("FETCH", str(a.first_uid + k * a.sessions + i), SEQUENCES[a.sequence][0])
            with lock:
                latencies.append((time.perf_counter() - t0, t0))
        finished.wait()
        c.logout()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(a.sessions)]
    for w in workers:
        w.start()
    ready.wait()
    pids = imap_pids()
    cpu0 = sum(cpu_seconds(p) for p in pids)
    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.perf_counter()
    finished.wait()
    total = time.perf_counter() - start
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    done.set()
    watcher.join()
    for w in workers:
        w.join()
    ordered = sorted(d for d, _ in latencies)
    q = lambda p: 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]
    print(f"{a.sequence}: {len(ordered)} reads in {total:.1f} s ({len(ordered) / total:.0f}/s), Dovecot "
          f"{1e6 * cpu / len(ordered):.0f} µs CPU per read; p50 {q(.5):.1f}, p99 {q(.99):.1f}, "
          f"p99.9 {q(.999):.1f}, max {1000 * ordered[-1]:.1f} ms; {len(rewrites)} rewrites of dovecot.index")
    slow = [(d, t) for d, t in latencies if d > 0.2 and t - start > 1.0]
    spanning = sum(any(t - 0.05 <= r <= t + d + 0.05 for r in rewrites) for d, t in slow)
    print(f"after the first second: {len(slow)} reads over 200 ms, {spanning} of them spanning a rewrite")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["seed", "cost", "stall"])
    p.add_argument("sequences", nargs="?", default="direct,gateway,spec2")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=10143)
    p.add_argument("--user", default="alice")
    p.add_argument("--password", help="default: <user>-pass (the test servers' passwords)")
    p.add_argument("--mailbox", default="INBOX")
    p.add_argument("--first-uid", type=int, default=1)
    p.add_argument("--count", type=int, default=1000, help="messages per sequence (cost) or per session (stall)")
    p.add_argument("--sessions", type=int, default=16)
    p.add_argument("--sequence", default="direct", choices=sorted(SEQUENCES), help="the FETCH of each read (stall)")
    p.add_argument("--index-dir", help="the mailbox's index directory (stall)")
    p.add_argument("--maildir", help="the Maildir to write messages into (seed)")
    args = p.parse_args()
    args.password = args.password or f"{args.user}-pass"
    {"seed": seed, "cost": cost, "stall": stall}[args.mode](args)
