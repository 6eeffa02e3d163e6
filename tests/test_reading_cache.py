"""The readings kept per knowledge version (bot/nlu/reading_cache.py): the same as reading afresh, the
caller's own dicts, and gone with the version they were read by."""
from __future__ import annotations

import gc
import weakref

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding, reading_cache
from tests.conftest import KNOWLEDGE

TEXTS = ["你好", "1", "登记", "好的", "不填了", "园区有什么优惠政策吗", "想租2000平厂房,电话13912345678", "  ", ""]
CONTEXTS = ["idle", "confirm", "resume", "prompt:tax", "list_shown"]


@pytest.fixture(scope="module")
def kbase():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="module")
def nlu(kbase):
    return Understanding(kbase)


@pytest.mark.parametrize("kind", ["text", "voice", "event"])
def test_a_kept_reading_is_the_reading_itself(nlu, kind):
    for text in TEXTS:
        for context in CONTEXTS:
            fresh = nlu.read(text, context, kind)
            assert reading_cache.read(nlu, text, context, kind) == fresh
            assert reading_cache.read(nlu, text, context, kind) == fresh  # and again, from the cache


def test_each_hit_has_dicts_of_its_own(nlu):
    first = reading_cache.read(nlu, "想租2000平厂房,电话13912345678", "idle", "text")
    first.entities["phone"] = "changed"
    first.scores.clear()
    first.extra["x"] = 1
    again = reading_cache.read(nlu, "想租2000平厂房,电话13912345678", "idle", "text")
    assert again.entities["phone"] == "13912345678" and again.scores == nlu.read(again.text, "idle").scores
    assert again.extra == {}


def test_the_readings_go_with_the_version_that_read_them(kbase):
    version = Understanding(kbase)
    reading_cache.read(version, "你好", "idle", "text")
    gone = weakref.ref(version)
    del version
    gc.collect()
    assert gone() is None  # the cache did not keep the replaced version (and its index) alive
