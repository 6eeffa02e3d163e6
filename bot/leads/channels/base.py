"""What every channel is: a sender of notices that raises :class:`DeliveryError` on any doubt."""
from __future__ import annotations

from typing import Callable, Protocol

from bot.knowledge.messages import Messages
from bot.tencent_http import TencentError

from ..render import Notice

MessagesProvider = Callable[[], Messages]


class DeliveryError(TencentError):
    """This send failed; trying again later may work."""


class Channel(Protocol):
    name: str  # stable: it names the per-channel idempotency key of every job
    # (messages, seconds) the far end accepts, shared by every worker through Redis; None = no limit
    rate_limit: tuple[int, float] | None
    rate_key: str

    def send(self, notice: Notice) -> None: ...
