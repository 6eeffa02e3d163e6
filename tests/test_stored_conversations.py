"""Conversations stored before the conversation document had a declared model still load and carry on.

The documents in tests/data/stored_conversations.json are what the earlier code wrote to Redis.
"""
from __future__ import annotations

import json
import time

import pytest

from bot.dialogue.replies import Incoming
from tests.conftest import ROOT
from tests.support.documents import read_as, written_as

STORED = {name: raw for name, raw in json.loads(
    (ROOT / "tests" / "data" / "stored_conversations.json").read_text(encoding="utf-8")).items()
    if not name.startswith("_")}


def _fresh(raw: str) -> str:
    """The stored document with its clocks moved to now, so the form is not taken for one left long ago."""
    doc = json.loads(raw)
    doc["last_seen"] = time.time()
    if doc.get("form"):
        doc["form"]["updated"] = time.time()
    return json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(STORED))
def test_a_stored_document_reads_back_whole(storage, redis_client, keys, openid, name):
    raw = STORED[name]
    redis_client.set(keys.state(openid), raw)
    loaded = storage.load(openid)
    assert loaded.model_dump() == read_as(json.loads(raw))
    storage.save(openid, loaded)  # written again: the same object, less the keys at their defaults
    written = json.loads(redis_client.get(keys.state(openid)))
    assert written == written_as(json.loads(raw))
    if name == "mid-form":  # inside the form too: editing (false) and tries ({}) are at their defaults
        assert not {"editing", "tries"} & set(written["form"]) and written["form"]["asking"] == "company"


def test_a_stored_form_carries_on_where_it_was(wechat, storage, redis_client, keys, openid, msg):
    redis_client.set(keys.state(openid), _fresh(STORED["mid-form"]))
    assert storage.load(openid).form.asking == "company"
    text = wechat.say(openid, "青岛蓝海新材料有限公司")
    assert msg("ask_contact") in text
    state = storage.load(openid)
    assert state.form.slots["company"] == "青岛蓝海新材料有限公司" and state.turn == 8
    assert state.viewed == ["jimo-factory-1f-800"] and state.invited  # the rest of the document kept


def test_a_stored_search_pages_on(memory_engine):
    engine = memory_engine
    stored = json.loads(_fresh(STORED["searching"]))
    engine.services.storage.save("u", stored)
    reply = engine.handle(Incoming("u", "text", text="2", channel="cli"))  # the second of the page it showed
    title = engine.holder.current().listing_by_id[stored["choices"][1]["id"]].title
    assert title in (reply.text or reply.article.title)


def test_a_stored_search_by_location_pages_on_with_its_distances(memory_engine):
    engine = memory_engine
    stored = json.loads(_fresh(STORED["near"]))
    engine.services.storage.save("u", stored)
    reply = engine.handle(Incoming("u", "text", text="更多", channel="cli"))  # the third page of what it found
    listings = engine.holder.current().listing_by_id
    shown = stored["search"]["ids"][6:9]
    for listing_id in shown:
        assert listings[listing_id].title in reply.text
        assert f"{stored['search']['km'][listing_id]:.1f}" in reply.text  # its distance, as stored
    assert engine.services.storage.load("u").search.offset == 6


@pytest.mark.parametrize("name", sorted(STORED))
def test_the_stored_json_is_pydantics_own(name):
    """to_json and from_json call the model's serializer and validator directly: the same JSON and
    the same model (which keys were set included) as model_dump_json / model_validate_json."""
    from bot.store.conversation_state import ConversationState, from_json

    state = from_json(STORED[name])
    expected = ConversationState.model_validate_json(STORED[name])
    assert state == expected and state.model_fields_set == expected.model_fields_set
    assert state.to_json() == expected.model_dump_json(exclude_defaults=True)
    assert ConversationState().to_json() == ""
