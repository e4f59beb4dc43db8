"""An example client of imap-gateway, generated from its OpenAPI document with
openapi-python-client: it logs in, lists mailboxes, pages a mailbox with a cursor, appends a
message with an Idempotency-Key, reads it with If-None-Match, searches with a nested filter,
flags the message with If-Match, and reads three Server-Sent Events from a stream opened with a
ticket. Each step prints one line.

    GATEWAY_URL=http://127.0.0.1:8080 GATEWAY_USER=alice GATEWAY_PASSWORD=... python example.py

It writes to the mailbox (GATEWAY_MAILBOX, default INBOX): one appended message, flagged.
"""

from __future__ import annotations

import io
import json
import os
import queue
import threading
import time
from typing import TypeVar

import httpx

from imap_gateway_client import AuthenticatedClient, Client
from imap_gateway_client.api.auth import login
from imap_gateway_client.api.mailboxes import list_mailboxes
from imap_gateway_client.api.messages import append_message, get_message, list_messages, patch_message
from imap_gateway_client.api.search import search_mailbox
from imap_gateway_client.api.sync import create_ticket
from imap_gateway_client.models import (
    Appended,
    EventTicketRequest,
    FilterCondition,
    FilterOperator,
    FilterOperatorOperator,
    FlagsPatch,
    FlagsPatchKeywordsType0,
    MailboxRoleType0,
    PasswordLogin,
    Problem,
    SearchRequest,
    SearchRequestReturnType0,
)
from imap_gateway_client.types import UNSET, File, Response

T = TypeVar("T")

BASE = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080")
MAILBOX = os.environ.get("GATEWAY_MAILBOX", "INBOX")
USER = os.environ.get("GATEWAY_USER", "alice")
PASSWORD = os.environ.get("GATEWAY_PASSWORD", "")


def must(response: Response[T | Problem], step: str) -> T:
    """The parsed answer of a success, or an error naming the step and the problem."""
    parsed = response.parsed
    if parsed is None or isinstance(parsed, Problem):
        detail = f"{parsed.type_} {parsed.detail}" if isinstance(parsed, Problem) else ""
        raise SystemExit(f"{step}: {response.status_code} {detail}")
    return parsed


def read_events(url: str, want: int, out: queue.Queue[str]) -> None:
    """Reads Server-Sent Events from `url` (no Authorization: the ticket is in the URL) and puts
    `type data` lines for `ready` and the message events into `out`, `want` of them."""
    kinds = {"ready", "message.created", "message.updated", "message.deleted", "resync"}
    with httpx.stream("GET", url, headers={"Accept": "text/event-stream"}, timeout=40) as r:
        r.raise_for_status()
        kind, data = "message", ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
            elif line == "":
                if data and kind in kinds:
                    parsed = json.loads(data)
                    shown = f"uids {json.dumps(parsed['uids'])}" if "uids" in parsed else json.dumps(parsed, separators=(",", ":"))
                    out.put(f"{kind} {shown}")
                    want -= 1
                    if want == 0:
                        return
                kind, data = "message", ""


