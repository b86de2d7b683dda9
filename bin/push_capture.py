"""The demo's phone: a local stand-in for a browser's push service. The demo's staff member is
subscribed to Web Push with an endpoint here (seed_demo writes the subscription's private keys
to var/push/phone.json); every push Stormdesk sends is decrypted as the phone would (RFC 8291,
aes128gcm) and appended to var/push/inbox.jsonl, and printed.

    .venv/bin/python bin/push_capture.py [port]     # bin/demo starts it on 8026
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
PUSH = ROOT / "var" / "push"


def _decrypt(body: bytes) -> dict[str, object]:
    phone = json.loads((PUSH / "phone.json").read_text())
    key = serialization.load_pem_private_key(phone["private_key"].encode(), password=None)
    auth = base64.urlsafe_b64decode(phone["auth"] + "==")
    plain = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    return dict(json.loads(plain))


class Phone(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            message = _decrypt(body)
        except Exception as exc:  # a push the phone cannot read: the sender's problem
            self.send_response(400)
            self.end_headers()
            print(f"push capture: unreadable push ({exc})", flush=True)
            return
        message["received_at"] = datetime.now(UTC).isoformat()
        message["to"] = self.path
        with (PUSH / "inbox.jsonl").open("a") as inbox:
            inbox.write(json.dumps(message) + "\n")
        print(f"push to {self.path}: {message.get('title')}  {message.get('url')}", flush=True)
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8026
    PUSH.mkdir(parents=True, exist_ok=True)
    ThreadingHTTPServer(("127.0.0.1", port), Phone).serve_forever()


if __name__ == "__main__":
    main()
