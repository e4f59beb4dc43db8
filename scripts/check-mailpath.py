#!/usr/bin/env python3
"""Checks the test mail path: a private Postfix (postfix-test-server.sh) in front of the test
Dovecot (dovecot-test-server.sh with DOVECOT_POSTFIX_SOCKETS=1).

Against a running pair it checks, printing PASS or FAIL per check (exit 1 on any FAIL):
  a. submission port: STARTTLS verified with the test CA, AUTH PLAIN alice, mail to bob arrives
     in bob's INBOX over IMAP byte for byte, apart from the trace headers added at the top
  b. the same over the implicit-TLS submission port
  c. the master user: PLAIN with authzid alice, authcid gwmaster, and the login "alice*gwmaster";
     which SASL user Postfix logs, and that a MAIL FROM of another user is still accepted
  d. the AUTH mechanisms EHLO advertises; XOAUTH2 and OAUTHBEARER logins with an HS256 JWT
  e. a wrong password is refused at AUTH and a right login right after works at once
  f. RCPT to an unknown local user and to another domain refused (5xx) while bob is accepted
  g. SIZE advertised equals the limit; MAIL FROM with a larger SIZE= refused with 552
  h. unauthenticated MAIL on the submission ports refused; the MX port offers no AUTH, takes
     mail for bob and refuses other domains

Standard library only. Connection data comes from the environment that scripts/test exports
(SMTP_HOST, SMTP_SUBMISSION_PORT, SMTP_SUBMISSIONS_PORT, SMTP_MX_PORT, SMTP_TLS_CA, SMTP_LOG,
MAIL_DOMAIN, SMTP_MESSAGE_SIZE_LIMIT, IMAP_HOST, IMAP_PORT, IMAP_OAUTH_HS256_SECRET,
IMAP_OAUTH_ISSUER); defaults are the ports scripts/test uses.
"""
import base64
import hashlib
import hmac
import imaplib
import json
import os
import re
import smtplib
import ssl
import sys
import time
import uuid

E = os.environ.get
HOST = E("SMTP_HOST", "127.0.0.1")
SUB = int(E("SMTP_SUBMISSION_PORT", "16587"))
SUBS = int(E("SMTP_SUBMISSIONS_PORT", "16465"))
MX = int(E("SMTP_MX_PORT", "16525"))
CA = E("SMTP_TLS_CA", "/tmp/imap-gateway-test-dovecot/tls/ca.pem")
LOG = E("SMTP_LOG", "/tmp/imap-gateway-test-postfix/log/postfix.log")
DOMAIN = E("MAIL_DOMAIN", "example.org")
LIMIT = int(E("SMTP_MESSAGE_SIZE_LIMIT", "10485760"))
IMAP_HOST = E("IMAP_HOST", "127.0.0.1")
IMAP_PORT = int(E("IMAP_PORT", "10143"))
SECRET = E("IMAP_OAUTH_HS256_SECRET", "igw-test-oauth-hs256-secret")
ISSUER = E("IMAP_OAUTH_ISSUER", "https://issuer.test")
RUN = uuid.uuid4().hex[:10]
TRACE = {"return-path", "delivered-to", "received"}
failures = []


def check(name, cond, detail=""):
    print(f"{'PASS' if cond else 'FAIL'}: {name}" + (f" -> {detail}" if detail else ""), flush=True)
    if not cond:
        failures.append(name)


def info(text):
    print(f"INFO: {text}", flush=True)


def tls():
    return ssl.create_default_context(cafile=CA)


def smtp(port, starttls=False, implicit=False):
    # local_hostname: no reverse DNS lookup in smtplib's EHLO
    if implicit:
        s = smtplib.SMTP_SSL(HOST, port, local_hostname="client.test", timeout=20, context=tls())
    else:
        s = smtplib.SMTP(HOST, port, local_hostname="client.test", timeout=20)
    s.ehlo()
    if starttls:
        s.starttls(context=tls())
        s.ehlo()
    return s


def auth(s, mech, initial):
    """AUTH with an initial response; an error challenge (334) is answered with an empty line."""
    code, resp = s.docmd("AUTH", f"{mech} {base64.b64encode(initial).decode()}")
    if code == 334:
        challenge = base64.b64decode(resp).decode(errors="replace") if resp else ""
        code, resp = s.docmd("")
        resp = resp + f" (challenge {challenge})".encode()
    return code, resp.decode(errors="replace")


