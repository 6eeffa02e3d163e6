"""One reading per message: commands read in the conversation's context, end to end and as units."""
from __future__ import annotations

import shutil

import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu import Understanding
from bot.nlu.eval import command_hit
from tests.conftest import KNOWLEDGE
from tests.support.wechat import Platform
from tests.support.memory_chat import MemoryChat, kb, msg  # noqa: F401 (kb, msg: fixtures on the in-memory chat)

FULL = "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678"


@pytest.fixture(scope="module")
def nlu():
    return Understanding(load_knowledge(KNOWLEDGE))


# --- the same words mean what the context makes them mean ------------------------------------
@pytest.mark.parametrize("text, context, want", [
    ("好的", "confirm", "confirm"),
    ("好的", "resume", "affirm"),
    ("好的", "idle", "thanks"),  # an acknowledgement gets a courtesy, never a submission
    ("不填了", "prompt:tax", "skip"),
    ("不填了", "resume", "deny"),
    ("就它", "listing_details", "interest"),
    ("什么意思?", "prompt:industry", "explain"),
    ("什么意思?", "idle", "none"),
    ("还有吗", "list_shown", "more"),
    ("没问题,提交吧", "confirm", "confirm"),
    ("算了不提交了", "confirm", "cancel"),  # a negated 提交 is not a confirmation
    ("手机号写错了", "confirm", "modify:phone"),
    ("公司名称更正一下", "prompt:phone", "modify:company"),
    ("工研院是干嘛的", "idle", "none"),
    ("取消订单怎么操作", "idle", "none"),
    ("13912345678", "prompt:phone", "none"),
    # 「人来」 asks for a person, but not inside 「个人来投资」 (an answer at the company prompt)
    ("暂无公司 个人来投资", "prompt:company", "none"),
    ("叫个人来回复我", "prompt:company", "handoff"),
])
def test_intent_in_context(nlu, text, context, want):
    r = nlu.read(text, context)
    assert command_hit(context, (r.intent, r.field), want), (r.intent, r.field, r.scores)


def test_an_intent_left_out_of_a_context_is_never_read_there(nlu):
    # 修改 is not plausible outside the form: the word stays part of a question
    r = nlu.read("修改公司章程需要什么流程", "idle")
    assert r.intent is None and "modify" not in r.scores


def test_a_new_value_after_the_field_word_is_kept(nlu):
    assert nlu.commands.after_field("手机号错了,是13912345678") == "13912345678"
    assert nlu.commands.after_field("公司改成蓝海科技") == "蓝海科技"


def test_one_reading_carries_everything(nlu):
    r = nlu.read("城阳区有写字楼吗", "idle")
    assert r.asks and r.entities.get("type") == "office" and r.digit is None
    assert r.match.status in ("answer", "suggest", "none")
    assert nlu.read("2", "list_shown").digit == 2
    silent = nlu.read("", "idle", kind="event")
    assert silent.intent is None and silent.entities == {} and silent.match.status == "none"


def test_every_intent_has_fifteen_paraphrases():
    kb = load_knowledge(KNOWLEDGE)
    short = {name: len(p.examples) for name, p in kb.intents.intents.items() if len(p.examples) < 15}
    assert not short, short


def test_colliding_wordings_are_reported(tmp_path):
    from bot.tools.kb_check import check

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "intents.yaml"
    text = path.read_text(encoding="utf-8")
    # 「就这样」 as a confirmation and as a goodbye: both plausible nowhere together, so no report ...
    path.write_text(text.replace("examples: [没错提交吧,", "examples: [就这样吧再见, 没错提交吧,"), encoding="utf-8")
    assert not [p for p in check(kdir) if "intents.yaml" in str(p)]
    # ... but 取消 as a skip collides with 取消 as a cancel at a form prompt, and an FAQ question as a command
    path.write_text(text.replace("examples: [这个跳过,", "examples: [取消, 高新区在哪, 这个跳过,"), encoding="utf-8")
    problems = [str(p) for p in check(kdir)]
    assert any("says '取消'" in p and "'cancel'" in p and "'skip'" in p for p in problems), problems
    assert any("'skip' says '高新区在哪'" in p and "zone-location" in p for p in problems), problems


