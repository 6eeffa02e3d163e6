"""Where staff hear about leads. A channel renders a :class:`~bot.leads.render.Notice` and sends it.

A channel raises :class:`DeliveryError` for anything that did not certainly reach staff; the
worker owns retries, backoff, rate limits and idempotency, so a channel stays a plain sender.
"""
from __future__ import annotations

from typing import Any, Mapping

from .base import Channel, DeliveryError, MessagesProvider
from .email import EmailChannel
from .wecom import WeComChannel


def build_channels(config: Mapping[str, Any], messages_provider: MessagesProvider) -> list[Channel]:
    """The channels the settings turn on (WeCom robot, then e-mail); empty when none is set."""
    timeout = float(config.get("HTTP_TIMEOUT") or 5.0)
    channels: list[Channel] = []
    if config.get("NOTIFY_WECOM_WEBHOOK"):
        channels.append(WeComChannel(config["NOTIFY_WECOM_WEBHOOK"], messages_provider, timeout=timeout))
    if config.get("NOTIFY_EMAIL_TO") and config.get("SMTP_URL"):
        to = config["NOTIFY_EMAIL_TO"]
        to = [a.strip() for a in to.split(",") if a.strip()] if isinstance(to, str) else list(to)
        channels.append(EmailChannel(config["SMTP_URL"], to, messages_provider, timeout=timeout))
    return channels


__all__ = ["Channel", "DeliveryError", "MessagesProvider", "build_channels"]