def plain(s, user, password, authzid=""):
    return auth(s, "PLAIN", f"{authzid}\0{user}\0{password}".encode())


def jwt(sub, exp_in=300):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "iss": ISSUER, "exp": int(time.time()) + exp_in}).encode())
    sig = b64(hmac.new(SECRET.encode(), head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + sig).decode()


def message(tag, frm=f"alice@{DOMAIN}"):
    """A message with details a rewriting server would touch: display names with quotes and a
    comma, a folded header, a line starting with a dot, trailing blanks, a long line."""
    mid = f"<{tag}.{RUN}@client.test>"
    lines = [
        f'From: "Alice A. Example" <{frm}>',
        f'To: Bob <bob@{DOMAIN}>,\r\n  "Carol, C." <carol@{DOMAIN}>',
        f"Subject: {tag} {RUN} with a folded\r\n\tsubject line",
        "Date: Thu, 03 Dec 2026 05:00:00 +0000",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "X-Custom:   spaced   value  ",
        "",
        "first line",
        ".a line that starts with a dot",
        "..two dots",
        "trailing blanks   ",
        "x" * 900,
        "",
        "last line",
    ]
    return mid, ("\r\n".join(lines) + "\r\n").encode()


def send(s, frm, rcpts, data):
    """MAIL, RCPT..., DATA; returns (refused rcpts, queue id)."""
    code, resp = s.mail(frm)
    if code != 250:
        raise RuntimeError(f"MAIL FROM refused: {code} {resp.decode()}")
    refused = {}
    for r in rcpts:
        code, resp = s.rcpt(r)
        if code not in (250, 251):
            refused[r] = (code, resp.decode())
    code, resp = s.data(data)
    m = re.search(rb"queued as (\w+)", resp)
    if code != 250:
        raise RuntimeError(f"DATA refused: {code} {resp.decode()}")
    return refused, m.group(1).decode() if m else None


def fetch(user, mid, timeout=20):
    """The full message with this Message-ID from the user's INBOX (polls: delivery is async)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = imaplib.IMAP4(IMAP_HOST, IMAP_PORT)
        try:
            m.login(user, f"{user}-pass")
            m.select("INBOX", readonly=True)
            _, data = m.search(None, "HEADER", "Message-ID", mid)
            ids = data[0].split()
            if ids:
                _, fd = m.fetch(ids[-1], "(BODY.PEEK[])")
                return fd[0][1]
        finally:
            m.logout()
        time.sleep(0.2)
    return None


def split_trace(raw):
    """(names of the trace headers at the top, the rest of the message)."""
    lines = raw.split(b"\r\n")
    names, i = [], 0
    while i < len(lines):
        name = lines[i].split(b":", 1)[0].decode(errors="replace")
        if name.lower() not in TRACE:
            break
        names.append(name)
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return names, b"\r\n".join(lines[i:])


def log_for(queue_id, timeout=5):
    """Postfix's log lines about one queue id (the log is written by postlogd, asynchronously)."""
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        with open(LOG, errors="replace") as f:
            lines = [ln.rstrip() for ln in f if f" {queue_id}: " in ln]
        if any("status=" in ln for ln in lines):
            break
        time.sleep(0.2)
    return lines


def sasl_user(queue_id):
    for ln in log_for(queue_id):
        m = re.search(r"sasl_method=(\S+), sasl_username=(\S+)", ln)
        if m:
            return m.group(1).rstrip(","), m.group(2)
    return None


def delivered(name, mid, data, user="bob"):
    raw = fetch(user, mid)
    if raw is None:
        check(f"{name}: arrives in {user}'s INBOX", False, "not found over IMAP")
        return
    names, rest = split_trace(raw)
    check(f"{name}: arrives in {user}'s INBOX byte for byte after the trace headers",
          rest == data, f"trace headers: {', '.join(names)}" if rest == data
          else f"differs; trace {names}; got {rest[:300]!r}")


# a. STARTTLS on the submission port, AUTH PLAIN alice, delivery byte for byte
s = smtp(SUB, starttls=True)
check("a. STARTTLS on the submission port, certificate verified with the test CA",
      isinstance(s.sock, ssl.SSLSocket), s.sock.version())
code, resp = plain(s, "alice", "alice-pass")
check("a. AUTH PLAIN alice/alice-pass after STARTTLS", code == 235, f"{code} {resp}")
mid, data = message("starttls")
refused, qid = send(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], data)
s.quit()
check("a. mail to bob accepted", refused == {} and qid is not None, f"queued as {qid}")
delivered("a", mid, data)
info(f"a. Postfix logs for {qid}: sasl={sasl_user(qid)}")

