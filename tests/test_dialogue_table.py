"""The conversation table is complete, and its diagram in docs/ is in step with it."""
from __future__ import annotations

from bot.dialogue.diagram import document
from bot.dialogue.states import State
from bot.dialogue.table import TABLE, _always
from tests.conftest import ROOT


def test_every_state_has_routes_ending_in_a_catch_all():
    assert set(TABLE) == set(State)
    for state, routes in TABLE.items():
        assert routes[-1].when is _always, state
        assert routes[-1].name in ("question", "answer", "other"), state


def test_the_checked_in_diagram_matches_the_table():
    checked_in = (ROOT / "docs" / "conversation.md").read_text(encoding="utf-8")
    assert checked_in == document(), "run: python -m bot.dialogue.diagram"
