"""Follow-up questions that leave out their subject, measured on tests/data/followups.yaml through the
engine (``parkbot eval --follow-ups``). Floors are the figures when the reading with the subject
landed (dev 53.3 → 96.7 % right; unseen, never tuned on, 60.0 → 86.7 % right with 3 of 30 answered
wrong): floors, not goals."""
from __future__ import annotations

import pytest

from bot.tools.followup_eval import answered_entry, evaluate, load
from bot.tools.kb_test import in_memory_engine
from tests.conftest import KNOWLEDGE, ROOT

DATA = ROOT / "tests" / "data" / "followups.yaml"


@pytest.fixture(scope="module")
def engine():
    return in_memory_engine(KNOWLEDGE)


def test_the_set_is_as_agreed():
    parts = load(DATA)
    assert set(parts) == {"dev", "unseen"} and all(len(cases) >= 30 for cases in parts.values())


@pytest.mark.parametrize("part, right, wrong", [("dev", 0.96, 0), ("unseen", 0.86, 3)])
def test_follow_ups_are_answered_with_their_subject(engine, part, right, wrong):
    r = evaluate(engine, load(DATA)[part])
    assert r.accuracy >= right and r.wrong <= wrong, (r.right, r.total, r.wrong)


def test_a_reply_is_matched_to_the_entry_it_begins_with():
    answers = {"a": "国际客厅在中科研发城,总面积15000平方米。", "b": "工研院在高新区。"}
    assert answered_entry("工研院在高新区。\n相关：1. …", answers) == "b"
    assert answered_entry("这个问题我还不太确定", answers) is None


@pytest.mark.parametrize("content, message", [
    ("- [a, b, c]", "expected parts"), ("dev: [[a, b]]", "must be a list of"), ("dev: nope", "must be a list of"),
])
def test_a_malformed_set_is_refused_with_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "f.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load(path)


def test_the_command_reports_figures_and_refuses_a_missing_set(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["eval", "--follow-ups", "--quiet", "--data", str(DATA), str(KNOWLEDGE)])
    assert result.exit_code == 0 and "dev: follow-ups answered right" in result.output and "→" not in result.output
    missing = runner.invoke(cli, ["eval", "--follow-ups", "--data", str(tmp_path / "none.yaml"), str(KNOWLEDGE)])
    assert missing.exit_code != 0