# b. implicit TLS
s = smtp(SUBS, implicit=True)
check("b. implicit TLS on the submissions port, certificate verified", True, s.sock.version())
check("b. EHLO over implicit TLS offers AUTH, not STARTTLS",
      s.has_extn("auth") and not s.has_extn("starttls"), f"AUTH{s.esmtp_features.get('auth', '')}")
code, resp = plain(s, "alice", "alice-pass")
check("b. AUTH PLAIN alice/alice-pass", code == 235, f"{code} {resp}")
mid, data = message("implicit-tls")
refused, qid = send(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], data)
s.quit()
check("b. mail to bob accepted", refused == {}, f"queued as {qid}")
delivered("b", mid, data)

# c. master user: PLAIN with authorization id, and the "user*master" login name
for label, args in (("PLAIN authzid=alice authcid=gwmaster", ("gwmaster", "gwmaster-pass", "alice")),
                    ("PLAIN login alice*gwmaster", ("alice*gwmaster", "gwmaster-pass", ""))):
    s = smtp(SUB, starttls=True)
    code, resp = plain(s, *args)
    check(f"c. {label} accepted", code == 235, f"{code} {resp}")
    if code == 235:
        mid, data = message("master")
        refused, qid = send(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], data)
        check(f"c. {label}: Postfix logs SASL user alice", sasl_user(qid) is not None
              and sasl_user(qid)[1] == "alice", f"{qid}: sasl_method, sasl_username = {sasl_user(qid)}")
        delivered(f"c. {label}", mid, data)
        mid, data = message("master-other-sender", frm=f"carol@{DOMAIN}")
        code, resp = s.mail(f"carol@{DOMAIN}")
        info(f"c. {label}: MAIL FROM another user (carol) -> {code} {resp.decode()}"
             " (Postfix does not match MAIL FROM with the SASL login by default)")
        s.rset()
    s.quit()
s = smtp(SUB, starttls=True)
code, resp = plain(s, "gwmaster", "wrong-pass", "alice")
check("c. master user with a wrong password refused", code == 535, f"{code} {resp}")
s.quit()

# d. AUTH mechanisms; XOAUTH2 / OAUTHBEARER with an HS256 JWT
s = smtp(SUB, starttls=True)
mechs = s.esmtp_features.get("auth", "").split()
check("d. EHLO AUTH (after STARTTLS) lists PLAIN", "PLAIN" in mechs, " ".join(mechs))
info(f"d. XOAUTH2 offered: {'XOAUTH2' in mechs}, OAUTHBEARER offered: {'OAUTHBEARER' in mechs}")
s.quit()
plain_mechs = smtp(SUB).esmtp_features.get("auth", "").split()
info(f"d. EHLO AUTH before STARTTLS: {' '.join(plain_mechs)}")
token = jwt("alice")
for mech, initial in (
        ("XOAUTH2", f"user=alice\x01auth=Bearer {token}\x01\x01".encode()),
        ("OAUTHBEARER", f"n,a=alice,\x01host={HOST}\x01port={SUB}\x01auth=Bearer {token}\x01\x01".encode())):
    if mech not in mechs:
        check(f"d. {mech} offered", False, " ".join(mechs))
        continue
    s = smtp(SUB, starttls=True)
    code, resp = auth(s, mech, initial)
    check(f"d. {mech} login with an HS256 JWT (sub=alice)", code == 235, f"{code} {resp}")
    if code == 235:
        mid, data = message(mech.lower())
        refused, qid = send(s, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], data)
        check(f"d. {mech}: mail accepted, Postfix logs", refused == {}, f"{qid}: {sasl_user(qid)}")
        delivered(f"d. {mech}", mid, data)
    s.quit()
    s = smtp(SUB, starttls=True)
    bad = initial.replace(token.encode(), jwt("alice", exp_in=-600).encode())
    code, resp = auth(s, mech, bad)
    check(f"d. {mech} with an expired JWT refused", code == 535, f"{code} {resp}")
    s.quit()

