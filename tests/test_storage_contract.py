"""The per-user conversation storage's contract, kept alike by both implementations: the Redis store
(bot/store/session.py, on real Redis) and the in-memory one (bot/store/memory.py) that ``kb test`` and
the engine-logic tests run on. What only Redis has (claims against WeChat's retries, lock expiry,
scripts, TTLs, a server going away) is tested in test_store_session.py.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store.conversation_state import ConversationState
from bot.store.memory import MemoryStateStorage
from bot.store.session import RedisStateStorage
from tests.conftest import ROOT
from tests.support.documents import read_as

TRANSCRIPT_LEN = 4


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    if request.param == "memory":
        return MemoryStateStorage(transcript_len=TRANSCRIPT_LEN)
    client, keys = request.getfixturevalue("redis_client"), request.getfixturevalue("keys")
    return RedisStateStorage(client, keys, state_ttl=3600, transcript_ttl=7200, transcript_len=TRANSCRIPT_LEN)


def test_finish_saves_the_state_and_the_transcript(storage, openid):
    with storage.turn(openid) as session:
        assert session.state == ConversationState()
        session.finish({"turn": 1, "state": "search"}, [("user", "你好"), ("bot", "您好")])
    assert storage.load(openid).document() == {"turn": 1, "state": "search"}
    assert [(t["who"], t["text"]) for t in storage.transcript(openid)] == [("user", "你好"), ("bot", "您好")]
    with storage.turn(openid) as session:
        assert session.state.turn == 1 and session.state.state == "search"


def test_the_transcript_keeps_the_last_entries_and_skips_empty_text(storage, openid):
    for i in range(3):
        with storage.turn(openid) as session:
            session.finish({"turn": i + 1}, [("user", f"u{i}"), ("bot", "")])
    with storage.turn(openid) as session:
        session.finish({"turn": 9}, [("user", "x" * 600), ("bot", "b")])
    said = [t["text"] for t in storage.transcript(openid)]
    assert said == ["u1", "u2", "x" * 500, "b"]
    assert [t["text"] for t in storage.transcript(openid, 2)] == ["x" * 500, "b"]


def test_a_line_said_outside_a_turn_is_kept_and_marked_for_the_channel_to_fetch(storage, openid):
    entry = storage.append(openid, "staff", "您好，我是招商部小王", push=True)
    assert entry["push"] == 1 and storage.transcript(openid)[-1]["text"] == "您好，我是招商部小王"
    assert "push" not in storage.append(openid, "bot", "已转接")


def test_a_state_at_its_defaults_deletes_the_stored_one(storage, openid):
    storage.save(openid, {"turn": 3})
    with storage.turn(openid) as session:
        session.finish(ConversationState())
    assert storage.load(openid).document() == {}
    storage.save(openid, {"turn": 3})
    with storage.turn(openid) as session:
        session.finish(None)
    assert storage.load(openid).document() == {}
    storage.save(openid, {"turn": 3})
    storage.save(openid, None)
    assert storage.load(openid).document() == {}


def test_the_state_is_saved_only_by_finish(storage, openid):
    with storage.turn(openid) as session:
        session.state.turn = 5  # changed but not finished: nothing is kept
    assert storage.load(openid).document() == {}
    with pytest.raises(ZeroDivisionError):
        with storage.turn(openid) as session:
            session.state.turn = 6
            1 / 0
    assert storage.load(openid).document() == {}
    with storage.turn(openid) as session:  # and the user is not left locked out
        session.finish({"turn": 1})
    assert storage.load(openid).turn == 1


def test_what_load_gives_is_a_copy(storage, openid):
    storage.save(openid, {"turn": 1, "viewed": ["a"]})
    loaded = storage.load(openid)
    loaded.turn, loaded.viewed[0] = 2, "changed"
    assert storage.load(openid).document() == {"turn": 1, "viewed": ["a"]}


def test_erase_forgets_the_state_and_the_transcript(storage, openid):
    with storage.turn(openid) as session:
        session.finish({"turn": 1}, [("user", "你好")])
    storage.erase(openid)
    assert storage.load(openid).document() == {} and storage.transcript(openid) == []


def test_one_message_of_a_user_at_a_time(storage, openid):
    order = []

    def message(n: int) -> None:
        with storage.turn(openid) as session:
            count = session.state.turn
            time.sleep(0.02)  # a lost update would show if two turns overlapped
            order.append(n)
            session.finish({"turn": count + 1})

    threads = [threading.Thread(target=message, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert storage.load(openid).turn == 5 and sorted(order) == list(range(5))


STORED = json.loads((ROOT / "tests" / "data" / "stored_conversations.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["mid-form", "searching"])
def test_a_document_stored_by_the_earlier_code_reads_back_whole(storage, openid, name):
    stored = json.loads(STORED[name])
    storage.save(openid, stored)
    assert storage.load(openid).model_dump() == read_as(stored)


_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                       max_leaves=8)
_TEXT_DICTS = st.dictionaries(st.text(max_size=8), _VALUES, max_size=4)
_NAMES = st.lists(st.text(max_size=20), max_size=6)
_TIMES = st.none() | st.floats(0, 2**31)
_FORMS = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=32)}, optional={
    "slots": _TEXT_DICTS, "listings": _NAMES, "started": _TIMES, "updated": _TIMES,
    "asking": st.none() | st.text(max_size=8), "follow_up": st.none() | st.just("size"), "size_asked": st.booleans(),
    "editing": st.booleans(), "tries": st.dictionaries(st.text(max_size=8), st.integers(0, 9), max_size=3),
    "draft": st.none() | st.fixed_dictionaries({"text": st.text(max_size=12)}, optional={"detail": _TEXT_DICTS}),
    "asked": st.none() | st.text(max_size=8), "reached": _NAMES, "a key no longer kept": _VALUES,
})
_SEARCHES = st.fixed_dictionaries({}, optional={
    "filters": _TEXT_DICTS, "offset": st.integers(0, 100), "ids": _NAMES,
    "km": st.none() | st.dictionaries(st.text(max_size=20), st.floats(0, 100), max_size=4),
})
DOCUMENTS = st.fixed_dictionaries({}, optional={
    "state": st.sampled_from(["idle", "search", "resume", "form:asking", "form:confirm", "form:phone"]),
    "turn": st.integers(0, 10**6), "since": st.none() | st.integers(0, 2**31),
    "last_seen": st.none() | st.floats(0, 2**31), "seen": _TEXT_DICTS, "choices": st.lists(_TEXT_DICTS, max_size=4),
    "choices_turn": st.none() | st.integers(0, 10**6), "viewed": st.lists(st.text(max_size=20), max_size=10),
    "viewed_turn": st.none() | st.integers(0, 10**6), "search": st.none() | _SEARCHES, "invited": st.booleans(),
    "form": st.none() | _FORMS,
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENTS)
def test_any_conversation_document_is_kept_as_it_was(storage, openid, document):
    with storage.turn(openid) as session:
        session.finish(document)
    assert storage.load(openid).model_dump() == ConversationState.model_validate(document).model_dump()
    with storage.turn(openid) as session:
        assert session.state == ConversationState.model_validate(document)
        session.finish(None)
