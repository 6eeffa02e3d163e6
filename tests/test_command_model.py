"""The command model: fitted reproducibly, loaded with the knowledge, refused when broken, and read in
the conversation's context together with intents.yaml's word lists."""
from __future__ import annotations

import shutil

import pytest

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.nlu import Understanding
from bot.nlu.commands import Commands
from bot.nlu.intent_model import NONE, IntentModel, fit_counts, grams
from tests.conftest import KNOWLEDGE, ROOT
from tests.support.memory_chat import kb, msg  # noqa: F401 (fixtures of the in-memory chat)


@pytest.fixture(scope="module")
def kbase():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="module")
def nlu(kbase):
    return Understanding(kbase)


@pytest.fixture
def kdir(tmp_path):
    path = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, path)
    return path


# wordings in none of intents.yaml's lists nor the labelled sets: the word lists alone miss them
NEW_WORDINGS = [("帮我把需求记一下", "idle", "lead"), ("让业务经理打给我", "idle", "handoff")]


def test_fitting_twice_gives_the_same_bytes_and_the_checked_in_file(kbase, tmp_path):
    from bot.nlu.fit_commands import MODEL_FILE, TRAINING_SETS, fit, write

    paths = [ROOT / p for p in TRAINING_SETS]
    first = write(tmp_path, fit(kbase, paths)).read_bytes()
    second = write(tmp_path, fit(kbase, paths)).read_bytes()
    assert first == second
    assert first == (KNOWLEDGE / MODEL_FILE).read_bytes(), "run: parkbot kb fit-commands"


def test_the_model_is_loaded_with_the_knowledge_and_reads_wordings_the_lists_do_not(kbase, nlu):
    assert kbase.command_model.counts and nlu.commands.model is not None
    lists_alone = Commands(kbase.intents, nlu.normalize)
    for text, context, want in NEW_WORDINGS:
        assert lists_alone.read(text, context)[0] is None, text
        assert nlu.read(text, context).intent == want, text


def test_without_the_model_file_commands_are_read_by_the_word_lists_and_kb_check_says_so(kdir):
    from bot.tools.kb_check import warnings

    (kdir / "command_model.yaml").unlink()
    kb = load_knowledge(kdir)
    nlu = Understanding(kb)
    assert nlu.commands.model is None
    assert nlu.read("确认", "confirm").intent == "confirm"
    assert nlu.read(*NEW_WORDINGS[0][:2]).intent is None
    [warning] = [w for w in warnings(kb) if "command_model.yaml" in str(w)]
    assert "fit-commands" in str(warning)


def test_a_model_fitted_on_other_wordings_is_reported(kdir):
    from bot.tools.kb_check import warnings

    assert not [w for w in warnings(load_knowledge(kdir)) if "command_model.yaml" in str(w)]
    intents = kdir / "intents.yaml"
    intents.write_text(intents.read_text(encoding="utf-8").replace("    exact: [确认, ", "    exact: [确认无疑, 确认, ", 1),
                       encoding="utf-8")
    [warning] = [w for w in warnings(load_knowledge(kdir)) if "command_model.yaml" in str(w)]
    assert "other wordings" in str(warning) and "fit-commands" in str(warning)


