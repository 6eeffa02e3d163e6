"""``parkbot eval --form``: the form evaluation on a throwaway embedded Redis.

The bot is built as it runs in production (knowledge, engine, store), on an embedded Redis in
a temporary directory that is removed afterwards, so an evaluation never touches real data.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from . import create_app
from .dialogue import form_eval
from .store import embedded


def run(knowledge: str, answers: str, conversations: str | None, *, echo: Callable[[str], None] = print,
        errors: bool = True) -> int:
    for path in (answers, conversations):
        if path is not None and not Path(path).is_file():
            echo(f"{path}: no such labelled set")
            return 1
    with tempfile.TemporaryDirectory(prefix="parkbot-form-eval-") as tmp:
        app = create_app({"DEV": True, "REDIS_URL": None, "BOT_DATA_DIR": tmp, "KNOWLEDGE_DIR": knowledge,
                          "REDIS_PREFIX": "formeval", "NOTIFY_WECOM_WEBHOOK": None, "NOTIFY_EMAIL_TO": None})
        try:
            kb = app.extensions["parkbot.knowledge"].current()
            result = form_eval.evaluate(
                app.extensions["parkbot.engine"], app.extensions["parkbot.storage"], kb.park.contacts.hotline,
                form_eval.load(answers), form_eval.load(conversations) if conversations else None)
        finally:
            embedded.stop(Path(tmp))
    echo(form_eval.format_result(result, errors=errors))
    return 0 if result.passed() else 1
