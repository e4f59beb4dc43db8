#!/usr/bin/env python3
"""Seed a demo IMAP account with realistic, varied mail for the imap-gateway demo.

Owns: the demo mailbox tree (INBOX, Projects, Projects/2026, Entwürfe, 日本語,
"Reisen & Urlaub") and its ~50 messages: plain text, multipart/alternative, attachments
(PDF-like binary, PNG, RFC 2231 non-ASCII filename), a forwarded message/rfc822, reply
threads (In-Reply-To/References), RFC 2047 headers in several scripts, flags and
INTERNALDATEs matching the Date header. Everything is deterministic (fixed base date)
and uses fictional people at example.com/.org/.net only.

Idempotent: if INBOX already holds >= 20 messages nothing is added.
Python 3.11 standard library only; plain IMAP with LOGIN (meant for a throwaway server).

    seed-demo.py --host 127.0.0.1 --port 11143 --user alice --password alice-pass
"""
import argparse
import base64
import imaplib
import re
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

POLICY = SMTP.clone(cte_type="7bit")  # CRLF, RFC 2047/2231 headers, qp/base64 bodies
BASE = datetime(2026, 11, 1, 9, 14, tzinfo=timezone(timedelta(hours=1)))  # newest message
SPAN_DAYS = 120  # each mailbox's messages spread over roughly the last four months
CET, JST, MSK, PST = (timezone(timedelta(hours=h)) for h in (1, 9, 3, -8))

ALICE = ("Alice Martin", "alice@example.com", CET)
BOB = ("Bob Chen", "bob.chen@example.com", PST)
PRIYA = ("Priya Raman", "priya@example.com", CET)
JUERGEN = ("Jürgen Müller", "j.mueller@example.org", CET)
ANNA = ("Anna Schröder", "anna.schroeder@example.org", CET)
ELODIE = ("Élodie Lefèvre", "elodie.lefevre@example.org", CET)
DMITRI = ("Дмитрий Иванов", "dmitri.ivanov@example.net", MSK)
SAKURA = ("田中 さくら", "sakura.tanaka@example.net", JST)
KEN = ("佐藤 健", "ken.sato@example.net", JST)
NEWS = ("Example Weekly 📬", "news@example.net", CET)
CI = ("CI Bot", "ci@example.com", CET)
TRAVEL = ("Reisebüro Example", "buchung@example.net", CET)

_ids = iter(range(1, 1000))
_SENDER_TZ = {}


