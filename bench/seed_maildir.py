#!/usr/bin/env python3
"""Seed a Dovecot Maildir folder quickly by writing message files directly.

Usage: seed_maildir.py MAILDIR_ROOT FOLDER COUNT
  MAILDIR_ROOT  the user's Maildir (e.g. /tmp/igw-bench-dovecot/mail/alice/Maildir)
  FOLDER        the mailbox name (ASCII, no hierarchy), created as MAILDIR_ROOT/.FOLDER
  COUNT         how many messages to write

Messages are small, realistic and deterministic (from, to, subject, date, a few lines of text).
Writing files skips IMAP entirely, so 100,000 messages take seconds; Dovecot indexes the folder
on first access. The caller must chown the tree to the mail user afterwards.
"""
import os
import sys
import time

def main() -> None:
    root, folder, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    base = os.path.join(root, "." + folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    start = 1_790_000_000
    names = ["Alice Example", "Bob Sample", "Carol Test", "Dave Demo", "Eve Trial"]
    for i in range(count):
        t = start + i * 60
        sender = names[i % len(names)]
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))
        body = (
            f"From: {sender} <user{i % 97}@example.com>\r\n"
            f"To: Alice <alice@example.org>\r\n"
            f"Subject: Message {i} about project {i % 13}\r\n"
            f"Date: {date}\r\n"
            f"Message-ID: <{i}.bench@example.com>\r\n"
            f"\r\n"
            f"Hello,\r\nthis is message {i}.\r\nRegards,\r\n{sender}\r\n"
        ).encode()
        flags = "S" if i % 3 else ""
        name = f"{t}.M{i}P1.bench,S={len(body)}:2,{flags}"
        with open(os.path.join(base, "cur", name), "wb") as f:
            f.write(body)
    print(f"seeded {count} messages into {folder}")

if __name__ == "__main__":
    main()
