#!/usr/bin/env python3
"""Verifies webhook deliveries with the official Standard Webhooks package (PyPI
`standardwebhooks`), as a receiver would: no code of the gateway's.

    verify-webhooks.py <secret>   < deliveries, one JSON object a line: {id, timestamp, signature, body}

Prints `ok <id>` for each delivery; exits 1 at the first one that does not verify.
scripts/test installs the package into a venv and passes its python to the tests
(STANDARD_WEBHOOKS_PYTHON).
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

webhook = Webhook(sys.argv[1])
for line in sys.stdin:
    d = json.loads(line)
    headers = {
        "webhook-id": d["id"],
        "webhook-timestamp": str(d["timestamp"]),
        "webhook-signature": d["signature"],
    }
    try:
        webhook.verify(d["body"], headers)
    except Exception as e:  # the package's WebhookVerificationError, or a malformed header
        print(f"fail {d['id']}: {e}")
        sys.exit(1)
    print(f"ok {d['id']}")
