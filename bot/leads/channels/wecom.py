"""WeCom (企业微信) group robot: one markdown message per notice.

WeCom answers most failures with HTTP 200 and ``errcode`` ≠ 0 (45009 is its rate limit), so
only ``errcode == 0`` counts as delivered. Error texts never include the webhook URL: its
``key`` is the robot's only secret.
"""
from __future__ import annotations

import hashlib

import requests

from ..render import Notice, wecom_markdown
from . import DeliveryError, MessagesProvider

PER_MINUTE = 20  # WeCom's documented limit per robot


class WeComChannel:
    name = "wecom"

    def __init__(self, webhook: str, messages_provider: MessagesProvider, *, timeout: float = 5.0,
                 per_minute: int = PER_MINUTE, session: requests.Session | None = None):
        self.webhook = webhook
        self.messages = messages_provider
        self.timeout = timeout
        self.session = session or requests.Session()
        self.rate_limit = (per_minute, 60.0)
        # one limiter per robot, named without its secret key
        self.rate_key = "wecom:" + hashlib.sha256(webhook.encode()).hexdigest()[:16]

    def payload(self, notice: Notice) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": wecom_markdown(notice, self.messages())}}

    def send(self, notice: Notice) -> None:
        try:
            response = self.session.post(self.webhook, json=self.payload(notice), timeout=self.timeout)
        except requests.Timeout:
            raise DeliveryError(f"wecom: no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise DeliveryError(f"wecom: request failed ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise DeliveryError(f"wecom: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise DeliveryError("wecom: malformed response (HTTP 200 but not JSON)") from None
        if not isinstance(data, dict) or "errcode" not in data:
            raise DeliveryError("wecom: malformed response (no errcode)")
        try:
            errcode = int(data["errcode"])
        except (TypeError, ValueError):
            raise DeliveryError(f"wecom: malformed errcode {data['errcode']!r}") from None
        if errcode != 0:
            errmsg = str(data.get("errmsg", ""))[:200]
            raise DeliveryError(f"wecom: errcode {errcode}: {errmsg}", errcode=errcode)
