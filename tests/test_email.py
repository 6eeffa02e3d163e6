"""The e-mail channel against a real local SMTP server (aiosmtpd), alone and beside WeCom."""
from __future__ import annotations

import email
from email import policy

import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.leads.channels import DeliveryError
from bot.leads.channels.email import EmailChannel
from bot.leads.channels.wecom import WeComChannel
from bot.leads.render import Notice
from bot.leads.worker import Worker
from bot.store.leads import LeadStore
from tests.support.capture_server import CaptureServer
from tests.support.net import free_port
from tests.support.redis import leads_redis, leads_redis_dir  # noqa: F401  (fixtures)
from tests.support.staff import FIELDS, TRANSCRIPT, Clock, messages


class Inbox:
    """aiosmtpd handler: keeps each message; can refuse the next few with a temporary error."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=policy.default))
        return "250 OK"


def start_smtp(port: int, inbox: Inbox, **kwargs) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = start_smtp(port, inbox)
    yield inbox, port
    controller.stop()


def notice(**extra) -> Notice:
    return Notice(kind="lead", job="lead:L20261118-0007", number="L20261118-0007", fields={**FIELDS, **extra},
                  listings=["scc-a3-12f"], transcript=TRANSCRIPT, source="wechat", created=1_795_000_000.0)


def test_sends_plain_text_with_every_field(smtp):
    inbox, port = smtp
    EmailChannel(f"smtp://127.0.0.1:{port}", ["staff@example.com", "boss@example.com"], messages).send(notice())
    [msg] = inbox.messages
    assert msg["Subject"] == "【招商线索】L20261118-0007"
    assert inbox.envelopes[0].rcpt_tos == ["staff@example.com", "boss@example.com"]
    assert msg["Message-ID"] == "<lead.L20261118-0007@parkbot>"
    body = msg.get_content()
    for value in ("L20261118-0007", "租2000平厂房", "海智源公司", "王经理", "13912345678", "scc-a3-12f",
                  "我想租2000平厂房", "微信公众号", "2026-11-18 19:06"):
        assert value in body


def test_line_breaks_in_user_text_stay_inside_their_line(smtp):
    inbox, port = smtp
    EmailChannel(f"smtp://127.0.0.1:{port}", ["s@example.com"], messages).send(
        notice(company="坏公司\nBcc: victim@example.com\r\n联系人: 假"))
    body = inbox.messages[0].get_content()
    assert "坏公司 Bcc: victim@example.com 联系人: 假" in body
    assert inbox.envelopes[0].rcpt_tos == ["s@example.com"]


def test_logs_in_when_the_url_has_credentials():
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((mechanism, auth_data))
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"robot" and auth_data.password == b"p@ss"
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    controller = start_smtp(port, inbox, authenticator=authenticator, auth_require_tls=False, auth_required=True)
    try:
        EmailChannel(f"smtp://robot:p%40ss@127.0.0.1:{port}", ["s@example.com"], messages).send(notice())
        assert len(inbox.messages) == 1 and seen
        with pytest.raises(DeliveryError, match="email:"):  # refused (535), however smtplib reports it
            EmailChannel(f"smtp://robot:wrong@127.0.0.1:{port}", ["s@example.com"], messages,
                         timeout=1).send(notice())
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_failures_raise_delivery_error(smtp):
    inbox, port = smtp
    inbox.refuse = 1
    channel = EmailChannel(f"smtp://127.0.0.1:{port}", ["s@example.com"], messages, timeout=2)
    with pytest.raises(DeliveryError, match="451"):
        channel.send(notice())
    with pytest.raises(DeliveryError, match="email:"):
        EmailChannel(f"smtp://127.0.0.1:{free_port()}", ["s@example.com"], messages, timeout=1).send(notice())
    with pytest.raises(DeliveryError, match="email:"):  # TLS spoken to a plain server
        EmailChannel(f"smtps://127.0.0.1:{port}", ["s@example.com"], messages, timeout=1).send(notice())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="SMTP_URL"):
        EmailChannel("http://mail.example.com", ["s@example.com"], messages)
    with pytest.raises(ValueError, match="NOTIFY_EMAIL_TO"):
        EmailChannel("smtp://mail.example.com", [], messages)


def test_email_down_never_resends_wecom(leads_redis):
    clock = Clock()
    store = LeadStore(leads_redis.client, leads_redis.keys, now=clock)
    port = free_port()  # nothing listens here yet: e-mail is down
    with CaptureServer() as robot:
        channels = [WeComChannel(robot.url + "/send?key=k", messages, timeout=2),
                    EmailChannel(f"smtp://127.0.0.1:{port}", ["s@example.com"], messages, timeout=1)]
        worker = Worker(leads_redis.client, leads_redis.keys, channels, now=clock)
        number = store.submit(form_id="f", openid="o", fields=dict(FIELDS), listings=[], transcript=[],
                              source="wechat")
        for _ in range(6):
            worker.run_once()
            clock.advance(60)
        assert len(robot.requests) == 1
        state = leads_redis.client.hgetall(leads_redis.keys.job_state(f"lead:{number}"))
        assert int(state["a:email"]) >= 3 and "a:wecom" not in state

        inbox = Inbox()
        controller = start_smtp(port, inbox)
        try:
            for _ in range(20):
                worker.run_once()
                if not store.stats()["outbox_pending"]:
                    break
                clock.advance(60)
            assert len(inbox.messages) == 1 and inbox.messages[0]["Subject"].endswith(number)
            assert len(robot.requests) == 1
        finally:
            controller.stop()