# e. wrong password, then a right login at once
s = smtp(SUB, starttls=True)
t = time.time()
code, resp = plain(s, "alice", "wrong-pass")
check("e. wrong password refused at AUTH", code == 535, f"{code} {resp} ({time.time() - t:.2f}s)")
t = time.time()
code, resp = plain(s, "alice", "alice-pass")
check("e. right login in the same session right after works at once", code == 235 and time.time() - t < 1.5,
      f"{code} {resp} ({time.time() - t:.2f}s)")
s.quit()
s = smtp(SUB, starttls=True)
plain(s, "bob", "wrong-pass")
s.quit()
s = smtp(SUB, starttls=True)
t = time.time()
code, resp = plain(s, "bob", "bob-pass")
check("e. right login on a new connection after a failure works at once",
      code == 235 and time.time() - t < 1.5, f"{code} ({time.time() - t:.2f}s)")
s.quit()

# f. partial acceptance
s = smtp(SUB, starttls=True)
plain(s, "alice", "alice-pass")
s.mail(f"alice@{DOMAIN}")
codes = {}
for r in (f"nobody@{DOMAIN}", "x@other.test", f"bob@{DOMAIN}"):
    code, resp = s.rcpt(r)
    codes[r] = code
    info(f"f. RCPT {r} -> {code} {resp.decode()}")
check("f. RCPT unknown local user refused with 5xx", 500 <= codes[f"nobody@{DOMAIN}"] < 600)
check("f. RCPT other domain refused with 5xx", 500 <= codes["x@other.test"] < 600)
check("f. RCPT bob accepted in the same transaction", codes[f"bob@{DOMAIN}"] == 250)
mid, data = message("partial")
code, resp = s.data(data)
check("f. DATA accepted for the accepted recipient", code == 250, f"{code} {resp.decode()}")
s.quit()
delivered("f", mid, data)

# g. SIZE
s = smtp(SUB, starttls=True)
size = s.esmtp_features.get("size", "").strip()
check("g. EHLO advertises SIZE equal to the limit", size == str(LIMIT), f"SIZE {size}, limit {LIMIT}")
plain(s, "alice", "alice-pass")
code, resp = s.mail(f"alice@{DOMAIN}", [f"SIZE={LIMIT + 1}"])
check("g. MAIL FROM with SIZE above the limit refused with 552", code == 552, f"{code} {resp.decode()}")
code, resp = s.mail(f"alice@{DOMAIN}", [f"SIZE={LIMIT}"])
check("g. MAIL FROM with SIZE at the limit accepted", code == 250, f"{code} {resp.decode()}")
s.quit()

# h. unauthenticated MAIL on the submission ports; the MX port
for label, s in (("submission (after STARTTLS)", smtp(SUB, starttls=True)),
                 ("submissions", smtp(SUBS, implicit=True))):
    code, resp = s.mail(f"alice@{DOMAIN}")
    check(f"h. unauthenticated MAIL on {label} refused", code >= 500, f"{code} {resp.decode()}")
    s.quit()
s = smtp(MX)
check("h. MX port offers no AUTH", not s.has_extn("auth"), " ".join(s.esmtp_features))
mid, data = message("mx", frm="someone@outside.test")
code, resp = s.mail("someone@outside.test")
code, resp = s.rcpt("x@other.test")
check("h. MX port refuses other domains", code >= 500, f"{code} {resp.decode()}")
s.rset()
refused, qid = send(s, "someone@outside.test", [f"bob@{DOMAIN}"], data)
s.quit()
check("h. MX port accepts mail for bob", refused == {}, f"queued as {qid}")
delivered("h. MX", mid, data)

print("ALL PASSED" if not failures else f"FAILED: {failures}")
sys.exit(1 if failures else 0)
