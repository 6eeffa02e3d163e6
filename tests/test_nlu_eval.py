"""The labelled set (tests/data/nlu.yaml) against the real knowledge base: the product bar."""
import pytest

from bot.knowledge.loader import load_knowledge
from bot.nlu.eval import evaluate, format_report, load_data
from tests.conftest import KNOWLEDGE, ROOT


@pytest.fixture(scope="module")
def report():
    data = load_data(ROOT / "tests" / "data" / "nlu.yaml")
    assert len(data["faq"]) >= 200 and len(data["oos"]) >= 60, "the labelled set is smaller than agreed"
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    print(format_report(r))  # shown with -s, or on failure
    return r


def test_faq_top1(report):
    assert report.faq_accuracy >= 0.95, format_report(report)


def test_out_of_scope_not_answered(report):
    assert report.oos_recall >= 0.95, format_report(report)


def test_entity_slots(report):
    assert report.entity_accuracy >= 0.98, format_report(report)


HELD_OUT = {  # file: (FAQ top-1, out-of-scope) when each was written — floors, not goals
    "nlu_holdout.yaml": (0.82, 0.96),  # as measured with the cross-validated answer policy
    "nlu_holdout2.yaml": (0.88, 0.97),
    # never tuned on: 92.9 % / 92.4 % when written; the cross-validated policy answers more
    # cautiously (fewer wrong answers, 91.6 % answered right)
    # 94.2 % / 95.5 % with the seventh round's paraphrases and policy; 93.5 % / 97.0 % with the re-ranker,
    # which answers one question fewer right and two fewer wrong (right or first 96.1 → 97.4 %)
    "nlu_holdout3.yaml": (0.93, 0.95),
}


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_held_out_sets_do_not_regress(name):
    """Sets written without seeing nlu.yaml or the matcher: how the matcher generalises."""
    data = load_data(ROOT / "tests" / "data" / name)
    assert len(data["faq"]) >= 100 and len(data["oos"]) >= 40
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    faq_floor, oos_floor = HELD_OUT[name]
    assert r.faq_accuracy >= faq_floor and r.oos_recall >= oos_floor, format_report(r)


def test_third_held_out_set_commands_and_wrong_answers_do_not_regress():
    """nlu_holdout3.yaml is never tuned on; these are its figures when the reading was built."""
    data = load_data(ROOT / "tests" / "data" / "nlu_holdout3.yaml")
    assert len(data["faq"]) >= 150 and len(data["oos"]) >= 60 and len(data["commands"]) >= 150
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    assert r.commands_accuracy >= 0.97 and r.faq_wrong <= 0.02, format_report(r)  # 3.2 % wrong before the re-ranker


def _held_out(name: str, *, faq: int, oos: int, commands: int):
    """A held-out set's figures as plain numbers, with its quiet report: a failure must not print the
    items it missed. Checks first that the set still holds at least ``faq``/``oos``/``commands`` items."""
    data = load_data(ROOT / "tests" / "data" / name)
    assert len(data["faq"]) >= faq and len(data["oos"]) >= oos and len(data["commands"]) >= commands
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    return (format_report(r, quiet=True), r.faq_accuracy, r.faq_answered_or_first, r.faq_wrong, r.oos_recall,
            r.commands_accuracy)


def test_fourth_held_out_set_does_not_regress():
    """nlu_holdout4.yaml: everyday WeChat wordings never tuned on, measured with ``eval --quiet`` only.

    Floors just under the figures measured on it (87.5 % answered right, 93.5 % right or first,
    1.2 % answered wrong, 92.1 % off-topic not answered, 95.3 % commands in context; before the
    seventh round's paraphrases, policy and command wordings 85.1 % right, 1.8 % wrong and 93.6 %
    commands) — not the goals, most of which it misses. The FAQ re-ranker (knowledge/rerank.yaml) gives
    86.3 % right, 92.3 % right or first, 1.2 % wrong, 97.4 % off-topic: two questions it answered right
    are now a suggestion and a decline, where every other set gains (see docs/understanding.md).
    """
    figures, right, first, wrong, oos, commands = _held_out("nlu_holdout4.yaml", faq=160, oos=70, commands=160)
    assert right >= 0.86 and first >= 0.92 and wrong <= 0.013, figures
    assert oos >= 0.97, figures  # 0.92 before other subjects were held back
    assert commands >= 0.95, figures


