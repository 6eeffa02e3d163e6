"""The conversation table is complete, and its diagram in docs/ is in step with it."""
from __future__ import annotations

from bot.dialogue.diagram import document
from bot.dialogue.states import State
from bot.dialogue.table import AFTER, ANYWHERE, BEFORE, TABLE, _always
from tests.conftest import ROOT


def test_every_state_has_routes_ending_in_a_catch_all():
    assert set(TABLE) == set(State)
    for state, routes in TABLE.items():
        assert routes[-1].when is _always, state
        assert routes[-1].name in ("question", "answer", "other"), state


def test_only_the_routes_before_a_message_is_read_go_on():
    """A route that goes on reads the message again in its new state; anywhere else it would loop
    or leave the message unanswered."""
    assert set(BEFORE) == set(State)
    assert all(route.goes_on for routes in BEFORE.values() for route in routes)
    rest = [*ANYWHERE, *(r for routes in TABLE.values() for r in routes), *(r for routes in AFTER.values() for r in routes)]
    assert not any(route.goes_on for route in rest)
    assert {r.name for routes in BEFORE.values() for r in routes} == {"form gone", "form expired", "form paused"}
    assert [r.name for r in AFTER[State.IDLE]] == ["resume offer"]


def test_the_checked_in_diagram_matches_the_table():
    checked_in = (ROOT / "docs" / "conversation.md").read_text(encoding="utf-8")
    assert checked_in == document(), "run: python -m bot.dialogue.diagram"
