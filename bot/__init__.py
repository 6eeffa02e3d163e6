"""parkbot: a WeChat Official Account chatbot for an industrial-park investment office."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

from . import config as settings
from .config import ConfigError

__all__ = ["create_app", "ConfigError"]


def _understanding(kb):
    from .nlu import Understanding

    return Understanding(kb)


def _answered_by(nlu):
    """The entry a knowledge version answers a logged question with, if it answers it outright."""
    def answers(text: str):
        match = nlu.match(text)
        return match.best.id if match.status == "answer" and match.best is not None else None

    return answers


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory: defaults, then the environment, then ``config``."""
    cfg = settings.load(config)
    app = Flask(__name__)
    app.config.from_mapping(cfg)
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .dialogue.engine import Engine
    from .knowledge import holder
    from .store.leads import LeadStore
    from .store.funnel import Funnel
    from .store.unanswered import UnansweredLog
    from .store import connection
    from .store.dedup import ReplyCache
    from .store.session import RedisStateStorage

    connection.init_app(app)
    knowledge = holder.init_app(app, builders={"nlu": _understanding})
    client, keys = connection.get_redis(app), connection.get_keys(app)
    storage = RedisStateStorage(client, keys, state_ttl=cfg["SESSION_TTL"], transcript_ttl=cfg["TRANSCRIPT_TTL"])
    app.extensions["parkbot.storage"] = storage
    app.extensions["parkbot.replies"] = ReplyCache(client, keys, ttl=cfg["DEDUP_TTL"])
    app.extensions["parkbot.leads"] = leads = LeadStore(client, keys)
    app.extensions["parkbot.unanswered"] = unanswered = UnansweredLog(client, keys)
    app.extensions["parkbot.funnel"] = funnel = Funnel(client, keys)
    knowledge.on_change(lambda kb, derived: unanswered.mark_covered(_answered_by(derived["nlu"])))
    app.extensions["parkbot.engine"] = Engine(knowledge, storage, leads, unanswered, funnel=funnel,
                                              form_ttl=cfg["FORM_TTL"], resume_after=cfg["RESUME_AFTER"])

    from .web import admin, chat, health, wechat

    app.register_blueprint(wechat.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(chat.bp)
    if chat.available(cfg):
        app.extensions["parkbot.webchat"] = True  # `parkbot serve` prints the /chat URL

    from . import cli

    cli.init_app(app)
    return app
