"""The engine on storage kept in memory: what ``kb test`` and engine-logic tests run on, without Redis or Flask.

The storage contract both implementations keep is test_storage_contract.py; the Redis store keeps its
own tests against real Redis besides (test_store_session.py and the rest).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.store.memory import MemoryLeads, MemoryStateStorage
from tests.conftest import KNOWLEDGE, ROOT

_CONVERSATION = """
import json, sys
from bot.dialogue.replies import Incoming
from bot.tools.kb_test import in_memory_engine
engine = in_memory_engine(sys.argv[1])
said = [engine.handle(Incoming("u1", "text", text=text, channel="cli")).text for text in json.loads(sys.argv[2])]
state = engine.services.storage.load("u1")
print(json.dumps({"said": said, "state": state.state, "leads": engine.services.leads.leads,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("redis", "flask", "wechatpy"))},
                 ensure_ascii=False))
"""


def _talk(*texts: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CONVERSATION, str(KNOWLEDGE), json.dumps(texts)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_conversation_runs_through_the_engine_without_redis_or_flask():
    out = _talk("你好", "我想登记")
    assert out["loaded"] == []
    assert "请回复数字选择" in out["said"][0]
    assert out["state"].startswith("form")  # the form asks its first field, and the state says so
    assert out["said"][1] and out["said"][1] != out["said"][0]


def test_a_claim_is_refused_rather_than_silently_ignored():
    with pytest.raises(ValueError):
        with MemoryStateStorage().turn("u", claim=object()):
            pass


def test_a_form_submitted_twice_keeps_one_lead_number():
    leads = MemoryLeads(now=lambda: 1_700_000_000.0)
    first = leads.submit(form_id="f1", openid="u", fields={"company": "甲公司"}, listings=[], transcript=[],
                         source="wechat")
    again = leads.submit(form_id="f1", openid="u", fields={"company": "甲公司"}, listings=[], transcript=[],
                         source="wechat")
    other = leads.submit(form_id="f2", openid="u", fields={}, listings=[], transcript=[], source="wechat")
    assert first == again == "L20231115-0001" and other == "L20231115-0002"  # as the Redis store numbers them
    with pytest.raises(ValueError):
        leads.submit(form_id=" ", openid="u", fields={}, listings=[], transcript=[], source="wechat")
    assert leads.erase_personal("u") == 2 and leads.leads[0]["fields"] == {}
