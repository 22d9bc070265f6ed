"""The e-mail channel keeps one SMTP session per process and recovers when the server drops it."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives

from alerts.channels import email as channel


class CountingHandler:
    def __init__(self):
        self.sessions = 0
        self.messages = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages += 1
        return "250 OK"


def _mail(n: int) -> EmailMultiAlternatives:
    return EmailMultiAlternatives(subject=f"m{n}", body="b", to=["duty@example.org"])


def test_one_session_serves_many_messages_and_a_dropped_one_is_replaced(settings):
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    handler = CountingHandler()
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for n in range(3):
            channel._send(_mail(n))
        assert (handler.sessions, handler.messages) == (1, 3)
        controller.stop()  # the server goes away and comes back: the kept session is dead
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        channel._send(_mail(3))
        assert (handler.sessions, handler.messages) == (2, 4)
    finally:
        controller.stop()
        channel._drop_connection()