def test_fifth_held_out_set_does_not_regress():
    """nlu_holdout5.yaml: written before the seventh round's changes were measured on it, by a hand that
    saw none of them, read with ``eval --quiet`` only and never tuned on. On the code before that round
    88.1 % answered right, 91.9 % right or first, 6.7 % wrong, 98.0 % off-topic not answered, 94.8 %
    commands; after it 90.4 %, 92.6 %, 5.2 %, 98.0 %, 93.8 %; with the FAQ re-ranker 94.1 %, 95.6 %,
    2.2 %, 98.0 %. Floors just under the latest."""
    figures, right, first, wrong, oos, commands = _held_out("nlu_holdout5.yaml", faq=130, oos=45, commands=90)
    assert right >= 0.94 and first >= 0.95 and wrong <= 0.023, figures
    assert oos >= 0.98 and commands >= 0.93, figures


def test_sixth_held_out_set_does_not_regress():
    """nlu_holdout6.yaml: written before this round's changes by a hand that saw none of them (179
    questions, 62 off-topic, 140 commands in context), read with ``eval --quiet`` only, never tuned on and
    not used to choose between variants. Before the round 89.4 % answered right, 94.4 % right or first,
    1.7 % wrong, 96.8 % off-topic not answered, 91.4 % commands; after it 90.5 %, 95.0 %, 0.0 %, 98.4 %,
    92.1 %. Floors just under the latter (one wrong answer allowed)."""
    figures, right, first, wrong, oos, commands = _held_out("nlu_holdout6.yaml", faq=170, oos=60, commands=130)
    assert right >= 0.90 and first >= 0.945 and wrong <= 0.006, figures
    assert oos >= 0.98 and commands >= 0.92, figures


def test_new_wordings_tuning_set_does_not_regress():
    """nlu_tuning2.yaml: everyday wordings and hard negatives the answer policy is fitted on."""
    data = load_data(ROOT / "tests" / "data" / "nlu_tuning2.yaml")
    assert len(data["faq"]) >= 40 and len(data["oos"]) >= 40
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    assert r.faq_accuracy >= 0.82 and r.oos_recall >= 0.95 and r.faq_wrong <= 0.022, format_report(r)


def test_commands_in_context_on_the_tuning_set():
    r = evaluate(load_knowledge(KNOWLEDGE), load_data(ROOT / "tests" / "data" / "commands.yaml"))
    assert r.commands_total >= 90 and r.commands_accuracy >= 0.95, format_report(r)


def test_tuning_set_answers_few_wrong():
    r = evaluate(load_knowledge(KNOWLEDGE), load_data(ROOT / "tests" / "data" / "nlu.yaml"))
    assert r.faq_wrong <= 0.02 and r.faq_answered_or_first >= 0.95, format_report(r)


def test_quiet_report_shows_figures_and_no_item():
    """``parkbot eval --quiet``: a held-out set's figures without any of its items."""
    data = load_data(ROOT / "tests" / "data" / "nlu_holdout3.yaml")
    r = evaluate(load_knowledge(KNOWLEDGE), data)
    assert r.confusions or r.oos_answered or r.command_errors, "the set has no miss to hide"
    quiet, full = format_report(r, quiet=True), format_report(r)
    texts = [str(c["text"]) for c in data["faq"] + data["commands"]] + [str(t) for t in data["oos"]]
    assert "FAQ top-1" in quiet and "Commands in context" in quiet and "Out of scope" in quiet
    assert not [t for t in texts if t in quiet]
    assert [t for t in texts if t in full]


