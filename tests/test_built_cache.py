"""The built knowledge kept for the next start, and the unanswered log's marks made once per version."""
from __future__ import annotations

import pickle
import shutil

import pytest

from bot.app import _understanding
from bot.knowledge.built import MAGIC, key_of
from bot.knowledge.holder import KnowledgeHolder
from bot.store.unanswered import UnansweredLog
from tests.conftest import KNOWLEDGE

QUESTIONS = ["高新区全国排第几", "有什么优惠政策", "房租多少钱", "你好", "明天天气怎么样", "我想登记", "办公室多大"]
BUILDERS = {"nlu": _understanding}


@pytest.fixture
def kdir(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def readings(holder):
    nlu = holder.snapshot()[1]["nlu"]
    return [(repr(nlu.match(q)), repr(nlu.read(q, "idle")), nlu.entities(q), nlu.normalize(q)) for q in QUESTIONS]


def pickles(path):
    return sorted(path.glob("*.pickle"))


def test_a_restart_reads_what_the_first_start_built_and_reads_messages_the_same(kdir, tmp_path):
    built = tmp_path / "built"
    first = KnowledgeHolder(kdir, builders=BUILDERS, built=built)
    [kept] = pickles(built)
    assert kept.name.startswith(key_of(kdir, ["nlu"])[0])
    again = KnowledgeHolder(kdir, builders=BUILDERS, built=built)
    assert again.current().version == first.current().version and again.current().directory == kdir
    assert readings(again) == readings(first) == readings(KnowledgeHolder(kdir, builders=BUILDERS))
    # what was read is the file: one whose contents say otherwise is served as it says
    kb, derived = pickle.loads(kept.read_bytes()[len(MAGIC) + len(kept.stem) + 1:])
    kept.write_bytes(MAGIC + kept.stem.encode() + b"\n" + pickle.dumps((kb, {"nlu": "from the file"})))
    assert KnowledgeHolder(kdir, builders=BUILDERS, built=built).snapshot()[1]["nlu"] == "from the file"


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"rubbish", lambda b: b""])
def test_a_damaged_file_is_built_again_and_replaced(kdir, tmp_path, damage):
    built = tmp_path / "built"
    expected = readings(KnowledgeHolder(kdir, builders=BUILDERS, built=built))
    [kept] = pickles(built)
    kept.write_bytes(damage(kept.read_bytes()))
    holder = KnowledgeHolder(kdir, builders=BUILDERS, built=built)
    assert readings(holder) == expected
    assert kept.read_bytes().startswith(MAGIC)  # written anew by the build
    assert readings(KnowledgeHolder(kdir, builders=BUILDERS, built=built)) == expected


def test_an_edit_is_never_served_from_the_version_before(kdir, tmp_path):
    built = tmp_path / "built"
    before = KnowledgeHolder(kdir, builders=BUILDERS, built=built, interval=10**9)
    old = before.current().version
    text = (kdir / "synonyms.yaml").read_text(encoding="utf-8")
    (kdir / "synonyms.yaml").write_text(text + "\n", encoding="utf-8")  # one byte more, same meaning
    after = KnowledgeHolder(kdir, builders=BUILDERS, built=built)
    assert after.current().version != old
    assert len(pickles(built)) == 2
    # and a running worker reloading the edit gets the new version (read from the file the other built)
    assert before.current().version == old
    before.interval = 0
    assert before.current().version == after.current().version


def test_the_copy_of_the_same_files_elsewhere_is_served_from_its_own_directory(kdir, tmp_path):
    built = tmp_path / "built"
    KnowledgeHolder(kdir, builders=BUILDERS, built=built)
    other = tmp_path / "other"
    shutil.copytree(kdir, other)
    holder = KnowledgeHolder(other, builders=BUILDERS, built=built)
    assert holder.current().directory == other and len(pickles(built)) == 1


def test_an_unwritable_directory_only_costs_the_build(kdir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    holder = KnowledgeHolder(kdir, builders=BUILDERS, built=blocker / "built")
    assert readings(holder) == readings(KnowledgeHolder(kdir, builders=BUILDERS))


def test_unanswered_marks_are_made_once_per_version(redis_client, keys):
    log = UnansweredLog(redis_client, keys)
    for text in ("停车费多少", "食堂几点开", "停车费多少"):
        log.record(text, text)
    asked = []

    def answers(text):
        asked.append(text)
        return "parking" if "停车" in text else None

    assert log.mark_covered(answers, version="v1") == 1
    assert sorted(asked) == ["停车费多少", "食堂几点开"]
    assert log.mark_covered(answers, version="v1") is None  # a restart on the same version
    assert len(asked) == 2
    assert {row["text"]: row["state"] for row in log.top()} == {"停车费多少": "covered", "食堂几点开": "open"}
    # another version asks again, and its marks replace the first's
    assert log.mark_covered(lambda text: None, version="v2") == 0
    assert {row["state"] for row in log.top()} == {"open"}
    assert log.mark_covered(answers, version="v1") == 1  # back to the first: asked again
    assert len(asked) == 4
    assert log.mark_covered(answers) == 1 and len(asked) == 6  # without a version: every time


def test_the_version_replaced_by_an_edit_is_freed_at_once(kdir, tmp_path):
    import weakref

    holder = KnowledgeHolder(kdir, builders=BUILDERS, built=tmp_path / "built", interval=0)
    olds = []
    for n in range(3):
        olds.append(weakref.ref(holder.snapshot()[1]["nlu"]))
        text = (kdir / "synonyms.yaml").read_text(encoding="utf-8")
        (kdir / "synonyms.yaml").write_text(text + "\n", encoding="utf-8")
        assert holder.current() is not None
        # the matcher's memo caches hold it in reference cycles: only the collector frees it
        assert olds[-1]() is None, f"edit {n}: the version before is still in memory"
    assert readings(holder) == readings(KnowledgeHolder(kdir, builders=BUILDERS))


def test_a_process_that_froze_its_knowledge_still_flushes_its_files_at_exit(kdir, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = tmp_path / "out.txt"
    script = ("from bot.knowledge.holder import KnowledgeHolder\n"
              "from bot.app import _understanding\n"
              f"holder = KnowledgeHolder({str(kdir)!r}, builders={{'nlu': _understanding}})\n"
              f"out = open({str(out)!r}, 'w', encoding='utf-8')\n"
              "def lines():\n"
              "    return lines  # a reference cycle through the module, as any module has\n"
              "for i in range(5000):\n"
              "    out.write(f'{i}\\n')\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120)
    assert out.read_text(encoding="utf-8").splitlines()[-1] == "4999"
