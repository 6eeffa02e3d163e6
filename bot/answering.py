"""One reply per message, whichever channel it came by (the WeChat webhook, the web chat, the console).

Channel-neutral: it knows the engine and the reply cache, no HTTP and no XML.
"""
from __future__ import annotations

import logging
from typing import Callable

from .dialogue.replies import Incoming, Reply
from .store import StoreUnavailable
from .store.dedup import AlreadyClaimed
from .store.session import UserBusy

log = logging.getLogger(__name__)


class Responder:
    def __init__(self, engine, replies, messages: Callable[[], object], *, reply_wait: float):
        self.engine, self.replies, self.messages, self.reply_wait = engine, replies, messages, reply_wait

    def respond(self, incoming: Incoming, message_key: str | None = None,
                started: float | None = None) -> Reply | None:
        """The engine's reply, made once per WeChat message however often WeChat delivers it
        (``message_key``); without a key (the web chat) simply made. Whatever fails behind the
        engine, the user gets the hotline sentence, never an error."""
        cache = self.replies
        try:
            try:
                claim = cache.claim_for(incoming.openid, message_key) if message_key else None
                return self.engine.handle(incoming, claim, started=started)
            except AlreadyClaimed as repeat:
                stored = repeat.reply
                if stored is None:
                    stored = cache.wait(incoming.openid, message_key, self.reply_wait)
                # still being made: "success" tells WeChat to stop retrying; the first delivery answers
                return Reply.from_dict(stored) if stored else None
        except (StoreUnavailable, UserBusy) as exc:
            log.warning("answering without the store: %s", type(exc).__name__)
        except Exception:
            log.exception("dialogue failed for one message")
        return Reply(text=self.messages().render("store_down"))
