"""The sentences each part of the bot says are checked the same way at start-up, at a reload and by kb check."""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import KNOWLEDGE, ROOT

_START = """
import json, sys
from bot.app import create_app
from bot.knowledge.loader import KnowledgeError
from bot.store import embedded
config = json.loads(sys.argv[1])
try:
    create_app(config)
    print("started")
except KnowledgeError as exc:
    print("refused: " + str(exc))
finally:
    if not config["REDIS_URL"]:
        embedded.stop(config["BOT_DATA_DIR"])
"""


def _without(kdir, key):
    path = kdir / "messages.yaml"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(f"{key}:")]
    assert len(kept) < len(path.read_text(encoding="utf-8").splitlines())
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def test_a_fresh_process_refuses_to_start_without_a_sentence_only_the_admin_page_says(tmp_path, redis_url, prefix,
                                                                                         redis_client):
    # redis_client: the fixture that removes the prefix's keys after the test (the knowledge check's verdict)
    # before, the admin page's module declared its keys only when imported, after the knowledge had loaded:
    # a deleted key passed at start-up and was refused at the next reload
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    _without(kdir, "admin_title")
    config = {"DEV": True, "KNOWLEDGE_DIR": str(kdir), "BOT_DATA_DIR": str(tmp_path / "var"), "REDIS_URL": redis_url,
              "REDIS_PREFIX": prefix, "NOTIFY_WECOM_WEBHOOK": None, "NOTIFY_EMAIL_TO": None}
    proc = subprocess.run([sys.executable, "-c", _START, json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.startswith("refused:") and "'admin_title'" in proc.stdout, proc.stdout + proc.stderr


def test_a_fresh_process_starts_with_the_sentences_as_shipped(tmp_path, redis_url, prefix, redis_client):
    config = {"DEV": True, "KNOWLEDGE_DIR": str(KNOWLEDGE), "BOT_DATA_DIR": str(tmp_path / "var"),
              "REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "NOTIFY_WECOM_WEBHOOK": None, "NOTIFY_EMAIL_TO": None}
    proc = subprocess.run([sys.executable, "-c", _START, json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "started", proc.stdout + proc.stderr


def _declaring_modules() -> list[str]:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "declare"]
        if calls:
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


WEB_LIBRARIES = ("flask", "wechatpy", "redis")


def test_declaring_every_part_loads_every_module_that_declares_a_sentence_and_no_web_library():
    declaring = _declaring_modules()
    assert "bot.sentences" in declaring and "bot.dialogue.menu" in declaring
    code = ("import json, sys\nfrom bot.sentences import declare_every_part\ndeclare_every_part()\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert [m for m in declaring if m not in loaded] == []
    assert sorted(m for m in loaded if m.split(".")[0] in WEB_LIBRARIES) == []


_KB_TEST = """
import io, json, sys
from bot.tools import kb_test
said = io.StringIO()
code = kb_test.main(sys.argv[1], echo=lambda line: print(line, file=said))
print(json.dumps({"code": code, "said": said.getvalue(),
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r)}, ensure_ascii=False))
""" % (WEB_LIBRARIES,)


def _kb_test(kdir) -> dict:
    proc = subprocess.run([sys.executable, "-c", _KB_TEST, str(kdir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_kb_test_checks_the_shipped_knowledge_without_flask_wechatpy_or_redis():
    out = _kb_test(KNOWLEDGE)
    assert out["code"] == 0 and " 0 failed" in out["said"], out["said"]
    assert out["loaded"] == []


@pytest.mark.parametrize("key", ["unsupported", "webchat_send", "admin_funnel_handoffs", "desk_nav",
                                 "leads_email_subject_lead", "desk_errcode_45015"])
def test_kb_test_without_flask_still_refuses_a_sentence_only_a_web_or_top_floor_part_says(tmp_path, key):
    kdir = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, kdir)
    _without(kdir, key)
    out = _kb_test(kdir)
    assert out["code"] == 1 and f"missing message '{key}'" in out["said"], out["said"]
    assert "does not load" in out["said"]
    assert out["loaded"] == []
