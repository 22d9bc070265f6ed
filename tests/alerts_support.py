"""Helpers of the alerts tests: what was written, and real servers on loopback standing in for
Twilio's API and for a sponsor's webhook receiver."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from alerts.models import Delivery


def deliveries(**filters) -> list[tuple[str, str, str]]:
    """(contact name or address, channel, message) of the deliveries written, sorted."""
    return sorted(
        (d.contact.name if d.contact else d.address, d.channel, d.message)
        for d in Delivery.objects.filter(**filters).select_related("contact")
    )


def told(message: str | None = None, **filters) -> set[str]:
    """Names of the contacts with a delivery (of this message)."""
    qs = Delivery.objects.filter(contact__isnull=False, **filters)
    if message:
        qs = qs.filter(message=message)
    return set(qs.values_list("contact__name", flat=True))


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers from ``responses``
    (a list of (status, body) used in turn; the last one repeats)."""

    responses: list[tuple[int, str | dict]] = field(default_factory=lambda: [(200, {})])
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(Recorded("POST", self.path, dict(self.headers), self.rfile.read(length)))
                status, body = server.responses[min(len(server.requests), len(server.responses)) - 1]
                payload = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def twilio_message(sid: str = "SM0123456789abcdef0123456789abcdef", **fields) -> dict:
    """What Twilio's API answers to a created message (the fields the SDK reads)."""
    return {"sid": sid, "status": "queued", "account_sid": "AC_test", "num_segments": "1", **fields}


def twilio_error(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


class RefusingSMTP:
    """An aiosmtpd server on loopback that refuses recipients as told: ``refuse`` maps an
    address to an SMTP reply such as "550 5.1.1 No such user"; others are accepted and kept."""

    def __init__(self, refuse: dict[str, str]):
        from aiosmtpd.controller import Controller

        from tests.conftest import free_port

        self.refuse = refuse
        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
