"""E-mail to staff through an SMTP relay (``SMTP_URL`` = ``smtp://user:pass@host:port`` or ``smtps://``).

``smtp://`` upgrades with STARTTLS whenever the server offers it; ``smtps://`` is TLS from the
first byte. The Message-ID is derived from the job, so a mail system that does see a message
twice (a relay that accepted it but whose answer we lost) can fold the copies.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlparse

from ..render import Notice, one_line, plain_text
from .base import DeliveryError, MessagesProvider

log = logging.getLogger(__name__)


class EmailChannel:
    name = "email"
    rate_limit = None
    rate_key = "email"

    def __init__(self, smtp_url: str, to: list[str], messages_provider: MessagesProvider, *,
                 timeout: float = 5.0, sender: str | None = None):
        url = urlparse(smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
        if not to:
            raise ValueError("NOTIFY_EMAIL_TO names no address")
        self.tls = url.scheme == "smtps"
        self.host = url.hostname
        self.port = url.port or (465 if self.tls else 25)
        self.user = unquote(url.username) if url.username else None
        self.password = unquote(url.password) if url.password else ""
        query = parse_qs(url.query)
        self.sender = sender or (query.get("from") or [None])[0] or (
            self.user if self.user and "@" in self.user else f"parkbot@{socket.getfqdn() or 'localhost'}")
        self.to = list(to)
        self.messages = messages_provider
        self.timeout = timeout

    def message(self, notice: Notice) -> EmailMessage:
        messages = self.messages()
        if notice.kind == "lead":
            subject = messages.render("leads_email_subject_lead", number=notice.number)
        else:
            subject = messages.render("leads_email_subject_handoff")
        msg = EmailMessage()
        msg["Subject"] = one_line(subject)  # a header must not carry a line break
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = "<" + "".join(c if c.isalnum() or c in "-." else "." for c in notice.job) + "@parkbot>"
        msg.set_content(plain_text(notice, messages))
        return msg

    def send(self, notice: Notice) -> None:
        msg = self.message(notice)
        context = ssl.create_default_context()
        try:
            if self.tls:
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                server.ehlo()
                if not self.tls and server.has_extn("starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                if self.user:
                    server.login(self.user, self.password)
                refused = server.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryError(f"email: SMTP {exc.smtp_code} {text[:200]}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email: {type(exc).__name__}: {str(exc)[:200]}") from None
        if refused:
            # some addresses took it: sending again would double it for them
            log.warning("email for %s refused by %d of %d recipients", notice.job, len(refused), len(self.to))
