"""Repeat inquiries found from the same-phone / same-company sets, not by reading every lead of
90 days: on real Redis (embedded, the server, and the cluster via tests/on_cluster/)."""
from __future__ import annotations

import pytest

from bot.store.backup import export_jsonl, import_jsonl
from bot.store.connection import connect
from bot.store.keys import Keys
from bot.store.lead_repeat import CANDIDATES, find_repeat, same_sets
from bot.store.leads import LeadStore
from tests.support.net import free_port
from tests.support.redis import clock, leads_redis, leads_redis_dir, start_redis_server, store  # noqa: F401
from tests.support.staff import FIELDS, TRANSCRIPT


def submit(store, form_id, **fields):
    return store.submit(form_id=form_id, openid=f"o-{form_id}", fields={**FIELDS, **fields}, listings=[],
                        transcript=TRANSCRIPT, source="wechat")


def test_a_repeat_is_found_without_the_index_of_all_leads(store, leads_redis, clock):
    first = submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    for i in range(30):  # other companies' leads in between
        clock.advance(60)
        submit(store, f"other{i}", phone=f"1370000{i:04d}", company=f"别家{i}号公司")
    # the lookup reads only the two small sets: with the index of all leads gone it still answers
    leads_redis.client.delete(leads_redis.keys.lead_index())
    assert find_repeat(store, "139 1234 5678", "", clock()) == first
    assert find_repeat(store, "", "海智源生物公司", clock()) == first
    assert find_repeat(store, "13600000000", "毫不相干", clock()) is None


def test_the_newest_of_the_phone_and_company_matches_wins(store, clock):
    by_company = submit(store, "f1", phone="13911111111", company="蓝海科技")
    clock.advance(60)
    by_phone = submit(store, "f2", phone="13922222222", company="别的公司")
    assert find_repeat(store, "13922222222", "蓝海科技有限公司", clock()) == by_phone
    clock.advance(60)
    newer = submit(store, "f3", phone="13933333333", company="蓝海科技")
    assert find_repeat(store, "13922222222", "蓝海科技", clock()) == newer
    assert by_company != newer


def test_key_names_carry_no_phone_or_company(store, leads_redis):
    submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    names = list(leads_redis.client.scan_iter(f"{leads_redis.keys.prefix}:*", count=1000))
    assert any(":same:" in name for name in names)
    assert not [name for name in names if "13912345678" in name or "海智源" in name]


def test_sets_keep_only_the_days_a_repeat_is_looked_for(store, leads_redis, clock):
    old = submit(store, "f1", phone="13912345678")
    clock.advance(91 * 86400)
    new = submit(store, "f2", phone="13912345678")
    name = same_sets(leads_redis.keys, "13912345678", "")[0]
    assert leads_redis.client.zrange(name, 0, -1) == [new]  # the lead of 91 days ago was trimmed
    assert store.get(new)["repeat_of"] == "" and old != new
    assert 0 < leads_redis.client.ttl(name) <= 91 * 86400


def test_an_erased_user_is_taken_out_of_the_sets(store, leads_redis, clock):
    first = submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    sets = same_sets(leads_redis.keys, "13912345678", "海智源生物有限公司")
    assert all(leads_redis.client.zscore(name, first) for name in sets)
    assert store.erase_personal("o-f1") == 1
    assert not any(leads_redis.client.zscore(name, first) for name in sets)
    clock.advance(60)
    again = submit(store, "f2", phone="13912345678", company="海智源生物有限公司")
    assert store.get(again)["repeat_of"] == ""  # nothing of the erased inquiry is matched


def test_an_entry_whose_lead_no_longer_matches_is_stepped_over(store, leads_redis, clock):
    first = submit(store, "f1", phone="13912345678")
    clock.advance(60)
    second = submit(store, "f2", phone="13912345678")
    # the newest entry's lead was changed behind the sets' back (an erasure cut short)
    leads_redis.client.hset(leads_redis.keys.lead(second), "f:phone", '""')
    assert find_repeat(store, "13912345678", "", clock()) == first
    assert CANDIDATES >= 2


def test_leads_from_before_the_sets_are_filed_by_the_first_lookup(store, leads_redis, clock):
    first = submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    client, keys = leads_redis.client, leads_redis.keys
    # as an account that ran before the sets existed: no sets, no marker
    client.delete(keys.lead_same_marker(), *same_sets(keys, "13912345678", "海智源生物有限公司"))
    clock.advance(60)
    again = submit(store, "f2", phone="13912345678")
    assert store.get(again)["repeat_of"] == first
    assert client.exists(keys.lead_same_marker())
    assert client.zscore(same_sets(keys, "", "海智源生物有限公司")[0], first)
    client.delete(keys.lead_index())  # from now on the sets alone answer
    assert find_repeat(store, "", "海智源生物公司", clock()) == first


def test_a_restore_files_the_leads_it_writes(store, leads_redis, clock, tmp_path):
    first = submit(store, "f1", phone="13912345678", company="海智源生物有限公司")
    path = tmp_path / "leads.jsonl"
    export_jsonl(leads_redis.client, leads_redis.keys, path)
    port = free_port()
    proc = start_redis_server(port, tmp_path)
    try:
        target = connect(f"redis://127.0.0.1:{port}/0", None, timeout=5.0)
        keys = Keys(leads_redis.keys.prefix)
        target.set(keys.lead_same_marker(), "1")  # a lookup must not need to scan to find it
        assert import_jsonl(target, keys, path) == 1
        target.delete(keys.lead_index())
        restored = LeadStore(target, keys, now=clock)
        assert find_repeat(restored, "13912345678", "", clock()) == first
    finally:
        proc.kill()
        proc.wait(5)


@pytest.mark.parametrize("phone, company", [("", ""), ("12", "公司"), (None, None)])
def test_blank_or_meaningless_values_match_nothing(store, clock, phone, company):
    submit(store, "f1", phone="", company="")
    assert find_repeat(store, phone or "", company or "", clock()) is None
