"""The knowledge base as an admin meets it: kb check with file:line, reload, kb test."""
from __future__ import annotations

import shutil

import pytest

from bot.tools.kb_check import check
from bot.knowledge.loader import load_knowledge
from tests.conftest import KNOWLEDGE


@pytest.fixture
def kdir(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return text.replace(old, new, count)


def line_of(text, needle, start=0):
    return text[: text.index(needle, start)].count("\n") + 1


def problems_in(kdir):
    return [str(p) for p in check(kdir)]


def test_shipped_knowledge_passes_the_check():
    assert check(KNOWLEDGE) == []


def test_yaml_syntax_error_has_its_line(kdir):
    text = edit(kdir / "faq.yaml", "faqs:\n", "faqs:\n  - id: [broken\n")
    found = problems_in(kdir)
    assert len(found) == 1 and found[0].startswith(f"faq.yaml:{line_of(text, '[broken')}:"), found


def test_schema_error_points_at_the_key(kdir):
    path = kdir / "listings.yaml"
    original = path.read_text(encoding="utf-8")
    first_type = original.index("type: ", original.index("listings:"))
    value = original[first_type:].split("\n", 1)[0]
    text = edit(path, value, "type: castle")
    found = problems_in(kdir)
    assert any(p.startswith(f"listings.yaml:{line_of(text, 'type: castle')}:") and "type" in p for p in found), found


def test_unknown_key_is_reported(kdir):
    text = edit(kdir / "park.yaml", "industries:", "industrys_typo: 1\nindustries:")
    found = problems_in(kdir)
    assert any(p.startswith(f"park.yaml:{line_of(text, 'industrys_typo')}:") for p in found), found


def test_duplicate_faq_id(kdir):
    kb = load_knowledge(KNOWLEDGE)
    first, second = kb.faqs[0].id, kb.faqs[1].id
    text = edit(kdir / "faq.yaml", f"id: {second}\n", f"id: {first}\n")
    found = problems_in(kdir)
    expected_line = line_of(text, f"id: {first}\n", text.index(f"id: {first}\n") + 1)
    assert f"faq.yaml:{expected_line}: duplicate faq id {first!r}" in found, found


def test_listing_pointing_to_an_unknown_park(kdir):
    kb = load_knowledge(KNOWLEDGE)
    park = kb.listings[0].park
    text = edit(kdir / "listings.yaml", f"park: {park}", "park: 不存在的园区")
    found = problems_in(kdir)
    assert any(p.startswith(f"listings.yaml:{line_of(text, 'park: 不存在的园区')}:") and "unknown park" in p
               for p in found), found


def test_faq_questions_that_steal_each_others(kdir):
    kb = load_knowledge(KNOWLEDGE)
    victim, thief = kb.faqs[0], kb.faqs[5]
    stolen = victim.questions[0]
    text = edit(kdir / "faq.yaml", f"id: {thief.id}\n    questions:\n",
                f"id: {thief.id}\n    questions:\n      - {stolen}\n")
    found = problems_in(kdir)
    inserted = line_of(text, f"      - {stolen}\n", text.index(f"id: {thief.id}\n"))
    assert any(p.startswith(f"faq.yaml:{inserted}:") and victim.id in p and thief.id in p for p in found), found


def test_unknown_menu_key(kdir):
    text = edit(kdir / "menu.yaml", "key: MENU_SEARCH\n", "key: MENU_SEARCH\n", 1)
    text = edit(kdir / "menu.yaml", "wechat_menu:", "wechat_menu:\n  - name: 坏按钮\n    key: NO_SUCH_KEY")
    found = problems_in(kdir)
    assert any(p.startswith(f"menu.yaml:{line_of(text, 'key: NO_SUCH_KEY')}:") and "NO_SUCH_KEY" in p
               for p in found), found


def test_missing_message_key(kdir):
    path = kdir / "messages.yaml"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("ask_phone:")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = problems_in(kdir)
    assert any(p.startswith("messages.yaml:") and "'ask_phone'" in p for p in found), found


def test_duplicate_yaml_key(kdir):
    text = edit(kdir / "messages.yaml", "ask_tax:", "ask_tax: 重复\nask_tax:")
    found = problems_in(kdir)
    assert any(p == f"messages.yaml:{line_of(text, 'ask_tax:', text.index('ask_tax:') + 1)}: duplicate key 'ask_tax'"
               for p in found), found


def test_not_utf8(kdir):
    (kdir / "parks.yaml").write_bytes("parks: []\n# 注释".encode("gb18030"))
    assert any(p.startswith("parks.yaml:1:") and "UTF-8" in p for p in problems_in(kdir))


def test_cli_kb_check_exit_status(kdir, runner):
    result = runner.invoke(args=["kb", "check", str(KNOWLEDGE)])
    assert result.exit_code == 0, result.output
    edit(kdir / "listings.yaml", "deal: rent", "deal: lease")
    result = runner.invoke(args=["kb", "check", str(kdir)])
    assert result.exit_code == 1 and "listings.yaml:" in result.output


def test_running_app_reloads_an_edit_and_refuses_a_broken_one(kdir, app_config, redis_client):
    from bot import create_app

    app = create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "KNOWLEDGE_CHECK_INTERVAL": 0})
    holder = app.extensions["parkbot.knowledge"]
    old = holder.current()
    edit(kdir / "messages.yaml", "nothing_to_cancel:", "nothing_to_cancel: 改过的句子\nold_nothing_to_cancel:")
    assert holder.current().messages.render("nothing_to_cancel") == "改过的句子"
    good = holder.current().version
    assert good != old.version
    edit(kdir / "faq.yaml", "faqs:\n", "faqs:\n  - id: BAD ID\n")
    assert holder.current().version == good
    assert "faq.yaml" in holder.last_error
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "degraded" and "faq.yaml" in health["knowledge"]["error"]


