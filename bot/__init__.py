"""parkbot: a WeChat Official Account chatbot for an industrial-park investment office.

The package itself loads nothing: ``create_app`` (Flask) lives in :mod:`bot.app` and is fetched on first
use, so importing the engine, the understanding or the knowledge never loads Flask.
"""
from __future__ import annotations

__all__ = ["create_app", "ConfigError"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "ConfigError":
        from .config import ConfigError

        return ConfigError
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
