"""The notification worker end to end: real Redis, a real HTTP robot, an injected clock.

"Delivered" means the robot answered success; every test checks each lead arrives exactly once.
"""
from __future__ import annotations

import collections
import json
import logging
import subprocess
import sys
import threading
import time

import pytest

from bot.leads.channels.wecom import WeComChannel
from bot.leads.worker import GROUP, Worker, start_in_thread
from bot.store.leads import LeadStore
from tests.support.capture_server import server  # noqa: F401  (fixture)
from tests.support.redis import clock, leads_redis, leads_redis_dir, store  # noqa: F401  (fixtures)
from tests.support.staff import FIELDS, ROOT, TRANSCRIPT, messages


def wecom(server, timeout=2.0, key="k1"):
    return WeComChannel(f"{server.url}/cgi-bin/webhook/send?key={key}", messages, timeout=timeout)


def worker(leads_redis, channels, clock, **options):
    return Worker(leads_redis.client, leads_redis.keys, channels, now=clock, **options)


def submit(store, form_id, openid="o-user"):
    return store.submit(form_id=form_id, openid=openid, fields=dict(FIELDS), listings=[],
                        transcript=TRANSCRIPT, source="wechat")


def delivered_numbers(server) -> collections.Counter:
    out = collections.Counter()
    for req in server.ok_requests():
        content = req.json["markdown"]["content"]
        out[content.splitlines()[0].rsplit(" ", 1)[-1]] += 1
    return out


def drain(w, clock, step=1.0, rounds=500) -> dict:
    """Run the worker, moving the clock, until the outbox is empty."""
    totals = collections.Counter()
    for _ in range(rounds):
        totals.update(w.run_once())
        if w.r.xlen(w.keys.outbox()) == 0:
            return totals
        clock.advance(step)
    raise AssertionError(f"outbox not drained: {totals}")


def test_lead_reaches_staff_within_two_seconds(leads_redis, server):
    store = LeadStore(leads_redis.client, leads_redis.keys)
    handle = start_in_thread(leads_redis.client, leads_redis.keys, [wecom(server)], poll_interval=0.1)
    try:
        time.sleep(0.2)  # the worker is idle-polling, as in production
        started = time.monotonic()
        number = submit(store, "fast")
        assert server.wait_for(1, timeout=2.0)
        assert time.monotonic() - started < 2.0
    finally:
        handle.stop()
    assert not handle.alive
    assert delivered_numbers(server) == {number: 1}
    assert store.stats()["outbox_pending"] == 0


@pytest.mark.parametrize("mode", ["500", "hang", "errcode", "non_json", "close"])
def test_failing_robot_then_exactly_one_delivery(leads_redis, server, store, clock, mode):
    server.fail_next(3, mode)
    number = submit(store, "f1")
    w = worker(leads_redis, [wecom(server, timeout=0.3)], clock, backoff_base=2, backoff_cap=10)
    first = w.run_once()
    assert first["failed"] == 1 and first["sent"] == 0
    state = leads_redis.client.hgetall(leads_redis.keys.job_state(f"lead:{number}"))
    assert state["a:wecom"] == "1" and float(state["d:wecom"]) == clock() + 2
    assert w.run_once()["failed"] == 0  # not due yet: no request
    assert len(server.requests) == 1
    totals = drain(w, clock)
    assert delivered_numbers(server) == {number: 1}
    assert len(server.requests) == 4
    assert totals["sent"] == 1 and totals["failed"] == 2
    assert store.dead_letters() == []
    # nothing of the job is left behind
    assert not leads_redis.client.exists(leads_redis.keys.job_state(f"lead:{number}"))
    assert leads_redis.client.zcard(leads_redis.keys.retry_schedule()) == 0


def test_backoff_doubles_up_to_the_cap(leads_redis, clock):
    w = worker(leads_redis, [], clock)
    assert [w.backoff(n) for n in (1, 2, 3, 8, 9, 30)] == [2, 4, 8, 256, 300, 300]
    total = sum(w.backoff(n) for n in range(1, w.max_attempts))
    assert 3600 < total < 3 * 3600  # an hour's outage is well within the defaults


def test_robot_down_for_an_hour_loses_nothing(leads_redis, server, store, clock):
    server.fail_next(10**6, "500")
    numbers = [submit(store, f"f{i}") for i in range(5)]
    w = worker(leads_redis, [wecom(server)], clock)  # production defaults
    for _ in range(720):
        w.run_once()
        clock.advance(5)
    assert delivered_numbers(server) == {}
    assert store.stats()["outbox_pending"] == 5 and store.dead_letters() == []
    server.recover()
    drain(w, clock, step=10)
    assert delivered_numbers(server) == {n: 1 for n in numbers}


