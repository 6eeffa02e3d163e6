"""Which parts of the bot say sentences from ``knowledge/messages.yaml``: one explicit list.

Each part declares the keys it says (``declare`` in the module); this list names every such part, and
both start-up and every reload (and ``kb check``) import all of them before checking the knowledge, so
a key the admin deleted is caught the same way each time — never passed at start-up because the module
that needs it happened to be imported later, then refused at the next reload.
"""
from __future__ import annotations

SENTENCE_USERS = (
    "bot.answering",
    "bot.dialogue.table",  # the conversation: every handler the route table names
    "bot.leads.export",
    "bot.leads.render",
    "bot.leads.channels.email",
    "bot.takeover",
    "bot.web.admin",
    "bot.web.admin_conversations",
    "bot.web.chat",
    "bot.web.wechat",
)


def import_sentence_users() -> None:
    """Import every module of SENTENCE_USERS (plain imports, so the import graph shows them)."""
    from . import answering  # noqa: F401
    from .dialogue import table  # noqa: F401
    from .leads import export, render  # noqa: F401
    from .leads.channels import email  # noqa: F401
    from . import takeover  # noqa: F401
    from .web import admin, admin_conversations, chat, wechat  # noqa: F401