def imap_utf7(name: str) -> str:
    """Encode a mailbox name as IMAP modified UTF-7 (RFC 3501 section 5.1.3)."""
    out, run = [], []

    def flush():
        if run:
            b64 = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            out.append("&" + b64.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def addr(person) -> Address:
    return Address(display_name=person[0], addr_spec=person[1])


def tiny_png(width=24, height=16) -> bytes:
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in (x * 255 // width, y * 255 // height, 180))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def tiny_pdf(title: str) -> bytes:
    text = title.encode("latin-1", "replace")
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n"
            b"4 0 obj << >> stream\nBT /F1 18 Tf 72 770 Td (" + text + b") Tj ET\nendstream endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


class Seed:
    """Collects (mailbox, flags, message) in order; dates are assigned per mailbox later."""

    def __init__(self):
        self.items = []

    def add(self, box, msg, flags="\\Seen"):
        self.items.append((box, flags, msg))
        return msg

    def assign_dates(self):
        boxes = list(dict.fromkeys(box for box, _, _ in self.items))
        for b_idx, box in enumerate(boxes):
            msgs = [m for bx, _, m in self.items if bx == box]
            for j, msg in enumerate(msgs):
                back = timedelta(days=SPAN_DAYS * (len(msgs) - 1 - j) / len(msgs),
                                 hours=b_idx * 5 + (j * 7) % 13, minutes=(j * 17) % 60)
                set_date(msg, BASE - back)


def set_date(msg, when):
    msg.replace_header("Date", format_datetime(when.astimezone(_SENDER_TZ[msg["Message-ID"]])))
    for part in msg.walk():  # forwarded originals are a bit older than the forward
        if part.get_content_type() == "message/rfc822":
            set_date(part.get_payload(0), when - timedelta(days=1, hours=3))


def new(sender, subject, to=ALICE, cc=None) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = addr(sender)
    msg["To"] = addr(to)
    if cc:
        msg["Cc"] = [addr(p) for p in cc]
    msg["Subject"] = subject
    msg["Date"] = "placeholder"
    msg["Message-ID"] = f"<demo-{next(_ids):03d}.{sender[1].split('@')[0]}@{sender[1].split('@')[1]}>"
    _SENDER_TZ[msg["Message-ID"]] = sender[2]  # Date header is written in the sender's zone
    return msg


# ---- message kinds -------------------------------------------------------------------------

def plain(seed, box, sender, subject, text, flags="\\Seen", to=ALICE, cc=None):
    msg = new(sender, subject, to, cc)
    msg.set_content(text)
    return seed.add(box, msg, flags)


def alternative(seed, box, sender, subject, text, html, flags="\\Seen", to=ALICE):
    msg = new(sender, subject, to)
    msg.set_content(text)
    msg.add_alternative(f"<!DOCTYPE html><html><body style=\"font-family:sans-serif\">{html}</body></html>",
                        subtype="html")
    return seed.add(box, msg, flags)


def with_attachments(seed, box, sender, subject, text, files, flags="\\Seen", to=ALICE):
    """files: list of (filename, bytes-or-str); type is picked from the extension."""
    msg = new(sender, subject, to)
    msg.set_content(text)
    types = {"pdf": ("application", "pdf"), "png": ("image", "png")}
    for name, data in files:
        if isinstance(data, str):
            msg.add_attachment(data, filename=name)
        else:
            maintype, subtype = types[name.rsplit(".", 1)[1]]
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return seed.add(box, msg, flags)


def forwarded(seed, box, sender, subject, note, original, flags="\\Seen", to=ALICE):
    msg = new(sender, subject, to)
    msg.set_content(note)
    msg.add_attachment(original)  # message/rfc822
    return seed.add(box, msg, flags)


def reply(seed, box, sender, parent, text, flags="\\Seen", to=None):
    subject = parent["Subject"]
    if not re.match(r"(?i)(re|aw):", subject):
        subject = "Re: " + subject
    msg = new(sender, subject, to or ALICE)
    msg["In-Reply-To"] = parent["Message-ID"]
    msg["References"] = " ".join(filter(None, [parent.get("References"), parent["Message-ID"]]))
    quoted_text = "\n".join("> " + line for line in parent.get_body(("plain",)).get_content().splitlines())
    msg.set_content(f"{text}\n\n{parent['From']} wrote:\n{quoted_text}\n")
    return seed.add(box, msg, flags)


# ---- the demo account ----------------------------------------------------------------------

def build(seed):
    ib, pr, p26, dr, jp, tr = "INBOX", "Projects", "Projects/2026", "Entwürfe", "日本語", "Reisen & Urlaub"
    # INBOX
    plain(seed, ib, BOB, "Welcome aboard, Alice!", "Hi Alice,\n\ngreat to have you on the team. Your laptop arrives Monday.\n\nBob")
    alternative(seed, ib, NEWS, "📬 Example Weekly #41 — Rust, IMAP & mehr",
                "This week: async Rust, IMAP IDLE explained, and a café review.",
                "<h1>Example Weekly #41</h1><p>This week: <b>async Rust</b>, IMAP IDLE explained, and a café review.</p>")
    muc = plain(seed, ib, JUERGEN, "Grüße aus München – Termin nächste Woche?",
                "Hallo Alice,\n\npasst dir Dienstag um 10 Uhr? Ich bringe Brezn mit.\n\nViele Grüße\nJürgen",
                flags="\\Seen \\Answered")
    reply(seed, ib, ANNA, muc, "Dienstag passt mir auch, ich komme dazu.", to=JUERGEN)
    with_attachments(seed, ib, PRIYA, "Q3 report (PDF)", "Hi Alice, the Q3 report is attached. Numbers look good!",
                     [("Q3-report.pdf", tiny_pdf("Q3 report"))], flags="\\Seen \\Flagged")
    ru = plain(seed, ib, DMITRI, "Привет! Вопрос по API",
               "Привет, Алиса!\n\nПодскажи, пожалуйста, как получить список папок через API?\n\nДмитрий",
               flags="\\Seen \\Answered")
    reply(seed, ib, BOB, ru, "Dmitri, GET /v1/mailboxes returns the whole tree.", to=DMITRI)
    alternative(seed, ib, SAKURA, "会議の議事録 / Meeting notes", "議事録を共有します。次回は金曜日です。",
                "<p>議事録を共有します。<br>次回は<strong>金曜日</strong>です。</p>")
    with_attachments(seed, ib, ANNA, "Übersicht März – Zahlen", "Hallo Alice,\n\nanbei die Übersicht für März.\n\nAnna",
                     [("Übersicht März.txt", "Monat;Umsatz;Kosten\nMärz;12.400 €;8.150 €\nÄnderung;+4 %;−2 %\n")])
    maint = new(CI, "Server maintenance window Saturday 02:00–04:00 UTC", to=BOB)
    maint.set_content("mail.example.com will be unavailable on Saturday between 02:00 and 04:00 UTC.")
    forwarded(seed, ib, BOB, "Fwd: Server maintenance window Saturday 02:00–04:00 UTC",
              "FYI, see the forwarded notice below.", maint)
    plain(seed, ib, CI, "[CI] build #1234 failed on main", "Job test-imap failed after 3m12s.\nSee https://ci.example.com/b/1234")
    plain(seed, ib, CI, "[CI] build #1235 passed on main", "All 214 tests passed in 4m02s.")
    with_attachments(seed, ib, ELODIE, "Photo de l'équipe 📸", "Voici la photo de l'équipe prise vendredi !",
                     [("équipe.png", tiny_png())], flags="\\Seen \\Flagged")
    fr = plain(seed, ib, ELODIE, "Réunion de vendredi : ordre du jour",
               "Bonjour Alice,\n\n1. Bilan du trimestre\n2. Déménagement\n3. Questions diverses\n\nÀ vendredi !",
               flags="\\Seen \\Answered")
    reply(seed, ib, ELODIE, fr, "Parfait, j'ajoute aussi le point « café » à l'ordre du jour.")
    alternative(seed, ib, NEWS, "📬 Example Weekly #42 — Release notes", "Release notes for November.",
                "<h1>Example Weekly #42</h1><ul><li>Release notes</li><li>Events</li></ul>")
    with_attachments(seed, ib, JUERGEN, "Rechnung Nr. 2026-0815 – bitte prüfen", "Hallo Alice,\nanbei die Rechnung.",
                     [("Rechnung-2026-0815.pdf", tiny_pdf("Rechnung 2026-0815"))], flags="\\Flagged")
    with_attachments(seed, ib, DMITRI, "Отчёт о тестировании", "Отчёт во вложении.",
                     [("отчёт.txt", "Всего тестов: 214\nУспешно: 214\n")])
    fest = new(("Events Team", "events@example.org", CET), "Einladung zur Weihnachtsfeier 🎄", to=ANNA)
    fest.set_content("Wir feiern am 11. Dezember ab 18 Uhr im Café Example. Für Glühwein ist gesorgt!")
    fest.add_alternative("<p>Wir feiern am <b>11. Dezember</b> ab 18 Uhr im Café Example. 🎄</p>", subtype="html")
    forwarded(seed, ib, ANNA, "WG: Einladung zur Weihnachtsfeier 🎄", "Kommst du auch?", fest, flags="")
    q = plain(seed, ib, BOB, "Quick question about the gateway config",
              "Do we use STARTTLS or implicit TLS for the demo server?", flags="")
    reply(seed, ib, PRIYA, q, "STARTTLS on 11143, with the demo CA.", flags="", to=BOB)
    alternative(seed, ib, SAKURA, "🌸 お花見のお知らせ", "来週の土曜日にお花見をします。", "<p>来週の土曜日に<b>お花見</b>をします。🌸</p>", flags="")
    plain(seed, ib, ("Example Security", "security@example.net", CET), "Security notice: new sign-in from Firefox on Linux",
          "We noticed a new sign-in to your account. If this was you, no action is needed.", flags="\\Flagged")
    # Projects
    kick = plain(seed, pr, BOB, "Project kickoff: imap-gateway", "Kickoff is Monday 10:00. Agenda: scope, API, milestones.",
                 cc=[PRIYA, JUERGEN])
    r1 = reply(seed, pr, PRIYA, kick, "I'll prepare the API draft (OpenAPI).", to=BOB)
    reply(seed, pr, JUERGEN, r1, "Ich kümmere mich um die Tests mit Dovecot und Cyrus.", to=PRIYA)
    with_attachments(seed, pr, PRIYA, "Architecture diagram", "Diagram and notes attached.",
                     [("architecture.png", tiny_png(32, 20)), ("notes.txt", "HTTP -> gateway -> IMAP pool\n")])
    alternative(seed, pr, BOB, "Sprint 14 review", "Done: auth, mailboxes. Next: search.",
                "<table border=1><tr><th>Done</th><th>Next</th></tr><tr><td>auth, mailboxes</td><td>search</td></tr></table>")
    plain(seed, pr, DMITRI, "Roadmap draft", "Q1: search\nQ2: IDLE push\nQ3: SMTP submission")
    with_attachments(seed, pr, ANNA, "Budget 2025 (Abschluss)", "Der Jahresabschluss als PDF.",
                     [("Budget-2025.pdf", tiny_pdf("Budget 2025"))])
    plain(seed, pr, ELODIE, "Traductions françaises terminées ✅", "Toutes les chaînes sont traduites. Merci à tous !", flags="\\Seen \\Flagged")
    # Projects/2026
    goals = plain(seed, p26, BOB, "2026 planning: goals", "Three goals: reliability, search, mobile clients.")
    alternative(seed, p26, PRIYA, "OKR draft for 2026", "O1: 99.9% uptime. O2: p95 < 200 ms.",
                "<ol><li>99.9% uptime</li><li>p95 &lt; 200&nbsp;ms</li></ol>")
    with_attachments(seed, p26, JUERGEN, "Angebot für 2026", "Anbei unser Angebot für 2026.",
                     [("Angebot-2026.pdf", tiny_pdf("Angebot 2026"))])
    reply(seed, p26, PRIYA, goals, "Add accessibility to the list?", to=BOB)
    plain(seed, p26, SAKURA, "2026年の計画について", "来年の計画を来週までにまとめます。よろしくお願いします。")
    contract = new(("Vendor Legal", "legal@example.org", CET), "Contract renewal 2026", to=PRIYA)
    contract.set_content("Please confirm the renewal by December 15.")
    forwarded(seed, p26, PRIYA, "Fwd: Contract renewal 2026", "Alice, can you review this?", contract, flags="\\Seen \\Flagged")
    # Entwürfe (drafts)
    plain(seed, dr, ALICE, "Re: Grüße aus München – Termin nächste Woche?", "Hallo Jürgen,\n\nDienstag passt", to=JUERGEN,
          flags="\\Seen \\Draft")
    plain(seed, dr, ALICE, "Blogpost: Warum IMAP noch lebt", "Entwurf:\n- 1986 erfunden\n- überall unterstützt\n- ...",
          to=ALICE, flags="\\Seen \\Draft")
    plain(seed, dr, ALICE, "Urlaubsantrag Juli", "Ich möchte vom 6. bis 24. Juli Urlaub nehmen.", to=ANNA, flags="\\Draft")
    alternative(seed, dr, ALICE, "Newsletter-Entwurf Dezember", "Themen: Jahresrückblick, Ausblick 2027.",
                "<h2>Jahresrückblick</h2><p>Ausblick 2027 …</p>", to=NEWS, flags="\\Seen \\Draft")
    # 日本語
    hello = plain(seed, jp, SAKURA, "ようこそ！🎌", "アリスさん、チームへようこそ！\n何かあれば気軽に聞いてください。")
    alternative(seed, jp, SAKURA, "新製品の発表について", "新製品は十二月に発表します。", "<p>新製品は<b>十二月</b>に発表します。</p>")
    reply(seed, jp, KEN, hello, "佐藤です。よろしくお願いします！", to=SAKURA)
    with_attachments(seed, jp, KEN, "写真を送ります", "富士山の写真です。", [("富士山.png", tiny_png(20, 20))], flags="\\Seen \\Flagged")
    # Reisen & Urlaub
    alternative(seed, tr, TRAVEL, "Buchungsbestätigung: Flug MUC → NRT ✈️", "Ihre Buchung EX1234 ist bestätigt.",
                "<p>Ihre Buchung <b>EX1234</b> München → Tokio Narita ist bestätigt. ✈️</p>")
    summer = plain(seed, tr, JUERGEN, "Urlaubsplanung Sommer 2026", "Wer fährt wann? Bitte bis Ende Januar eintragen.")
    with_attachments(seed, tr, ("Hotel Example Kyōto", "stay@example.net", JST), "Ihre Hotelreservierung in Kyōto",
                     "Vielen Dank für Ihre Reservierung.", [("Reservierung.pdf", tiny_pdf("Reservierung Kyoto"))])
    reply(seed, tr, ANNA, summer, "Ich nehme die ersten zwei Augustwochen.", to=JUERGEN)
    plain(seed, tr, ELODIE, "Vacances en Provence ☀️", "Les lavandes sont magnifiques cette année ! Bises, Élodie", flags="")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=11143)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    args = ap.parse_args()

    try:
        imap = imaplib.IMAP4(args.host, args.port, timeout=30)
    except OSError as e:
        sys.exit(f"seed-demo: cannot connect to {args.host}:{args.port}: {e}")
    try:
        imap.login(args.user, args.password)
    except imaplib.IMAP4.error as e:
        why = e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        sys.exit(f"seed-demo: login failed for user {args.user!r} at {args.host}:{args.port}: {why}")

    _, data = imap.status("INBOX", "(MESSAGES)")
    if int(re.search(rb"MESSAGES (\d+)", data[0]).group(1)) >= 20:
        print("demo account already seeded")
        imap.logout()
        return

    seed = Seed()
    build(seed)
    seed.assign_dates()
    boxes = list(dict.fromkeys(box for box, _, _ in seed.items))
    for box in boxes:
        if box == "INBOX":
            continue
        typ, data = imap.create(quoted(imap_utf7(box)))
        if typ != "OK" and b"ALREADYEXISTS" not in data[0]:
            sys.exit(f"seed-demo: CREATE {box} failed: {data[0].decode(errors='replace')}")
        imap.subscribe(quoted(imap_utf7(box)))
    for box, flags, msg in seed.items:
        when = imaplib.Time2Internaldate(msg["Date"].datetime)
        typ, data = imap.append(quoted(imap_utf7(box)), flags or None, when, msg.as_bytes())
        if typ != "OK":
            sys.exit(f"seed-demo: APPEND to {box} failed: {data[0].decode(errors='replace')}")
    imap.logout()
    print(f"seeded {len(seed.items)} messages into {len(boxes)} mailboxes for {args.user}")


if __name__ == "__main__":
    main()
