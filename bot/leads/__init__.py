"""Leads reach staff: the notification worker, its channels, staff rendering, CSV export and CLI.

The records themselves and the outbox they are queued on live in :mod:`bot.store.leads`.
"""
from __future__ import annotations

from bot.store.leads import LeadStore

from .channels import Channel, DeliveryError, build_channels
from .render import Notice
from .worker import Worker, WorkerHandle, start_in_thread

__all__ = ["Channel", "DeliveryError", "LeadStore", "Notice", "Worker", "WorkerHandle",
           "build_channels", "start_in_thread"]