# --- end to end: the table acts on the reading -------------------------------------------------
# the conversation's logic, on the engine with storage in memory (the webhook's own tests run on Redis)
def _to_confirmation(chat: MemoryChat, openid: str) -> str:
    chat.say(openid, "登记")
    return chat.say(openid, FULL)


def test_affirmation_at_the_confirmation_submits(chat, openid, msg):
    assert msg("confirm_footer") in _to_confirmation(chat, openid)
    reply = chat.say(openid, "对的,提交")
    assert "L20" in reply and msg("confirm_hint") not in reply


def test_what_it_means_at_a_prompt_explains_the_field(chat, openid, msg):
    chat.say(openid, "登记")
    chat.say(openid, "租2000平厂房")
    reply = chat.say(openid, "什么意思?")
    assert msg("explain_industry") in reply and msg("ask_industry") in reply


def test_not_filling_a_field_skips_it(chat, openid, msg):
    chat.say(openid, "登记")
    chat.say(openid, "租2000平厂房")
    assert msg("ask_tax") in chat.say(openid, "这个不填了")


def test_which_factories_lists_factories(chat, openid, msg, kb):
    reply = chat.say(openid, "有哪些厂房")
    factories = [x for x in kb.listings if x.type == "factory" and x.available]
    assert factories and factories[0].title in reply or any(f.title in reply for f in factories)
    assert msg("listing_footer") in reply or msg("listing_more_footer") in reply


def test_a_listing_question_without_a_type_lists_across_types(chat, openid, msg, kb):
    reply = chat.say(openid, "现在有空置的房子吗")
    assert msg("search_all_types") in reply
    shown = {x.type for x in kb.listings if x.title in reply}
    assert len(shown) >= 2, reply


def test_anything_more_after_a_list_pages_it(chat, openid, kb):
    first = chat.say(openid, "现在有空置的房子吗")
    second = chat.say(openid, "还有吗")
    titles = lambda text: {x.title for x in kb.listings if x.title in text}  # noqa: E731
    assert titles(second) and not titles(first) & titles(second)


def test_interest_after_a_listings_details_starts_the_form_with_it(chat, openid, msg, kb):
    chat.say(openid, "有哪些厂房")
    chat.say(openid, "1")
    reply = chat.say(openid, "就它了")
    assert msg("form_start") in reply


# --- the answer model's file ------------------------------------------------------------------
def test_the_policy_file_is_reproducible_and_up_to_date(tmp_path):
    """Same data and knowledge -> the same bytes; the checked-in file is what the command writes."""
    from bot.nlu.fit import POLICY_FILE, TUNING_SETS, fit, write
    from tests.conftest import ROOT

    kb = load_knowledge(KNOWLEDGE)
    paths = [ROOT / p for p in TUNING_SETS]
    first = write(tmp_path, fit(kb, paths)).read_bytes()
    second = write(tmp_path, fit(kb, paths)).read_bytes()
    assert first == second
    assert first == (KNOWLEDGE / POLICY_FILE).read_bytes(), "run: parkbot kb fit-policy"


def test_fit_policy_command_writes_a_file_the_knowledge_loads(tmp_path, runner):
    from bot.cli import kb_fit_policy
    from tests.conftest import ROOT

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    (kdir / "answer_policy.yaml").unlink()
    result = runner.invoke(kb_fit_policy, ["--data", str(ROOT / "tests" / "data" / "nlu.yaml"), str(kdir)])
    assert result.exit_code == 0, result.output
    loaded = load_knowledge(kdir).answer_policy
    assert len(loaded.weights) == len(loaded.features) == len(loaded.mean) and 0 < loaded.answer_at < 1


def test_fit_policy_refuses_a_missing_set_and_broken_knowledge(tmp_path, runner):
    from bot.cli import kb_fit_policy

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    result = runner.invoke(kb_fit_policy, ["--data", str(tmp_path / "nope.yaml"), str(kdir)])
    assert result.exit_code != 0 and "nope.yaml" in result.output
    (kdir / "faq.yaml").write_text("faqs: [", encoding="utf-8")
    result = runner.invoke(kb_fit_policy, [str(kdir)])
    assert result.exit_code == 1 and "faq.yaml" in result.output