def main() -> None:
    # 1. Log in; the authenticated client sends the access token.
    tokens = must(login.sync_detailed(client=Client(base_url=BASE), body=PasswordLogin(username=USER, password=PASSWORD)), "login")
    api = AuthenticatedClient(base_url=BASE, token=tokens.access_token)
    print(f"login: {tokens.token_type} token, expires in {tokens.expires_in} s")

    # 2. Mailboxes.
    listed = must(list_mailboxes.sync_detailed(client=api), "mailboxes")
    names = [f"{m.name} ({m.role})" if isinstance(m.role, MailboxRoleType0) else m.name for m in listed.items]
    print(f"mailboxes: {', '.join(names)}")

    # The event stream, opened now so that it sees the changes below, with a ticket.
    ticket = must(create_ticket.sync_detailed(client=api, body=EventTicketRequest(mailboxes=[MAILBOX])), "ticket")
    events: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=read_events, args=(f"{BASE}/v1/events?ticket={ticket.ticket}", 3, events), daemon=True)
    reader.start()
    seen = [events.get(timeout=30)]  # ready

    # 3. Pages of two, newest first, following the cursor.
    pages: list[int] = []
    cursor: str | None = None
    while True:
        page = must(list_messages.sync_detailed(MAILBOX, client=api, limit=2, cursor=cursor or UNSET), "page")
        pages.append(len(page.items))
        cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
        if cursor is None or len(pages) >= 50:
            break
    print(f"pages: {' + '.join(map(str, pages))} messages")

    # 4. Append a message, twice with the same Idempotency-Key: stored once.
    raw = (
        "From: Example <example@example.com>\r\n"
        f"To: {USER}@example.com\r\n"
        "Subject: generated python client\r\n"
        "Message-ID: <python-client-example@example.com>\r\n"
        "\r\n"
        "Sent by clients/python.\r\n"
    ).encode()
    key = f"py-example-{time.time_ns()}"

    def append() -> Response[Appended | Problem]:
        body = File(payload=io.BytesIO(raw), mime_type="message/rfc822")
        return append_message.sync_detailed(MAILBOX, client=api, body=body, idempotency_key=key)

    first, again = append(), append()
    appended = must(first, "append")
    uid = appended.uid
    if not isinstance(uid, int):
        raise SystemExit("append: the server gave no UID (no UIDPLUS)")
    repeated = must(again, "append again")
    print(f"append: uid {uid}, retry answered uid {repeated.uid}, replayed {again.headers.get('Idempotency-Replayed')}")

    # 5. Read it, then again with its ETag: 304.
    read = get_message.sync_detailed(MAILBOX, uid, client=api)
    message = must(read, "read")
    etag = read.headers.get("ETag", "")
    cached = get_message.sync_detailed(MAILBOX, uid, client=api, if_none_match=etag)
    print(f'read: "{message.subject}", preview "{message.preview}", again with If-None-Match: {cached.status_code}')

    # 6. A nested filter: (subject OR from) AND NOT (deleted OR flagged).
    nested = FilterOperator(
        operator=FilterOperatorOperator.AND,
        conditions=[
            FilterOperator(
                operator=FilterOperatorOperator.OR,
                conditions=[FilterCondition(subject="python client"), FilterCondition(from_="example@example.com")],
            ),
            FilterOperator(operator=FilterOperatorOperator.NOT, conditions=[FilterCondition(deleted=True), FilterCondition(flagged=True)]),
        ],
    )
    found = must(
        search_mailbox.sync_detailed(MAILBOX, client=api, body=SearchRequest(filter_=nested, return_=SearchRequestReturnType0.SUMMARIES)),
        "search",
    )
    print(f"search: {found.total} match, uids {json.dumps(found.uids)}")

    # 7. Flag it if nothing changed it since it was read (If-Match: its ETag), once the stream
    # has reported the new message (a change made before the gateway looks comes as part of
    # message.created).
    seen.append(events.get(timeout=30))
    flag = FlagsPatchKeywordsType0.from_dict({"$flagged": True})
    flags = must(patch_message.sync_detailed(MAILBOX, uid, client=api, body=FlagsPatch(keywords=flag), if_match=etag), "flags")
    unflag = FlagsPatchKeywordsType0.from_dict({"$flagged": None})
    stale = patch_message.sync_detailed(MAILBOX, uid, client=api, body=FlagsPatch(keywords=unflag), if_match=etag)
    print(f"flags: $flagged {str(flags.keywords.additional_properties.get('$flagged', False)).lower()}, the old ETag again: {stale.status_code}")

    # 8. The three events: ready, the append, the flag change.
    seen.append(events.get(timeout=30))
    for line in seen:
        print(f"event: {line}")


if __name__ == "__main__":
    main()
