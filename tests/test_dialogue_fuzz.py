"""Whatever a user types, in whatever state, the engine answers and its state stays valid."""
from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue.replies import Incoming
from bot.dialogue.states import State

# words that steer the conversation into every state, mixed with arbitrary text
STEERING = ["登记", "取消", "确认", "跳过", "修改手机号", "重新开始", "1", "2", "3", "更多", "想了解这个", "你好",
            "求租800平厂房", "13912345678", "三百万", "海智源科技有限公司", "王经理", "继续", "不用了", "人工",
            "]]><x/>", "５００平", "園區", "\u200b", "😀" * 10, "", " "]
MESSAGES = st.lists(st.one_of(st.sampled_from(STEERING), st.text(max_size=60)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=MESSAGES)
def test_any_sequence_of_messages_gets_answers_and_a_valid_state(memory_engine, messages):
    # engine logic, on storage in memory; that any state document survives Redis is test_storage_contract.py's
    engine = memory_engine
    storage = engine.services.storage
    openid = f"fuzz-{uuid.uuid4().hex[:12]}"
    for text in messages:
        reply = engine.handle(Incoming(openid, "text", text=text))
        assert reply.text or reply.article, f"no reply to {text!r}"
        assert len(reply.options) <= 9
        state = storage.load(openid)
        assert state.state in {s.value for s in State}, state
        if State(state.state).in_form:
            assert state.form is not None
    storage.erase(openid)


PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"))  # what a WeChat text message can hold


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=PRINTABLE, min_size=1, max_size=300))
def test_webhook_answers_any_text_with_well_formed_xml(wechat, text):
    from tests.support.wechat import text_xml

    openid = f"fuzz-{uuid.uuid4().hex[:12]}"
    body = text_xml(openid, text.replace("]]>", "]]]]><![CDATA[>"))  # as WeChat would escape it
    resp = wechat.post(body, encrypt=True)
    assert resp.status_code == 200, text
    reply = wechat.reply(resp, encrypted=True)
    assert reply["ToUserName"] == openid
    assert reply.get("Content") or reply.get("Articles")
    assert len((reply.get("Content") or "").encode("utf-8")) <= 2048