def test_fifth_round_of_new_wordings_does_not_regress():
    """nlu_dev5.yaml (tuned on) and nlu_unseen5.yaml (written with it, never tuned on, read only as
    figures). Floors just under the figures when the ranking took the character TF-IDF evidence
    (dev5 80.6 % answered right, 3.5 % wrong, 95.0 % off-topic not answered; unseen5 86.5 %,
    95.8 % right or first, 1.0 % wrong, 95.0 %); before it: dev5 75.7 % / 4.2 % / 96.7 %,
    unseen5 82.3 % / 91.7 % / 1.0 % / 92.5 %. With the seventh round's paraphrases and policy: dev5
    86.8 % right, 2.1 % wrong; unseen5 87.5 %, 95.8 %, 0.0 % wrong, 95.0 %. Words of other subjects
    (synonyms.yaml other_topics) hold back one unseen5 question that was answered right: it is now its
    first suggestion (right or first unchanged) while 39 of 40 off-topic messages are declined, not 38
    — the floor of answered right goes back to 0.86 and that of off-topic declined up to 0.975. With the
    FAQ re-ranker dev5 answers none wrong (2.1 % before) and unseen5 is 86.5 % right, 94.8 % right or first
    (one first suggestion fewer), 0.0 % wrong."""
    kb = load_knowledge(KNOWLEDGE)
    dev = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_dev5.yaml"))
    assert dev.faq_total >= 140 and dev.oos_total >= 60
    assert dev.faq_accuracy >= 0.86 and dev.faq_wrong <= 0.011 and dev.oos_recall >= 0.95, format_report(dev)
    unseen = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_unseen5.yaml"))
    figures = format_report(unseen, quiet=True)
    right, first, wrong, oos = unseen.faq_accuracy, unseen.faq_answered_or_first, unseen.faq_wrong, unseen.oos_recall
    del unseen
    assert right >= 0.86 and first >= 0.94 and wrong <= 0.011 and oos >= 0.975, figures


def test_sixth_round_of_new_wordings_does_not_regress():
    """nlu_dev6.yaml (may be tuned on) and nlu_unseen6.yaml (written with it, never tuned on, read only as
    figures). Floors just under the figures when they were written (dev6 79.2 % answered right, 87.5 %
    right or first, 3.1 % wrong, 95.2 % off-topic not answered; unseen6 79.4 %, 87.3 %, 9.5 % wrong,
    93.9 %): new wordings are still answered with the wrong entry far too often. With the seventh round's
    paraphrases and policy dev6 is 88.5 % right, 92.7 % right or first; unseen6 unchanged. With the FAQ
    re-ranker dev6 91.7 / 96.9 / 0.0 %, unseen6 88.9 / 95.2 / 1.6 % (wrong answers 9.5 → 1.6 %)."""
    kb = load_knowledge(KNOWLEDGE)
    dev = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_dev6.yaml"))
    assert dev.faq_total >= 90 and dev.oos_total >= 40
    assert dev.faq_accuracy >= 0.91 and dev.faq_answered_or_first >= 0.96 and dev.faq_wrong <= 0.011, format_report(dev)
    assert dev.oos_recall >= 0.95, format_report(dev)
    unseen = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_unseen6.yaml"))
    figures = format_report(unseen, quiet=True)
    right, first, wrong, oos = unseen.faq_accuracy, unseen.faq_answered_or_first, unseen.faq_wrong, unseen.oos_recall
    del unseen
    assert right >= 0.88 and first >= 0.95 and wrong <= 0.017 and oos >= 0.96, figures


def test_seventh_round_of_new_wordings_does_not_regress():
    """nlu_dev7.yaml (may be tuned on; in the answer policy's data) and nlu_unseen7.yaml (written with it,
    never tuned on, read only as figures): short unpunctuated WeChat wordings, homophone typos and hard
    negatives. When written: dev7 90.0 % answered right, 98.0 % right or first, 1.0 % wrong, 94.6 %
    off-topic not answered; unseen7 87.1 %, 91.9 %, 3.2 %, 100 %. Floors just under the figures with the
    paraphrases and policy fitted with them (dev7 94.0 / 98.0 / 1.0 / 94.6; unseen7 90.3 / 93.5 / 3.2 / 100);
    with the FAQ re-ranker dev7 96.0 / 98.0 / 0.0 / 97.3, unseen7 93.5 / 95.2 / 0.0 / 100."""
    kb = load_knowledge(KNOWLEDGE)
    dev = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_dev7.yaml"))
    assert dev.faq_total >= 80 and dev.oos_total >= 35
    assert dev.faq_accuracy >= 0.95 and dev.faq_answered_or_first >= 0.97 and dev.faq_wrong <= 0.011, format_report(dev)
    assert dev.oos_recall >= 0.94, format_report(dev)
    unseen = evaluate(kb, load_data(ROOT / "tests" / "data" / "nlu_unseen7.yaml"))
    figures = format_report(unseen, quiet=True)
    total, oos_total = unseen.faq_total, unseen.oos_total
    right, first, wrong, oos = unseen.faq_accuracy, unseen.faq_answered_or_first, unseen.faq_wrong, unseen.oos_recall
    del unseen
    assert total >= 60 and oos_total >= 25, figures
    assert right >= 0.93 and first >= 0.95 and wrong <= 0.011 and oos >= 0.99, figures