@pytest.mark.parametrize("content, says", [
    ("counts: lots\n", "command_model.yaml"),
    ("counts: {frobnicate: {a: 1}, none: {b: 2}}\n", "not an intent"),
    ("counts: {confirm: {a: -1}, none: {b: 2}}\n", "negative"),
    ("counts: {confirm: {a: 1}}\n", "two classes"),
    ("alpha: 0\ncounts: {confirm: {a: 1}, none: {b: 2}}\n", "alpha"),
    ("counts: {confirm: {a: 1}, none: [\n", "command_model.yaml"),
])
def test_a_broken_model_file_is_a_knowledge_error_naming_it(kdir, content, says):
    (kdir / "command_model.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kdir)
    assert "command_model.yaml" in str(caught.value) and says in str(caught.value)


def test_the_same_words_mean_what_the_context_makes_them_mean(nlu):
    # 「这套我们要了」 is interest after a listing, nothing at the confirmation step
    assert nlu.read("这套我们要了", "listing_details").intent == "interest"
    assert nlu.read("这套我们要了", "confirm").intent is None
    # read by the model alone: a request to register at idle, no such thing at the confirmation
    assert nlu.read("帮我把需求记一下", "idle").intent == "lead"
    assert nlu.read("帮我把需求记一下", "confirm").intent != "lead"
    # an assent submits at the confirmation, continues at the resume offer, is nothing at idle
    assert nlu.read("可以的呀", "confirm").intent in ("confirm", "affirm")
    assert nlu.read("可以的呀", "resume").intent == "affirm"
    assert nlu.read("可以的呀", "idle").intent is None


def test_at_a_form_question_an_answer_stays_an_answer(nlu):
    # 「孙工」 has 工 of 人工, 「不知道」 resembles 跳过 and 什么意思: at a prompt they are answers
    for text, context in [("孙工", "prompt:contact"), ("不知道", "prompt:tax"), ("不想给", "prompt:phone"),
                          ("人工智能", "prompt:industry")]:
        assert nlu.read(text, context).intent is None, text


def test_the_model_generalises_from_pieces_of_words():
    _, counts, _ = fit_counts([("取消登记", "cancel"), ("不登记了", "cancel"), ("转人工", "handoff"),
                               ("找客服", "handoff"), ("租金多少", NONE), ("有停车位吗", NONE)])
    model = IntentModel.from_counts(counts)
    probs = model.probs("登记取消掉", False)
    assert max(probs, key=probs.get) == "cancel" and abs(sum(probs.values()) - 1) < 1e-9
    probs = model.probs("人工客服在吗", True)
    assert max(probs, key=probs.get) == "handoff"
    assert model.probs("zzz", False) == {} or max(model.probs("zzz", False).values()) < 0.99  # unknown pieces say little


def test_a_number_is_a_number_whatever_its_digits():
    assert grams("13912345678", False)[0] == "0" and grams("18600001111", False) == grams("13912345678", False)
    assert "^停$" in grams("停", False) and "^停$" not in grams("停车", False)


def test_fit_commands_writes_a_file_the_knowledge_loads_and_refuses_bad_input(kdir, runner, tmp_path):
    from bot.cli import kb_fit_commands

    (kdir / "command_model.yaml").unlink()
    result = runner.invoke(kb_fit_commands, ["--data", str(ROOT / "tests" / "data" / "commands.yaml"), str(kdir)])
    assert result.exit_code == 0, result.output
    model = load_knowledge(kdir).command_model
    assert "lead" in model.counts and NONE in model.counts and model.trained_on["lead"] > 15

    result = runner.invoke(kb_fit_commands, ["--data", str(tmp_path / "nope.yaml"), str(kdir)])
    assert result.exit_code != 0 and "nope.yaml" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("commands:\n  - {state: idle, intent: lead}\n", encoding="utf-8")
    result = runner.invoke(kb_fit_commands, ["--data", str(bad), str(kdir)])
    assert result.exit_code == 1 and "does not read" in result.output
    (kdir / "faq.yaml").write_text("faqs: [", encoding="utf-8")
    result = runner.invoke(kb_fit_commands, [str(kdir)])
    assert result.exit_code == 1 and "faq.yaml" in result.output


def test_the_model_alone_deletes_no_data_on_a_resemblance_nor_answers_a_question_with_a_command(nlu):
    # read while a person holds the conversation: without a word for erasing it is no 删除我的信息
    assert not nlu.commands.is_("forget_me", "重复的消息")
    assert nlu.commands.is_("forget_me", "删除我的信息")
    assert nlu.read("取消订单怎么操作", "idle").intent is None


def test_commands_in_new_words_work_end_to_end(chat, openid, msg):
    # a call for a person in words no list has gets what 「人工」 gets, at idle and mid-form
    same_as = chat.say(f"{openid}-b", "人工")
    assert chat.say(openid, "让业务经理打给我") == same_as
    reply = chat.say(openid, "帮我把需求记一下")
    assert msg("form_start") in reply and chat.storage.load(openid).state == "form:asking"
    chat.say(openid, "租2000平厂房")
    assert chat.say(openid, "让业务经理打给我") == same_as
    assert chat.storage.load(openid).state == "form:asking"  # the form waits, nothing lost
    assert chat.storage.load(openid).form.slots["need"]
