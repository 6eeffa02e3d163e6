"""The lead store against real Redis: atomic submit, idempotency, status, erasure, listing."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from tests.support.redis import clock, leads_redis, leads_redis_dir, store  # noqa: F401  (fixtures)
from tests.support.staff import FIELDS, TRANSCRIPT




def submit(store, form_id="f1", openid="o-user", **extra):
    args = dict(form_id=form_id, openid=openid, fields=dict(FIELDS), listings=["scc-a3-12f"],
                transcript=TRANSCRIPT, source="wechat")
    args.update(extra)
    return store.submit(**args)


def test_submit_numbers_by_shanghai_date_and_keeps_every_field(store, clock, leads_redis):
    # 2026-11-26 16:30 UTC is already the 27th in Shanghai
    clock.t = datetime(2026, 11, 26, 16, 30, tzinfo=timezone.utc).timestamp()
    first = submit(store, "f1")
    second = submit(store, "f2")
    assert (first, second) == ("L20261127-0001", "L20261127-0002")

    lead = store.get(first)
    assert lead["fields"] == FIELDS  # 2000 stays a number, text stays text
    assert lead["listings"] == ["scc-a3-12f"]
    assert lead["transcript"] == TRANSCRIPT
    assert (lead["status"], lead["source"], lead["openid"]) == ("new", "wechat", "o-user")
    assert lead["created"] == clock.t
    assert leads_redis.client.xlen(leads_redis.keys.outbox()) == 2


def test_same_form_id_returns_the_same_number_and_writes_nothing(store, leads_redis):
    number = submit(store, "form-x")
    assert submit(store, "form-x", fields={"need": "different"}) == number
    assert store.get(number)["fields"]["need"] == FIELDS["need"]
    assert len(store.list()) == 1
    assert leads_redis.client.xlen(leads_redis.keys.outbox()) == 1


def test_ten_threads_submitting_one_form_make_one_lead_and_one_job(store, leads_redis):
    barrier = threading.Barrier(10)
    numbers = []

    def go():
        barrier.wait()
        numbers.append(submit(store, "same-form"))

    threads = [threading.Thread(target=go) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(numbers) == 10 and len(set(numbers)) == 1
    assert numbers[0].endswith("-0001")
    assert len(store.list()) == 1
    assert leads_redis.client.xlen(leads_redis.keys.outbox()) == 1


def test_list_is_newest_first_and_filters_by_status(store, clock):
    numbers = []
    for i in range(3):
        numbers.append(submit(store, f"f{i}"))
        clock.advance(60)
    store.set_status(numbers[1], "contacted")
    assert [x["number"] for x in store.list()] == numbers[::-1]
    assert [x["number"] for x in store.list(limit=2)] == numbers[:0:-1]
    assert [x["number"] for x in store.list("contacted")] == [numbers[1]]
    assert [x["number"] for x in store.list("new")] == [numbers[2], numbers[0]]
    assert store.list("closed") == []


def test_set_status_moves_the_lead_and_rejects_bad_input(store):
    number = submit(store)
    store.set_status(number, "closed")
    assert store.get(number)["status"] == "closed"
    assert store.stats()["by_status"] == {"new": 0, "contacted": 0, "closed": 1}
    with pytest.raises(ValueError, match="unknown status 'done'"):
        store.set_status(number, "done")
    with pytest.raises(ValueError, match="unknown lead 'L20000101-0001'"):
        store.set_status("L20000101-0001", "contacted")
    with pytest.raises(ValueError, match="unknown status"):
        store.list("pending")
    assert store.get(number)["status"] == "closed"


def test_erase_personal_blanks_only_that_users_personal_fields(store):
    mine = [submit(store, "a", openid="o-me"), submit(store, "b", openid="o-me")]
    theirs = submit(store, "c", openid="o-other")
    assert store.erase_personal("o-me") == 2
    for number in mine:
        lead = store.get(number)
        assert lead["fields"]["company"] == lead["fields"]["contact"] == lead["fields"]["phone"] == ""
        assert lead["transcript"] == [] and lead["openid"] == "" and lead["erased"]
        assert lead["fields"]["need"] == FIELDS["need"]  # what they wanted is not personal
    assert store.get(theirs)["fields"]["phone"] == FIELDS["phone"]
    assert store.erase_personal("o-me") == 0  # the link is gone too
    assert store.erase_personal("o-nobody") == 0
    assert store.erase_personal("") == 0


def test_handoff_alert_is_queued_once_per_dedup_key(store, leads_redis):
    first = store.alert_handoff(openid="o1", transcript=TRANSCRIPT, source="wechat", dedup_key="o1:1")
    again = store.alert_handoff(openid="o1", transcript=TRANSCRIPT, source="wechat", dedup_key="o1:1")
    other = store.alert_handoff(openid="o1", transcript=TRANSCRIPT, source="wechat")
    assert first == again != other
    entries = leads_redis.client.xrange(leads_redis.keys.outbox())
    assert [e[1]["kind"] for e in entries] == ["handoff", "handoff"]
    assert entries[0][1]["job"] == first


def test_stats_counts_statuses_outbox_and_dead_letters(store):
    submit(store, "a")
    b = submit(store, "b")
    store.set_status(b, "contacted")
    stats = store.stats()
    assert stats == {"leads": 2, "by_status": {"new": 1, "contacted": 1, "closed": 0},
                     "outbox_pending": 2, "dead_letters": 0}


@pytest.mark.parametrize("bad, message", [
    (dict(form_id=""), "form_id"),
    (dict(fields=["need"]), "fields must be a mapping"),
    (dict(fields={"need": {"nested": 1}}), "must be text or a number"),
    (dict(fields={"Bad Name": "x"}), "lower-case ascii"),
    (dict(transcript=["just text"]), "transcript turn"),
])
def test_bad_submissions_are_refused_and_write_nothing(store, leads_redis, bad, message):
    with pytest.raises(ValueError, match=message):
        submit(store, **bad)
    assert store.list() == []
    assert leads_redis.client.xlen(leads_redis.keys.outbox()) == 0


def test_long_values_and_transcripts_are_capped(store):
    from bot.store.leads import TRANSCRIPT_LIMIT

    number = submit(store, fields={"need": "x" * 5000},
                    transcript=[{"t": i, "who": "user", "text": "y" * 900} for i in range(TRANSCRIPT_LIMIT + 30)])
    lead = store.get(number)
    assert len(lead["fields"]["need"]) == 500
    # the whole conversation up to the cap, its newest turns kept
    assert len(lead["transcript"]) == TRANSCRIPT_LIMIT and lead["transcript"][-1]["t"] == TRANSCRIPT_LIMIT + 29
    assert lead["transcript"][0]["t"] == 30
    assert all(len(turn["text"]) == 500 for turn in lead["transcript"])


def test_unknown_lead_reads_as_none(store):
    assert store.get("L19990101-0001") is None


def test_erase_withdraws_that_users_undelivered_handoff_alerts(store, leads_redis):
    client, keys = leads_redis.client, leads_redis.keys
    store.alert_handoff(openid="o-gone", transcript=[{"t": 1, "who": "user", "text": "我叫张三 13900001111"}],
                        source="wechat")
    store.alert_handoff(openid="o-stays", transcript=[{"t": 1, "who": "user", "text": "人工"}], source="wechat")
    assert client.xlen(keys.outbox()) == 2
    store.erase_personal("o-gone")
    left = [fields for _, fields in client.xrange(keys.outbox())]
    assert [f["openid"] for f in left] == ["o-stays"]
    assert "13900001111" not in str(client.xrange(keys.outbox()))
