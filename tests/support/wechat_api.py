"""A local stand-in of the WeChat API on 127.0.0.1: access tokens and customer-service messages.

It answers ``cgi-bin/token`` and ``cgi-bin/stable_token`` with a fresh token, and
``cgi-bin/message/custom/send`` like WeChat does: errcode 40001 for a token it did not issue,
44002 for an empty body, otherwise ok — or the errcode a test asked for::

    with WeChatStandIn() as wx:
        wx.refuse_next(48001)                 # the next custom/send answers errcode 48001
        ...
        wx.sent                               # [(touser, content), ...] that WeChat accepted

Every request is recorded (``wx.server.requests``); the HTTP-level failure modes of
:class:`~tests.support.capture_server.CaptureServer` work too (``wx.server.fail_next``).
"""
from __future__ import annotations

import itertools
import threading

import pytest

from tests.support.capture_server import CaptureServer

SEND = "/cgi-bin/message/custom/send"
ERRMSG = {45015: "response out of time limit or subscription is canceled", 45047: "out of response count limit",
          48001: "api unauthorized", 40003: "invalid openid", 43004: "require subscribe",
          40001: "invalid credential"}


class WeChatStandIn:
    def __init__(self):
        self.server = CaptureServer(hang_seconds=1.0)
        self.tokens: set[str] = set()
        self._counter = itertools.count(1)
        self._refusals: list[int] = []
        self._lock = threading.Lock()
        self.server.route("/cgi-bin/token", self._issue)
        self.server.route("/cgi-bin/stable_token", self._issue)
        self.server.route(SEND, self._send)

    def __enter__(self) -> "WeChatStandIn":
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def refuse_next(self, errcode: int, times: int = 1) -> None:
        with self._lock:
            self._refusals.extend([errcode] * times)

    def _issue(self, captured):
        token = f"ACCESS_TOKEN_{next(self._counter)}"
        with self._lock:
            self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _send(self, captured):
        with self._lock:
            if captured.query.get("access_token") not in self.tokens:
                captured.outcome = "errcode 40001"
                return {"errcode": 40001, "errmsg": ERRMSG[40001]}
            if self._refusals:
                code = self._refusals.pop(0)
                captured.outcome = f"errcode {code}"
                return {"errcode": code, "errmsg": ERRMSG.get(code, "refused")}
        if not isinstance(captured.json, dict) or not captured.json.get("touser"):
            captured.outcome = "errcode 44002"
            return {"errcode": 44002, "errmsg": "empty post data"}
        return {"errcode": 0, "errmsg": "ok"}

    @property
    def sent(self) -> list[tuple[str, str]]:
        """The customer-service texts WeChat accepted, in order."""
        return [(r.json["touser"], r.json["text"]["content"]) for r in self.server.ok_requests(SEND)
                if r.json and r.json.get("msgtype") == "text"]

    def token_requests(self) -> int:
        return len([r for r in self.server.requests if r.path in ("/cgi-bin/token", "/cgi-bin/stable_token")])


@pytest.fixture
def wechat_api():
    """A started :class:`WeChatStandIn`."""
    with WeChatStandIn() as stand_in:
        yield stand_in