def test_dead_letter_after_max_attempts_and_requeue(leads_redis, server, store, clock):
    server.fail_next(10**6, "500")
    number = submit(store, "f1")
    w = worker(leads_redis, [wecom(server)], clock, max_attempts=3)
    totals = drain(w, clock, step=5)
    assert totals["dead"] == 1 and len(server.requests) == 3
    [dead] = store.dead_letters()
    assert (dead["job"], dead["number"], dead["channel"], dead["attempts"]) == (f"lead:{number}", number, "wecom", "3")
    assert "HTTP 500" in dead["error"]
    assert store.stats()["dead_letters"] == 1 and store.stats()["outbox_pending"] == 0

    server.recover()
    assert store.requeue_dead_letter(dead["id"])
    assert store.dead_letters() == []
    drain(w, clock)
    assert delivered_numbers(server) == {number: 1}
    assert store.requeue_dead_letter(dead["id"]) is None  # already taken back


KILLED = r"""
import json, os, sys
from bot.leads.channels.wecom import WeComChannel
from bot.leads.worker import Worker
from tests.support.redis import reconnect
from tests.support.staff import messages

args = json.loads(sys.argv[1])
client, keys = reconnect(args["redis"])
channel = WeComChannel(args["webhook"], messages, timeout=2)
worker = Worker(client, keys, [channel], consumer="doomed", lease_ms=300,
                after_send=lambda job, name: os._exit(9))  # dies after the send, before the ack
worker.run_once()
os._exit(0)
"""


