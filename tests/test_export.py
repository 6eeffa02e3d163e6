"""CSV export (Excel-safe) and the ``parkbot leads`` commands, on real Redis."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from bot.leads.export import ExportError, export_csv, neutralise, write_csv
from bot.store.leads import LeadStore
from tests.conftest import ROOT
from tests.support.redis import leads_redis, leads_redis_dir  # noqa: F401  (fixtures)
from tests.support.staff import FIELDS, TRANSCRIPT, Clock, cli_app, messages

INJECTIONS = ["=HYPERLINK(\"http://evil\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "＝1+1"]


@pytest.fixture
def store(leads_redis):
    return LeadStore(leads_redis.client, leads_redis.keys, now=Clock())


def submit(store, form_id, **fields):
    return store.submit(form_id=form_id, openid="o", fields={**FIELDS, **fields}, listings=["a", "b"],
                        transcript=TRANSCRIPT, source="wechat")


def read_back(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_cells_get_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["海智源公司", "13912345678", "2000", "a=b", "", None])
def test_plain_cells_are_untouched(value):
    assert neutralise(value) == ("" if value is None else value)


def test_export_writes_every_lead_excel_safe(store, tmp_path):
    first = submit(store, "f1", company=INJECTIONS[0], contact="@admin")
    second = submit(store, "f2")
    path = tmp_path / "leads.csv"
    assert export_csv(store.list(), path, messages()) == 2
    rows = read_back(path)
    header = rows[0]
    assert header[:4] == ["线索编号", "提交时间", "状态", "来源"] and "手机号" in header
    assert [r[0] for r in rows[1:]] == [second, first]
    row = dict(zip(header, rows[2]))
    assert row["公司"] == "'" + INJECTIONS[0] and row["联系人"] == "'@admin"
    assert row["手机号"] == "13912345678" and row["状态"] == "新线索" and row["需求"] == "租2000平厂房"
    assert row["浏览过的房源"] == "a、b" and "我想租2000平厂房" in row["对话摘录"]
    for r in rows[1:]:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_unwritable_paths_raise_a_clear_error_and_leave_nothing(tmp_path):
    with pytest.raises(ExportError, match="cannot write CSV to .*missing.*No such file"):
        export_csv([], tmp_path / "missing" / "x.csv", messages())
    with pytest.raises(ExportError, match="is a directory"):
        export_csv([], tmp_path, messages())
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    with pytest.raises(ExportError, match="cannot write CSV to .*plain.txt"):
        export_csv([], a_file / "x.csv", messages())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"] and a_file.read_text() == "x"


# Runs in a child process whose file-size limit (RLIMIT_FSIZE, which binds root too) is smaller
# than the CSV: the temporary file is created, then the write into it fails part-way.
FAILING_WRITE = """
import resource, signal, sys
from bot.leads.export import ExportError, export_csv
from tests.support.staff import messages
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (16, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    export_csv([], sys.argv[1], messages())
except ExportError as exc:
    print(exc)
else:
    print("no error")
"""


def test_a_write_that_fails_part_way_raises_and_removes_the_temporary_file(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    done = subprocess.run([sys.executable, "-c", FAILING_WRITE, str(target / "x.csv")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cannot write CSV to {str(target / 'x.csv')!r}: File too large"
    assert list(target.iterdir()) == []  # neither the CSV nor its .x.csv.tmp


def test_write_csv_to_a_stream():
    out = io.StringIO()
    assert write_csv([], out, messages()) == 0
    assert out.getvalue().startswith("线索编号,")


# the commands ----------------------------------------------------------------------------
@pytest.fixture
def runner(leads_redis):
    return cli_app(leads_redis.client, leads_redis.keys).test_cli_runner()


def test_leads_list_and_filter(store, runner):
    a = submit(store, "f1", company="甲公司\n换行")
    b = submit(store, "f2", company="乙公司")
    store.set_status(b, "contacted")
    result = runner.invoke(args=["leads", "list"])
    assert result.exit_code == 0, result.output
    assert a in result.output and b in result.output and "甲公司 换行" in result.output
    result = runner.invoke(args=["leads", "list", "--status", "contacted"])
    assert b in result.output and a not in result.output
    result = runner.invoke(args=["leads", "list", "--status", "closed"])
    assert "no leads with status closed" in result.output
    result = runner.invoke(args=["leads", "list", "--status", "bogus"])
    assert result.exit_code != 0 and "bogus" in result.output


def test_leads_export_command(store, runner, tmp_path):
    submit(store, "f1")
    path = tmp_path / "out.csv"
    result = runner.invoke(args=["leads", "export", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "wrote 1 leads" in result.output and len(read_back(path)) == 2
    result = runner.invoke(args=["leads", "export", "--csv", str(tmp_path / "no" / "such" / "dir.csv")])
    assert result.exit_code == 1 and "cannot write CSV" in result.output


def test_leads_set_status_command(store, runner):
    number = submit(store, "f1")
    result = runner.invoke(args=["leads", "set-status", number, "contacted"])
    assert result.exit_code == 0 and store.get(number)["status"] == "contacted"
    result = runner.invoke(args=["leads", "set-status", number, "done"])
    assert result.exit_code == 1 and "unknown status 'done'" in result.output
    result = runner.invoke(args=["leads", "set-status", "L19990101-0001", "closed"])
    assert result.exit_code == 1 and "unknown lead 'L19990101-0001'" in result.output
    assert store.get(number)["status"] == "contacted"


def test_dead_letters_and_requeue_commands(store, runner, leads_redis):
    assert "no dead letters" in runner.invoke(args=["leads", "dead-letters"]).output
    store.add_dead_letter({"job": "lead:L1", "channel": "wecom", "attempts": "30", "error": "HTTP 500",
                           "at": "1795000000", "payload": '["kind", "lead", "job", "lead:L1", "number", "L1"]'})
    [dead] = store.dead_letters()
    output = runner.invoke(args=["leads", "dead-letters"]).output
    assert dead["id"] in output and "HTTP 500" in output
    result = runner.invoke(args=["leads", "requeue", dead["id"]])
    assert result.exit_code == 0 and store.stats()["outbox_pending"] == 1
    result = runner.invoke(args=["leads", "requeue", dead["id"]])
    assert result.exit_code == 1 and "no dead letter" in result.output


def test_worker_command_needs_a_channel(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1 and "NOTIFY_WECOM_WEBHOOK" in result.output
