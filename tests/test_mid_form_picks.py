"""A digit picking from a list the previous reply showed while the form was open: what was picked,
then the form's pending question again; the form stays open. Engine logic, on storage in memory."""
from __future__ import annotations

import uuid

import pytest

from bot.dialogue.replies import Incoming
from bot.store.conversation_state import ConversationState


@pytest.fixture
def engine(memory_engine):
    return memory_engine


@pytest.fixture
def kb(engine):
    return engine.holder.current()


def _say(engine, openid: str, text: str) -> str:
    return engine.handle(Incoming(openid, "text", text=text, channel="cli")).text


def _pick_mid_form(engine, choices: list[dict], digit: str = "1") -> tuple[str, ConversationState]:
    """The form open and asking, the previous reply having shown ``choices``: the reply to ``digit``."""
    openid = f"u{uuid.uuid4().hex[:12]}"
    _say(engine, openid, "登记")
    storage = engine.services.storage
    state = storage.load(openid)
    assert state.state == "form:asking"
    state.choices, state.choices_turn = choices, state.turn
    storage.save(openid, state)
    return _say(engine, openid, digit), storage.load(openid)


def _back_to_the_form(kb, text: str, state: ConversationState) -> None:
    m = kb.messages.render
    assert m("back_to_form") in text and text.rstrip().endswith(m("ask_need"))
    assert state.state == "form:asking" and state.form.asking == "need"


def _menu(kb, action: str) -> list[dict]:
    return [{"kind": "menu", "key": next(i.key for i in kb.menu.items if i.action == action)}]


def test_a_menu_pick_mid_form_does_the_item_then_asks_again(engine, kb):
    m = kb.messages.render
    text, state = _pick_mid_form(engine, _menu(kb, "intro"))
    assert text.startswith(m("intro", profile=kb.park.profile.strip(), industries="、".join(kb.park.industries)))
    _back_to_the_form(kb, text, state)
    text, state = _pick_mid_form(engine, _menu(kb, "search"))
    assert text.startswith(m("search_ask"))
    _back_to_the_form(kb, text, state)
    text, state = _pick_mid_form(engine, _menu(kb, "lead"))
    assert text.startswith(m("form_resume")) and text.count(m("ask_need")) == 2  # resumed, then asked again
    _back_to_the_form(kb, text, state)


def test_a_human_picked_mid_form_alerts_staff_and_keeps_the_form(engine, kb):
    before = len(engine.services.leads.handoffs)
    text, state = _pick_mid_form(engine, _menu(kb, "handoff"))
    assert kb.park.contacts.hotline in text and len(engine.services.leads.handoffs) == before + 1
    _back_to_the_form(kb, text, state)


def test_a_menu_item_gone_shows_the_menu_as_it_is_now(engine, kb):
    text, state = _pick_mid_form(engine, [{"kind": "menu", "key": "NO_SUCH_KEY"}])
    assert text.startswith(kb.messages.render("menu_header"))
    _back_to_the_form(kb, text, state)


def test_a_listing_or_an_answer_picked_mid_form(engine, kb):
    listing = kb.listings[0]
    text, state = _pick_mid_form(engine, [{"kind": "listing", "id": listing.id}])
    assert listing.title in text and state.viewed == [listing.id]
    _back_to_the_form(kb, text, state)
    faq = kb.faqs[0]
    text, state = _pick_mid_form(engine, [{"kind": "faq", "id": faq.id}])
    assert text.startswith(faq.answer.strip())
    _back_to_the_form(kb, text, state)


def test_a_digit_beyond_the_list_says_so_and_asks_again(engine, kb):
    text, state = _pick_mid_form(engine, _menu(kb, "intro"), digit="3")
    assert text.startswith(kb.messages.render("choice_expired", count=1))
    _back_to_the_form(kb, text, state)
