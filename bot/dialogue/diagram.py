"""Writes docs/conversation.md from the table: ``python -m bot.dialogue.diagram``."""
from __future__ import annotations

import sys
from pathlib import Path

from .table import mermaid

HEADER = """# The conversation

Generated from `bot/dialogue/table.py` by `python -m bot.dialogue.diagram`; a test keeps the two in step.
Routes in the `any` group are tried first in every state; then the state's own, in order.

```mermaid
"""


def document() -> str:
    return HEADER + mermaid() + "```\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "conversation.md"
    target.write_text(document(), encoding="utf-8")
    print(f"wrote {target}")
