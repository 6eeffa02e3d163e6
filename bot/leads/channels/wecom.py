"""WeCom (企业微信) group robot: one markdown message per notice.

WeCom answers most failures with HTTP 200 and ``errcode`` ≠ 0 (45009 is its rate limit), so
only ``errcode == 0`` counts as delivered. Error texts never include the webhook URL: its
``key`` is the robot's only secret.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ...tencent_http import call_json
from ..render import Notice, wecom_markdown
from .base import DeliveryError, MessagesProvider

if TYPE_CHECKING:
    import requests

PER_MINUTE = 20  # WeCom's documented limit per robot


class WeComChannel:
    name = "wecom"

    def __init__(self, webhook: str, messages_provider: MessagesProvider, *, timeout: float = 5.0,
                 per_minute: int = PER_MINUTE, session: requests.Session | None = None):
        self.webhook = webhook
        self.messages = messages_provider
        self.timeout = timeout
        if session is None:
            import requests  # by the process that sends, when it makes its channel: not by every web worker

            session = requests.Session()
        self.session = session
        self.rate_limit = (per_minute, 60.0)
        # one limiter per robot, named without its secret key
        self.rate_key = "wecom:" + hashlib.sha256(webhook.encode()).hexdigest()[:16]

    def payload(self, notice: Notice) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": wecom_markdown(notice, self.messages())}}

    def send(self, notice: Notice) -> None:
        data = call_json(self.session, "POST", self.webhook, json=self.payload(notice), timeout=self.timeout,
                         label="wecom", error=DeliveryError)
        if "errcode" not in data:
            raise DeliveryError("wecom: malformed response (no errcode)")
