"""Backup and restore of leads (``parkbot leads export --jsonl`` / ``leads import``) between two real Redis."""
from __future__ import annotations

import json

import pytest

from bot.leads.worker import Worker
from bot.leads.channels.wecom import WeComChannel
from bot.store.backup import BackupError, export_jsonl, import_jsonl
from bot.store.connection import connect
from bot.store.keys import Keys
from bot.store.leads import STATUSES, LeadStore
from tests.support.capture_server import server  # noqa: F401  (fixture)
from tests.support.net import free_port
from tests.support.redis import clock, leads_redis, leads_redis_dir, start_redis_server  # noqa: F401
from tests.support.staff import FIELDS, TRANSCRIPT, cli_app, messages


class NotedKeys(Keys):
    """A per-lead key a later feature might add: one line in ``lead_keys``, nothing else."""

    def lead_visits(self, number: str) -> str:
        return self.shared(f"visits:{number}")

    def lead_keys(self, number: str) -> dict[str, str]:
        return {**super().lead_keys(number), "visits": self.lead_visits(number)}


@pytest.fixture
def target(tmp_path):
    """A second, empty Redis server."""
    port = free_port()
    proc = start_redis_server(port, tmp_path)
    yield connect(f"redis://127.0.0.1:{port}/0", None, timeout=5.0)
    proc.kill()
    proc.wait(5)


@pytest.fixture
def source(leads_redis, clock):
    keys = NotedKeys(leads_redis.keys.prefix)
    store = LeadStore(leads_redis.client, keys, now=clock)
    numbers = []
    for i in range(3):
        numbers.append(store.submit(form_id=f"form-{i}", openid=f"user-{i % 2}", fields={**FIELDS, "area_sqm": 100 * i,
                                    "phone": f"1391234560{i}", "company": f"测试{i}号公司"},
                                    listings=["F-01"], transcript=TRANSCRIPT, source="wechat"))
        clock.advance(60)
    store.set_status(numbers[0], "contacted")
    store.set_status(numbers[1], "closed")
    leads_redis.client.hset(keys.lead(numbers[1]), "assignee", "李四")  # a field a later feature adds
    leads_redis.client.rpush(keys.lead_notes(numbers[0]), "已电话联系", "下周看厂房")
    leads_redis.client.rpush(keys.lead_visits(numbers[0]), "2026-12-01 看厂房")
    store.erase_personal("user-1")
    store.alert_handoff(openid="user-9", transcript=TRANSCRIPT, source="web")
    store.add_dead_letter({"job": "lead:x", "channel": "wecom", "error": "HTTP 500", "payload": "[]"})
    return leads_redis.client, keys, store, numbers


def test_round_trip_keeps_numbers_statuses_fields_notes_and_queues(source, target, tmp_path, clock):
    client, keys, store, numbers = source
    path = tmp_path / "leads.jsonl"
    assert export_jsonl(client, keys, path) == 3
    assert import_jsonl(target, keys, path) == 3

    restored = LeadStore(target, keys, now=clock)
    assert restored.list(limit=10) == store.list(limit=10)
    for status in STATUSES:
        assert restored.list(status=status) == store.list(status=status)
    assert restored.stats() == store.stats()
    assert target.hget(keys.lead(numbers[1]), "assignee") == "李四"
    assert target.lrange(keys.lead_notes(numbers[0]), 0, -1) == ["已电话联系", "下周看厂房"]
    assert target.lrange(keys.lead_visits(numbers[0]), 0, -1) == ["2026-12-01 看厂房"]
    assert restored.get(numbers[1])["erased"] and restored.get(numbers[1])["fields"]["phone"] == ""
    assert target.smembers(keys.user_leads("user-0")) == client.smembers(keys.user_leads("user-0"))
    assert restored.dead_letters() == store.dead_letters()
    # the same form again is the same lead; a new form gets a number after the restored ones
    assert restored.submit(form_id="form-2", openid="user-0", fields=FIELDS, listings=[], transcript=[],
                           source="wechat") == numbers[2]
    fresh = restored.submit(form_id="form-new", openid="user-0", fields=FIELDS, listings=[], transcript=[],
                            source="wechat")
    assert fresh not in numbers and fresh > max(numbers)


