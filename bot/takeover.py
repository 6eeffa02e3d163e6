"""A person takes a conversation over: take it, reply in it, hand it back.

While a person holds a conversation the bot says nothing to that user (the engine checks the
record in :mod:`bot.store.takeover` on every message). What a person says reaches a WeChat
user as a customer-service message (``cgi-bin/message/custom/send``), which WeChat accepts only
within 48 hours of the user's last message; a web-chat user's page fetches it by polling.
Every line — the user's, the notices, the person's — goes into the user's transcript, which
the admin page shows whole.

Refusals raise :class:`DeskError` with a sentence key from messages.yaml and an HTTP status;
nothing is changed by a refused request. WeChat's own refusals are explained in words staff can
act on (45015: the 48 hours have passed; 45047: too many messages without an answer; 48001:
the account may not use the API …).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any, Callable

from .sentences import KNOWN_ERRORS
from .store.takeover import ChannelHealth, TakeoverStore, configured_channels
from .tencent_http import TencentError

log = logging.getLogger(__name__)

WINDOW = 48 * 3600  # WeChat accepts customer-service messages this long after the user's last message
OPENID = re.compile(r"[A-Za-z0-9_-]{6,64}")
WEB_USER = re.compile(r"web-[0-9a-f]{20}")
TEXT_BYTES = 2048  # WeChat's limit for a customer-service text


class DeskError(Exception):
    def __init__(self, code: int, key: str, **values: Any):
        super().__init__(key)
        self.code, self.key, self.values = code, key, values


def is_web_user(openid: str) -> bool:
    return bool(WEB_USER.fullmatch(openid))


class Desk:
    def __init__(self, *, storage, takeovers: TakeoverStore, health: ChannelHealth, holder, config,
                 api_factory: Callable[[], Any], now: Callable[[], float] = time.time):
        self.storage, self.takeovers, self.health = storage, takeovers, health
        self.holder, self.config, self.api_factory = holder, config, api_factory
        self.now = now

    # reading -----------------------------------------------------------------------
    def _say(self, key: str, **values: Any) -> str:
        return self.holder.current().messages.render(key, **values)

    def idle_limit(self) -> float:
        return self.holder.current().park.takeover.idle_minutes * 60

    def staff_channel(self) -> dict:
        return self.health.state(configured_channels(self.config))

    def check(self, openid: str) -> None:
        """A user this bot has talked to (404 otherwise)."""
        if not OPENID.fullmatch(openid or "") or not (
                self.storage.has_transcript(openid) or self.takeovers.get(openid)["state"]):
            raise DeskError(404, "desk_unknown_user", openid=(openid or "")[:64])

    def window(self, openid: str, transcript: list[dict] | None = None) -> dict:
        """Whether a person's message can still reach the user, and until when."""
        if is_web_user(openid):
            return {"open": True, "until": None, "last_user": None}
        transcript = self.storage.transcript(openid, 10_000) if transcript is None else transcript
        last = max((float(e.get("t") or 0) for e in transcript if e.get("who") == "user"), default=None)
        until = last + WINDOW if last else None
        return {"open": bool(until and until > self.now()), "until": until, "last_user": last}

    def conversation(self, openid: str) -> dict:
        self.check(openid)
        transcript = self.storage.transcript(openid, 10_000)
        record = self.takeovers.get(openid)
        return {"openid": openid, "state": record["state"] or "bot", "since": record["since"],
                "channel": "web" if is_web_user(openid) else "wechat",
                "window": self.window(openid, transcript), "idle_minutes": self.idle_limit() // 60,
                "transcript": [{"t": e.get("t"), "who": e.get("who", ""), "text": e.get("text", "")}
                               for e in transcript]}

    def handoffs(self, limit: int = 200) -> list[dict]:
        self.sweep()
        items = self.takeovers.listing(limit)
        out = []
        for rec, last in zip(items, self.storage.last_lines([rec["openid"] for rec in items])):
            out.append({"openid": rec["openid"], "since": rec["since"], "state": rec["state"],
                        "channel": "web" if is_web_user(rec["openid"]) else "wechat",
                        "last": last, "active": rec["last"] or rec["since"]})
        return out

    # acting ------------------------------------------------------------------------
    def take(self, openid: str) -> dict:
        """The bot goes quiet and the user is told a colleague answers; taking a taken one changes nothing."""
        self.check(openid)
        old = self.takeovers.move(openid, "taken", by="staff", only_from=("none", "waiting", "released"))
        if old is None:
            return {"state": "taken", "notified": False}
        try:
            if not is_web_user(openid) and not self.window(openid)["open"]:
                raise DeskError(409, "desk_window_closed")
            self._deliver(openid, self._say("takeover_notice"), who="bot")
        except DeskError:
            self._undo(openid, old)
            raise
        return {"state": "taken", "notified": True}

    def _undo(self, openid: str, old: str) -> None:
        """Put back what a takeover that could not tell the user had changed."""
        if old:
            self.takeovers.move(openid, old, only_from=("taken",))
        else:
            self.takeovers.drop(openid)

    def send(self, openid: str, text: Any) -> dict:
        if not isinstance(text, str):
            raise DeskError(400, "desk_bad_json")
        text = text.strip()
        if not text:
            raise DeskError(400, "desk_text_empty")
        if len(text.encode("utf-8")) > TEXT_BYTES:
            raise DeskError(413, "desk_text_long", limit=TEXT_BYTES // 3)
        self.check(openid)
        if self.takeovers.get(openid)["state"] != "taken":
            raise DeskError(409, "desk_not_taken")
        if not self.window(openid)["open"]:
            raise DeskError(409, "desk_window_closed")
        entry = self._deliver(openid, text, who="staff")
        self.takeovers.staff_replied(openid)
        return entry

    def release(self, openid: str, *, by: str = "staff") -> dict:
        """Back to the bot. A taken conversation's user hears so (if WeChat still lets us say it);
        a waiting request is just closed."""
        self.check(openid)
        old = self.takeovers.move(openid, "released", by=by, only_from=("taken", "waiting"))
        if old is None:
            raise DeskError(409, "desk_not_open")
        if old != "taken":
            return {"state": "released", "notified": False, "warning": ""}
        key = "takeover_released" if by == "staff" else "takeover_idle_released"
        try:
            if not is_web_user(openid) and not self.window(openid)["open"]:
                raise DeskError(409, "desk_window_closed")
            self._deliver(openid, self._say(key), who="bot")
        except DeskError as exc:  # handed back all the same: the bot answers the user's next message
            return {"state": "released", "notified": False, "warning": self._say(exc.key, **exc.values)}
        return {"state": "released", "notified": True, "warning": ""}

    def sweep(self) -> int:
        """Hand back every conversation a person has left without a reply past the knowledge's limit."""
        count = 0
        for rec in self.takeovers.idle_taken(self.idle_limit()):
            try:
                self.release(rec["openid"], by="idle")
                count += 1
            except DeskError:
                continue  # released meanwhile, or the user was erased
        return count

    def _deliver(self, openid: str, text: str, *, who: str) -> dict:
        """Say ``text`` to the user on their channel, then keep it in the transcript."""
        if is_web_user(openid):
            return self.storage.append(openid, who, text, push=True)
        api = self.api_factory()
        if api is None:
            raise DeskError(503, "desk_no_api")
        try:
            api.send_text(openid, text)
        except TencentError as exc:
            raise explain(exc) from None
        return self.storage.append(openid, who, text)


def explain(exc: TencentError) -> DeskError:
    """WeChat's refusal in words staff can act on."""
    code = exc.errcode
    log.warning("customer-service message refused: %s", exc)
    if code is None:
        return DeskError(502, "desk_network")
    if code == 45015:
        return DeskError(409, "desk_window_closed")
    if code in KNOWN_ERRORS:
        return DeskError(502, f"desk_errcode_{code}", errcode=code)
    return DeskError(502, "desk_errcode", errcode=code, errmsg=exc.errmsg[:200])


def start_sweeper(desk: Desk, stop_event: threading.Event, every: float = 30.0) -> threading.Thread:
    """Hand back idle taken conversations every ``every`` seconds even when no admin page is open
    (``parkbot worker`` and ``parkbot serve`` run this; any number of them may)."""
    def loop() -> None:
        while not stop_event.wait(every):
            try:
                desk.sweep()
            except Exception as exc:  # Redis away, WeChat away: the next round tries again
                log.warning("takeover sweep failed: %s", type(exc).__name__)

    thread = threading.Thread(target=loop, name="parkbot-takeover-sweep", daemon=True)
    thread.start()
    return thread
