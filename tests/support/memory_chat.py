"""A user talking to the engine on storage kept in memory: for tests of the conversation's logic.

``say`` returns what the webhook tests' ``Platform.say`` returns (the reply's text, or a news
card's title and description), so a test reads the same either way; the end-to-end webhook tests
stay on Redis.
"""
from __future__ import annotations

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.replies import Incoming, Reply


def reply_text(reply: Reply) -> str:
    if reply.article is not None:
        return f"{reply.article.title}\n{reply.article.description}"
    return reply.text


class MemoryChat:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.storage = engine.services.storage
        self.leads = engine.services.leads
        self.kb = engine.holder.current()
        self.msg = self.kb.messages.render

    def say(self, openid: str, text: str) -> str:
        return reply_text(self.engine.handle(Incoming(openid, "text", text=text, channel="wechat")))

    def event(self, openid: str, event: str, key: str = "") -> str:
        """An event as the webhook reads it (its name in lower case): subscribe, CLICK with the item's key…"""
        return reply_text(self.engine.handle(Incoming(openid, "event", event=event.lower(), event_key=key,
                                                      channel="wechat")))


# The logic tests name the chat's knowledge, sentences and storage as the webhook tests name theirs
# (conftest's ``kb``, ``msg`` and ``storage``, on Redis); a test module imports these to shadow them.
@pytest.fixture
def storage(chat):
    return chat.storage


@pytest.fixture
def kb(chat):
    return chat.kb


@pytest.fixture
def msg(chat):
    return chat.msg