def test_worker_killed_between_send_and_ack_does_not_deliver_twice(leads_redis, server, store, clock):
    number = submit(store, "f1")
    args = {"redis": leads_redis.connection_args(), "webhook": f"{server.url}/cgi-bin/webhook/send?key=k"}
    proc = subprocess.run([sys.executable, "-c", KILLED, json.dumps(args)], cwd=ROOT, timeout=60,
                          capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert delivered_numbers(server) == {number: 1}
    pending = leads_redis.client.xpending(leads_redis.keys.outbox(), GROUP)
    assert pending["pending"] == 1 and pending["consumers"][0]["name"] == "doomed"

    rescuer = worker(leads_redis, [wecom(server)], clock, consumer="rescuer", claim_idle_ms=100)
    deadline = time.monotonic() + 10
    while leads_redis.client.xlen(leads_redis.keys.outbox()) and time.monotonic() < deadline:
        rescuer.run_once()
        time.sleep(0.05)
    assert leads_redis.client.xlen(leads_redis.keys.outbox()) == 0
    assert delivered_numbers(server) == {number: 1}
    assert len(server.requests) == 1


class Killed(BaseException):
    """Stands for the thread dying: not an Exception, so nothing in the worker catches it."""


def test_thread_dying_after_send_leaves_the_job_to_another_worker(leads_redis, server, store, clock):
    numbers = [submit(store, "f1"), submit(store, "f2")]

    def die(job, channel):
        raise Killed

    with pytest.raises(Killed):
        worker(leads_redis, [wecom(server)], clock, consumer="a", after_send=die).run_once()
    assert sum(delivered_numbers(server).values()) == 1
    drain(worker(leads_redis, [wecom(server)], clock, consumer="b", claim_idle_ms=0), clock)
    assert delivered_numbers(server) == {n: 1 for n in numbers}


def test_rate_limit_defers_without_counting_attempts(leads_redis, server, store, clock):
    numbers = [submit(store, f"f{i}") for i in range(25)]
    w = worker(leads_redis, [wecom(server)], clock, max_attempts=1)
    counts = w.run_once()
    assert counts["sent"] == 20 and counts["deferred"] == 5 and counts["failed"] == counts["dead"] == 0
    assert sum(delivered_numbers(server).values()) == 20
    clock.advance(30)
    assert w.run_once()["sent"] == 0
    clock.advance(31)
    assert w.run_once()["sent"] == 5
    assert delivered_numbers(server) == {n: 1 for n in numbers}
    assert store.dead_letters() == []


def test_the_limit_is_shared_between_workers(leads_redis, server, store, clock):
    for i in range(30):
        submit(store, f"f{i}")
    a = worker(leads_redis, [wecom(server)], clock, consumer="a", batch=15)
    b = worker(leads_redis, [wecom(server)], clock, consumer="b", batch=15)
    sent = a.run_once()["sent"] + b.run_once()["sent"]
    assert sent == 20


def test_many_workers_at_once_deliver_each_lead_once(leads_redis, server, store, clock):
    numbers = [submit(store, f"f{i}") for i in range(40)]
    # one robot, so the shared 20/minute limit applies; claim_idle_ms=0 makes them steal from each other
    workers = [worker(leads_redis, [wecom(server, key="k1")], clock, consumer=f"w{i}", claim_idle_ms=0,
                      batch=7) for i in range(4)]
    stop = threading.Event()

    def loop(w):
        while not stop.is_set():
            w.run_once()

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while leads_redis.client.xlen(leads_redis.keys.outbox()) and time.monotonic() < deadline:
        clock.advance(61)  # let the rate limit refill
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(10)
    assert delivered_numbers(server) == {n: 1 for n in numbers}


def test_handoff_alerts_ride_the_same_outbox(leads_redis, server, store, clock):
    store.alert_handoff(openid="o-help", transcript=[{"t": 1, "who": "user", "text": "转人工"}], source="wechat")
    drain(worker(leads_redis, [wecom(server)], clock), clock)
    [req] = server.ok_requests()
    content = req.json["markdown"]["content"]
    assert "用户请求人工服务" in content and "转人工" in content and "o-help" in content


def test_job_for_a_missing_lead_goes_to_dead_letters(leads_redis, server, store, clock):
    leads_redis.client.xadd(leads_redis.keys.outbox(), {"kind": "lead", "job": "lead:L1", "number": "L1"})
    leads_redis.client.xadd(leads_redis.keys.outbox(), {"garbage": "1"})
    totals = drain(worker(leads_redis, [wecom(server)], clock), clock)
    assert totals["dead"] == 2 and server.requests == []
    errors = sorted(d["error"] for d in store.dead_letters())
    assert errors == ["lead 'L1' not found", "malformed job (no job id)"]


def test_without_channels_jobs_wait(leads_redis, store, clock):
    submit(store, "f1")
    assert sum(worker(leads_redis, [], clock).run_once().values()) == 0
    assert store.stats()["outbox_pending"] == 1


def test_erased_lead_is_sent_without_personal_fields(leads_redis, server, store, clock):
    submit(store, "f1", openid="o-gone")
    store.erase_personal("o-gone")
    drain(worker(leads_redis, [wecom(server)], clock), clock)
    content = server.ok_requests()[0].json["markdown"]["content"]
    assert FIELDS["phone"] not in content and FIELDS["company"] not in content
    assert FIELDS["need"] in content


def test_bad_worker_settings_are_refused(leads_redis, server, clock):
    with pytest.raises(ValueError):
        worker(leads_redis, [wecom(server), wecom(server)], clock)
    with pytest.raises(ValueError):
        worker(leads_redis, [wecom(server)], clock, max_attempts=0)


def test_parkbot_worker_command_delivers_and_stops_on_sigterm(tmp_path, server):
    """The production entry point, as a real process; its own embedded Redis keeps it apart."""
    import os
    import signal

    from bot.store.connection import connect
    from bot.store.keys import Keys

    data_dir = tmp_path / "var"
    client = connect(None, data_dir, timeout=5)
    store = LeadStore(client, Keys("parkbot"))
    number = submit(store, "cli-form")
    env = {**os.environ, "BOT_DATA_DIR": str(data_dir), "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
           "NOTIFY_WECOM_WEBHOOK": f"{server.url}/cgi-bin/webhook/send?key=k", "PYTHONUNBUFFERED": "1"}
    for name in ("REDIS_URL", "NOTIFY_EMAIL_TO", "SMTP_URL"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--poll", "0.1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.wait_for(1, timeout=30), "no delivery"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, output
    assert "worker stopped" in output
    assert delivered_numbers(server) == {number: 1}
    assert "13912345678" not in output  # logs mask phones; this one should not even appear


def test_start_worker_thread_for_the_dev_server(leads_redis, server, caplog):
    from bot.leads.runner import start_worker_thread
    from tests.support.staff import cli_app

    store = LeadStore(leads_redis.client, leads_redis.keys)
    threads_before = set(threading.enumerate())
    with caplog.at_level(logging.WARNING, logger="bot.leads.runner"):
        idle = start_worker_thread(cli_app(leads_redis.client, leads_redis.keys))  # no channel: nothing runs
    assert set(threading.enumerate()) - threads_before == set()
    assert not any(t.name == "parkbot-notify" for t in threading.enumerate())
    assert [(r.name, r.levelno) for r in caplog.records if "no notification channel" in r.getMessage()] == [
        ("bot.leads.runner", logging.WARNING)]
    idle()
    app = cli_app(leads_redis.client, leads_redis.keys, NOTIFY_WECOM_WEBHOOK=f"{server.url}/send?key=k")
    stop = start_worker_thread(app)
    try:
        number = submit(store, "dev")
        assert server.wait_for(1, timeout=2.0)
    finally:
        stop()
    assert delivered_numbers(server) == {number: 1}
