"""Small shared pieces for the leads tests: the shipped sentences, a clock you move by hand."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.knowledge.messages import Messages

ROOT = Path(__file__).resolve().parents[2]


def messages() -> Messages:
    """The sentences shipped in knowledge/messages.yaml (without loading the rest of knowledge/)."""
    data = yaml.safe_load((ROOT / "knowledge" / "messages.yaml").read_text(encoding="utf-8"))
    return Messages({k: v.strip("\n") for k, v in data.items()})


class Clock:
    """An injectable ``now``: time only moves when a test says so."""

    def __init__(self, t: float = 1_795_000_000.0):  # 2026-11-18, a Wednesday
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


FIELDS = {
    "need": "租2000平厂房", "type": "factory", "deal": "rent", "area_sqm": 2000,
    "industry": "海洋生物", "tax": "300万", "company": "海智源公司", "contact": "王经理",
    "phone": "13912345678",
}
TRANSCRIPT = [
    {"t": 1_795_000_000, "who": "user", "text": "我想租2000平厂房"},
    {"t": 1_795_000_010, "who": "bot", "text": "好的,请问您的公司名称?"},
]


class KnowledgeStub:
    """Stands in for the app's knowledge holder: ``.current()`` with the parts the CLI reads."""

    def __init__(self, wechat_menu=()):
        from types import SimpleNamespace

        self._kb = SimpleNamespace(messages=messages(), menu=SimpleNamespace(wechat_menu=list(wechat_menu)))

    def current(self):
        return self._kb


def cli_app(client, keys, *, wechat_menu=(), **config):
    """A bare Flask app wired like ours (Redis, keys, knowledge) with the leads commands registered."""
    from flask import Flask

    from bot.leads.cli import register

    app = Flask("parkbot-test")
    app.config.update(HTTP_TIMEOUT=1.0, **config)
    app.extensions["parkbot.redis"] = client
    app.extensions["parkbot.keys"] = keys
    app.extensions["parkbot.knowledge"] = KnowledgeStub(wechat_menu)
    register(app)
    return app