def test_notifications_pending_at_backup_are_delivered_after_restore(source, target, tmp_path, server, clock):
    client, keys, _store, numbers = source
    path = tmp_path / "leads.jsonl"
    export_jsonl(client, keys, path)
    import_jsonl(target, keys, path)
    channel = WeComChannel(f"{server.url}/cgi-bin/webhook/send?key=k", messages)
    Worker(target, keys, [channel], now=clock).run_once()
    bodies = [r.body.decode("utf-8") for r in server.ok_requests()]
    assert len(bodies) == 4  # three leads and one handoff alert, each once
    for number in numbers:
        assert sum(number in body for body in bodies) == 1


def test_import_refuses_a_redis_that_already_has_leads(source, tmp_path):
    client, keys, store, numbers = source
    path = tmp_path / "leads.jsonl"
    export_jsonl(client, keys, path)
    before = store.stats()
    with pytest.raises(BackupError, match=r"^refusing to import: this Redis already holds leads"):
        import_jsonl(client, keys, path)
    assert store.stats() == before


HEAD = '{"kind": "header", "format": "parkbot-leads", "version": 1}\n'


@pytest.mark.parametrize("content, message", [
    ("", r"is empty"),
    ("not json\n", r"line 1: not JSON"),
    ('{"kind": "lead"}\n', r"not a parkbot leads backup"),
    ('{"kind": "header", "format": "parkbot-leads", "version": 9}\n', r"version 9 backup"),
    (HEAD, r"cut short: it has no end record"),
    (HEAD + '{"kind": "end", "leads": 2}\n', r"damaged: its end record counts 2 leads, it holds 0"),
    (HEAD + '{"kind": "lead", "number": "x", "keys": {}}\n', r"line 2: a lead needs a number"),
    (HEAD + '[1]\n', r"line 2: expected a JSON"),
    (HEAD + '{"kind": "x"}\n', r"unknown record"),
    (HEAD + '{"kind": "end", "leads": 0}\n{"kind": "end", "leads": 0}\n', r"line 3: nothing may follow the end"),
])
def test_bad_backups_are_refused_and_write_nothing(target, tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BackupError, match=message):
        import_jsonl(target, Keys("p"), path)
    assert target.dbsize() == 0


def test_unknown_per_lead_key_is_refused(source, target, tmp_path):
    client, keys, _store, _numbers = source
    path = tmp_path / "leads.jsonl"
    export_jsonl(client, keys, path)
    with pytest.raises(BackupError, match=r"keeps no per-lead key 'visits'"):
        import_jsonl(target, Keys(keys.prefix), path)  # a parkbot without visits


def test_cli_export_and_import(source, target, tmp_path):
    client, keys, store, numbers = source
    path = tmp_path / "backup.jsonl"
    result = cli_app(client, keys).test_cli_runner().invoke(args=["leads", "export", "--jsonl", str(path)])
    assert result.exit_code == 0 and "backed up 3 leads" in result.output
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1]) == {"kind": "end", "leads": 3}
    runner = cli_app(target, keys).test_cli_runner()
    result = runner.invoke(args=["leads", "import", str(path)])
    assert result.exit_code == 0 and "restored 3 leads" in result.output
    result = runner.invoke(args=["leads", "import", str(path)])
    assert result.exit_code == 1 and "refusing to import" in result.output
    result = runner.invoke(args=["leads", "import", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "cannot read" in result.output
    result = runner.invoke(args=["leads", "export"])
    assert result.exit_code == 2 and "exactly one of --csv FILE or --jsonl FILE" in result.output
    result = runner.invoke(args=["leads", "export", "--jsonl", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output
    result = runner.invoke(args=["leads", "export", "--jsonl", str(tmp_path / "no" / "dir.jsonl")])
    assert result.exit_code == 1 and "cannot write the backup" in result.output