def test_worker_started_while_files_are_broken_serves_the_last_good_copy(kdir, app_config, redis_client, tmp_path):
    from bot import create_app

    config = {**app_config, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "var")}
    first = create_app(config)
    good = first.extensions["parkbot.knowledge"].current().version
    edit(kdir / "faq.yaml", "faqs:\n", "faqs:\n  - id: BAD ID\n")
    restarted = create_app(config)  # e.g. gunicorn replacing a worker after an edit went wrong
    holder = restarted.extensions["parkbot.knowledge"]
    assert holder.current().version == good
    assert "faq.yaml" in holder.last_error
    assert restarted.test_client().get("/healthz").get_json()["status"] == "degraded"


def test_start_up_with_broken_files_and_no_copy_fails(kdir, app_config, redis_client, tmp_path):
    from bot import create_app
    from bot.knowledge.loader import KnowledgeError

    edit(kdir / "faq.yaml", "faqs:\n", "faqs:\n  - id: BAD ID\n")
    with pytest.raises(KnowledgeError):
        create_app({**app_config, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "fresh")})


def test_menu_digits_must_run_from_one_without_gaps(kdir):
    text = edit(kdir / "menu.yaml", "digit: 4", "digit: 7")
    found = problems_in(kdir)
    assert any(p.startswith(f"menu.yaml:{line_of(text, 'digit: 7')}:") and "without gaps" in p for p in found), found


def test_worker_that_missed_a_good_edit_serves_it_when_the_next_edit_is_broken(kdir, app_config, redis_client,
                                                                                tmp_path):
    from bot import create_app

    config = {**app_config, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "var"),
              "KNOWLEDGE_CHECK_INTERVAL": 0}
    busy, idle = create_app(config), create_app(config)  # two workers of one deployment
    edit(kdir / "messages.yaml", "nothing_to_cancel:", "nothing_to_cancel: 新句子\nold_nothing_to_cancel:")
    good = busy.extensions["parkbot.knowledge"].current()  # only this worker sees the good edit
    edit(kdir / "faq.yaml", "faqs:\n", "faqs:\n  - id: BAD ID\n")
    served = idle.extensions["parkbot.knowledge"].current()
    assert served.version == good.version
    assert served.messages.render("nothing_to_cancel") == "新句子"


def test_kb_check_in_a_fresh_process_knows_the_admin_pages_sentences(kdir):
    # a new process has imported nothing: the checker must load every module that needs a sentence
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = kdir / "messages.yaml"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("admin_title:")]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot", "kb", "check", str(kdir)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "'admin_title'" in proc.stderr, proc.stderr


@pytest.mark.parametrize("key", ["admin_title", "webchat_title", "desk_unknown_user"])
def test_kb_test_in_a_fresh_process_checks_every_parts_sentences(kdir, key):
    # kb test runs the conversations in memory, yet refuses knowledge any part of the bot could not say,
    # as kb check and a running bot's reload do: here a sentence only the admin page,
    # the web chat or the staff desk needs
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = kdir / "messages.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(f"{key}:")]
    assert len(kept) == len(lines) - 1
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot", "kb", "test", str(kdir)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1 and f"'{key}'" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "does not load" in proc.stdout


def test_a_loaded_version_names_the_lines_of_the_files_it_was_read_from(kdir):
    """The line maps are made again from the text as it was loaded, not from the file as it is now."""
    from bot.knowledge.yamlfile import load_with_lines

    kb = load_knowledge(kdir)
    faq = (kdir / "faq.yaml").read_text(encoding="utf-8")
    second = faq.splitlines()[kb.line("faq.yaml", "faqs", 1, "id") - 1]
    assert second.strip().startswith("- id:") and kb.faqs[1].id in second
    assert kb.lines["faq.yaml"] == load_with_lines(kdir / "faq.yaml")[1]
    (kdir / "faq.yaml").write_text("# an admin's edit, not loaded yet\n\n" + faq, encoding="utf-8")
    kb.lines.forget()  # made again from the text kept, not from the edited file
    assert faq.splitlines()[kb.line("faq.yaml", "faqs", 1, "id") - 1] == second
    assert kb.line("no-such-file.yaml", "faqs", 1) == 1
