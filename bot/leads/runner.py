"""Wiring the worker to a Flask app: its settings, Redis and live knowledge.

``parkbot serve`` runs the worker in a thread of the dev server; ``parkbot worker`` (see
:mod:`bot.leads.cli`) runs it in the foreground for production.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from bot.store.connection import get_keys, get_redis

from .channels import Channel, build_channels
from .worker import start_in_thread

log = logging.getLogger(__name__)


def notification_channels(app) -> list[Channel]:
    """The channels the settings turn on, reading sentences from the live knowledge."""
    holder = app.extensions["parkbot.knowledge"]
    return build_channels(app.config, lambda: holder.current().messages)


def follow_up_check(app) -> Callable[[], Any]:
    """The follow-up reminder look (bot/leads/followup.py) on the app's Redis and live business hours."""
    from bot.store.leads import LeadStore

    from .followup import FollowUp

    holder = app.extensions["parkbot.knowledge"]
    return FollowUp(LeadStore(get_redis(app), get_keys(app)), lambda: holder.current().park.hours).run_once


def start_worker_thread(app, **options: Any) -> Callable[[], None]:
    """Start delivering in a background thread; returns the function that stops it."""
    channels = notification_channels(app)
    if not channels:
        log.warning("no notification channel configured (NOTIFY_WECOM_WEBHOOK, NOTIFY_EMAIL_TO + SMTP_URL): "
                    "leads wait in the outbox until one is")
        return lambda: None
    options.setdefault("poll_interval", 0.2)
    options.setdefault("periodic", follow_up_check(app))
    handle = start_in_thread(get_redis(app), get_keys(app), channels, **options)
    return handle.stop
