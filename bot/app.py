"""The application factory: the Flask app, its stores, the engine and the blueprints, wired once."""
from __future__ import annotations

import logging
import sys
from typing import Any, Mapping

from flask import Flask

from . import config as settings
from .config import ConfigError

__all__ = ["create_app", "ConfigError"]


def _zhconv_without_pkg_resources() -> None:
    """Import zhconv (the script folding of every message) with pkg_resources unavailable.

    zhconv reads its dictionary through pkg_resources when it can import it, and straight from the
    file beside its module otherwise: the same file, the same conversions. Nothing else a worker
    runs needs pkg_resources, which costs every worker ~6 MB and 130 modules (setuptools scanning
    every installed distribution). Blocked only while zhconv is imported, so a later ``import
    pkg_resources`` works as usual.
    """
    if "zhconv" in sys.modules or "pkg_resources" in sys.modules:
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment] -- "import pkg_resources" raises ImportError
    try:
        import zhconv  # noqa: F401
    finally:
        del sys.modules["pkg_resources"]


def _understanding(kb):
    from .nlu import Understanding

    return Understanding(kb)


def _answered_by(nlu):
    """The entry a knowledge version answers a logged question with, if it answers it outright."""
    def answers(text: str):
        match = nlu.match(text)
        return match.best.id if match.status == "answer" and match.best is not None else None

    return answers


def _mark_covered(unanswered):
    """The unanswered log's covered marks, worked out once per knowledge version as this code reads it."""
    def mark(kb, derived):
        from .tools.kb_check import verdict_key

        unanswered.mark_covered(_answered_by(derived["nlu"]), version=verdict_key(kb))

    return mark


def _api_factory(app):
    """The WeChat API client, made once and only when the account's AppID and AppSecret are set."""
    made: list = []

    def get():
        if not (app.config.get("WECHAT_APP_ID") and app.config.get("WECHAT_APP_SECRET")):
            return None
        if not made:
            from .store.connection import get_keys, get_redis
            from .wechat_api import from_config

            made.append(from_config(get_redis(app), get_keys(app), app.config))
        return made[0]

    return get


def _admin_link(cfg):
    """The conversation's address on the admin page, for staff alerts (none without ADMIN_BASE_URL)."""
    from urllib.parse import quote

    base = cfg.get("ADMIN_BASE_URL")
    if not base:
        return None
    return lambda openid: f"{base}/conversations/{quote(openid, safe='')}"


def _validate(kb, derived):
    from .tools.kb_check import problems_beyond_loading

    return problems_beyond_loading(kb, derived["nlu"])


def _validate_once(verdicts):
    """The same check, its verdict shared through Redis: once per knowledge version, not per worker."""
    def validate(kb, derived):
        from .tools.kb_check import problems_once

        return problems_once(kb, derived["nlu"], verdicts)

    return validate


def _warnings(kb):
    from .tools.kb_check import warnings

    return warnings(kb)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory: defaults, then the environment, then ``config``."""
    cfg = settings.load(config)
    _zhconv_without_pkg_resources()
    app = Flask(__name__)
    app.config.from_mapping(cfg)
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .dialogue.engine import Engine
    from .knowledge import holder
    from .store.leads import LeadStore
    from .store.funnel import Funnel
    from .store.profile import ProfileStore
    from .store.unanswered import UnansweredLog
    from .store import connection
    from .store.dedup import ReplyCache
    from .store.session import RedisStateStorage
    from .store.knowledge_checks import CheckVerdicts
    from .store.takeover import ChannelHealth, TakeoverStore
    from .takeover import Desk

    from .sentences import declare_every_part

    declare_every_part()  # every key any part says is declared before the first load, as at a reload
    connection.init_app(app)
    client, keys = connection.get_redis(app), connection.get_keys(app)
    knowledge = holder.init_app(app, builders={"nlu": _understanding}, validate=_validate_once(CheckVerdicts(client, keys)),
                                warn=_warnings)
    storage = RedisStateStorage(client, keys, state_ttl=cfg["SESSION_TTL"], transcript_ttl=cfg["TRANSCRIPT_TTL"],
                                lock_timeout=cfg["LOCK_TIMEOUT"], transcript_len=cfg["TRANSCRIPT_LEN"])
    app.extensions["parkbot.storage"] = storage
    app.extensions["parkbot.replies"] = ReplyCache(client, keys, ttl=cfg["DEDUP_TTL"])
    app.extensions["parkbot.leads"] = leads = LeadStore(client, keys)
    app.extensions["parkbot.unanswered"] = unanswered = UnansweredLog(client, keys)
    app.extensions["parkbot.funnel"] = funnel = Funnel(client, keys)
    knowledge.on_change(_mark_covered(unanswered))
    app.extensions["parkbot.profile"] = profile = ProfileStore(client, keys)
    takeovers, health = TakeoverStore(client, keys), ChannelHealth(client, keys)
    app.extensions["parkbot.desk"] = desk = Desk(storage=storage, takeovers=takeovers, health=health,
                                                 holder=knowledge, config=cfg, api_factory=_api_factory(app))
    app.extensions["parkbot.engine"] = Engine(knowledge, storage, leads, unanswered, funnel=funnel, profile=profile,
                                              form_ttl=cfg["FORM_TTL"], resume_after=cfg["RESUME_AFTER"],
                                              takeovers=takeovers, staff_channel=lambda: desk.staff_channel()["state"],
                                              admin_link=_admin_link(cfg))

    from .answering import Responder

    app.extensions["parkbot.responder"] = Responder(app.extensions["parkbot.engine"], app.extensions["parkbot.replies"],
                                                    lambda: knowledge.current().messages, reply_wait=cfg["REPLY_WAIT"])

    from .web import admin, admin_conversations, chat, health, wechat

    app.register_blueprint(wechat.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_conversations.bp)
    app.register_blueprint(chat.bp)
    if chat.available(cfg):
        app.extensions["parkbot.webchat"] = True  # `parkbot serve` prints the /chat URL

    from . import cli

    cli.init_app(app)
    return app