def test_a_policy_file_of_the_wrong_shape_is_a_knowledge_error(tmp_path):
    from bot.knowledge.loader import KnowledgeError

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    (kdir / "answer_policy.yaml").write_text("weights: lots\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="answer_policy.yaml"):
        load_knowledge(kdir)


def test_without_a_policy_file_the_matcher_decides_by_its_own_rule(tmp_path):
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    (kdir / "answer_policy.yaml").unlink()
    m = Understanding(load_knowledge(kdir)).match("工研院是干嘛的")
    assert m.status == "answer" and m.best.id == "iti-intro" and m.confidence is None


# --- unanswered questions close the loop ------------------------------------------------------
def test_a_logged_question_is_covered_once_a_reload_answers_it(tmp_path, app_config, redis_client):
    from bot import create_app

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "KNOWLEDGE_CHECK_INTERVAL": 0,
                      "ADMIN_TOKEN": "admin-secret"})
    wechat = Platform(app.test_client(), app.config["WECHAT_TOKEN"])
    wechat.say("u-canteen", "园区食堂的饭菜好吃吗")
    log = app.extensions["parkbot.unanswered"]
    [item] = log.top()
    assert item["state"] == "open" and item["count"] == 1

    faq = kdir / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("faqs:\n", (
        "faqs:\n  - id: canteen\n    questions: [园区食堂的饭菜怎么样, 食堂好吃吗, 园区有食堂吗]\n"
        "    keywords: [食堂, 饭菜]\n    answer: 园区食堂的情况请致电招商热线了解。\n"), 1), encoding="utf-8")
    app.extensions["parkbot.knowledge"].current()  # the next message would do the same
    [item] = log.top()
    assert item["state"] == "covered" and item["answered_by"] == "canteen"
    api = app.test_client().get("/admin/api/unanswered",
                                headers={"Authorization": "Bearer admin-secret"})
    assert api.get_json()["items"][0]["state"] == "covered"

    faq.write_text(faq.read_text(encoding="utf-8").replace("  - id: canteen\n", "  - id: canteen-gone\n")
                   .replace("[园区食堂的饭菜怎么样, 食堂好吃吗, 园区有食堂吗]", "[停车场收费吗]")
                   .replace("[食堂, 饭菜]", "[停车场]"), encoding="utf-8")
    app.extensions["parkbot.knowledge"].current()
    assert log.top()[0]["state"] == "open"  # the answer went away: open again


def test_an_edit_in_other_words_at_the_confirmation_takes_the_new_value(chat, openid, msg):
    _to_confirmation(chat, openid)
    reply = chat.say(openid, "手机号错了,是13800001111")
    assert msg("confirm_footer") in reply and "13800001111" in reply
    reply = chat.say(openid, "公司名称更正为蓝海科技")
    assert "蓝海科技" in reply
    slots = chat.storage.load(openid).form.slots
    assert slots["phone"] == "13800001111" and slots["company"] == "蓝海科技"


def test_a_stale_policy_file_is_reported_and_not_used(tmp_path):
    from bot.tools.kb_check import check

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "answer_policy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("features: [score, ", "features: [old_score, "),
                    encoding="utf-8")
    assert any("answer_policy.yaml" in str(p) and "fit-policy" in str(p) for p in check(kdir))
    assert Understanding(load_knowledge(kdir)).match("工研院是干嘛的").confidence is None


def test_contexts_naming_an_unknown_intent_or_context_are_refused(tmp_path):
    from bot.knowledge.loader import KnowledgeError

    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    path = kdir / "intents.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  confirm: {greeting: 1,", "  confirm: {greetings: 1,"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="intents.yaml"):
        load_knowledge(kdir)
    path.write_text(text.replace("  resume: {", "  paused: {"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="intents.yaml"):
        load_knowledge(kdir)
