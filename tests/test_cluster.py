"""Redis Cluster: detection, the key layout, and a master killed in the middle of a conversation.

The store, lead, worker and conversation tests also run whole on the cluster (tests/on_cluster/).
"""
from __future__ import annotations

import inspect
import re
import time

import pytest
import redis
from redis.cluster import RedisCluster

from bot import ConfigError, create_app
from bot.leads.runner import start_worker_thread
from bot.store.connection import connect, get_keys, get_redis
from bot.store.keys import Keys
from tests.conftest import make_config
from tests.support.capture_server import server  # noqa: F401  (fixture)
from tests.support.wechat import AES_KEY, Platform, text_xml

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


def test_a_cluster_node_in_redis_url_is_used_as_a_cluster(redis_cluster, data_dir, prefix, openid):
    app = create_app(make_config(redis_cluster.url, data_dir, prefix))
    client, keys = get_redis(app), get_keys(app)
    assert isinstance(client, RedisCluster)
    # a user's keys share one slot; the shared lead keys share another
    slots = {client.keyslot(k) for k in [*keys.user_keys(openid), keys.lock(openid), keys.dedup(openid, "1")]}
    assert len(slots) == 1
    shared = {client.keyslot(k) for k in (keys.outbox(), keys.lead("L1"), keys.lead_index(), keys.dead_letters(),
                                          keys.funnel("total"), keys.lead_seq("20260101"), keys.rate("wecom"))}
    assert len(shared) == 1


def test_a_plain_server_stays_a_plain_client(redis_url, data_dir):
    client = connect(redis_url, data_dir)
    assert not isinstance(client, RedisCluster)
    assert client.ping()


def test_a_cluster_has_no_database_other_than_0(redis_cluster):
    with pytest.raises(ConfigError, match=r"REDIS_URL .*only database 0"):
        connect(redis_cluster.url.rsplit("/", 1)[0] + "/6", None)


def test_every_per_user_key_is_erased_by_name(openid):
    """A method of Keys that makes a key in the user's slot is listed in user_keys (or is the lock/retry cache)."""
    keys = Keys("p")
    not_erased = {"lock", "dedup", "user"}  # held by the erasing message / expire by themselves / the builder
    listed = set(keys.user_keys(openid))
    for name, method in inspect.getmembers(keys, inspect.ismethod):
        params = list(inspect.signature(method).parameters)
        if name.startswith("_") or name in not_erased or params != ["openid"] or name == "user_keys":
            continue
        key = method(openid)
        if isinstance(key, str) and f"{{{openid}}}" in key:
            assert key in listed, f"Keys.{name} is a per-user key missing from Keys.user_keys"


def _say_until_answered(wechat: Platform, openid: str, text: str, store_down: str, timeout: float = 30) -> str:
    """Send like WeChat: the same MsgId again until a reply that is not the store-down hotline."""
    msg_id = int(time.time() * 1000)
    deadline = time.monotonic() + timeout
    while True:
        reply = wechat.reply(wechat.post(text_xml(openid, text, msg_id)))
        body = reply.get("Content", "") if reply else ""
        if body and body != store_down:
            return body
        assert time.monotonic() < deadline, "the conversation did not come back after the failover"
        time.sleep(0.5)


def test_master_killed_mid_conversation_loses_and_doubles_nothing(redis_cluster, data_dir, prefix, openid, server):
    config = make_config(redis_cluster.url, data_dir, prefix,
                         NOTIFY_WECOM_WEBHOOK=f"{server.url}/cgi-bin/webhook/send?key=k")
    app = create_app(config)
    keys, kb = get_keys(app), app.extensions["parkbot.knowledge"].current()
    msg = kb.messages.render
    store_down = msg("store_down")
    stop_worker = start_worker_thread(app, poll_interval=0.1)
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    killed = []
    try:
        assert msg("ask_need") in wechat.say(openid, "登记")
        assert msg("ask_industry") in wechat.say(openid, "想租2000平厂房")
        # the master of the leads and the outbox dies; so does the user's, when it is the same node
        killed.append(redis_cluster.kill_master_of(keys.outbox(), wait=False))
        assert msg("ask_tax") in _say_until_answered(wechat, openid, "海洋生物", store_down)
        redis_cluster.wait_failover(keys.outbox(), killed[0])
        assert msg("ask_company") in wechat.say(openid, "三百万")
        assert msg("ask_contact") in wechat.say(openid, "青岛海智源生命科技有限公司")
        assert msg("ask_phone") in wechat.say(openid, "王经理")
        assert msg("confirm_footer") in wechat.say(openid, "13912345678")
        done = wechat.say(openid, "确认")
        number = LEAD_NUMBER.search(done).group(0)
        leads = app.extensions["parkbot.leads"]
        assert [lead["number"] for lead in leads.list()] == [number]
        assert server.wait_for(1, timeout=20)
        time.sleep(1.0)  # room for a second delivery, which must not come
        delivered = [r for r in server.ok_requests() if number in r.body.decode("utf-8")]
        assert len(delivered) == 1
        assert leads.stats()["outbox_pending"] == 0
    finally:
        stop_worker()
        for port in killed:
            redis_cluster.restart(port)  # later tests get a cluster with replicas again


def test_scripts_refuse_nothing_on_the_cluster(redis_cluster, prefix, openid):
    """Each script of the store runs on the cluster (a cross-slot key would raise CROSSSLOT)."""
    client = connect(redis_cluster.url, None)
    keys = Keys(prefix)
    from bot.store.funnel import Funnel
    from bot.store.leads import LeadStore
    from bot.store.unanswered import UnansweredLog

    store = LeadStore(client, keys)
    number = store.submit(form_id="f1", openid=openid, fields={"phone": "13912345678"}, listings=[],
                          transcript=[], source="wechat")
    store.set_status(number, "contacted")
    store.alert_handoff(openid=openid, transcript=[], source="wechat", dedup_key="d1")
    assert store.erase_personal(openid) == 1
    Funnel(client, keys).hit("conversations")
    UnansweredLog(client, keys).record("明天会下雨吗", "明天会下雨吗")
    assert store.get(number)["status"] == "contacted"
    node = redis_cluster.node(redis_cluster.master_for(keys.outbox()))
    with pytest.raises(redis.ResponseError, match="CROSSSLOT"):  # the server would have refused a stray key
        node.eval("return redis.call('GET', KEYS[1])", 2, keys.outbox(), keys.state(openid))
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_a_cluster_down_at_start_up_is_used_as_a_cluster_once_it_answers(tmp_path, data_dir, prefix, openid):
    """Whether REDIS_URL is a cluster is known only when it answers: until then, the hotline."""
    from tests.support.cluster import free_ports, start_node, stop
    from tests.support.wechat import Platform

    port = free_ports(1, bus=True)[0]
    app = create_app(make_config(f"redis://127.0.0.1:{port}/0", data_dir, prefix))
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    store_down = app.extensions["parkbot.knowledge"].current().messages.render("store_down")
    started = time.monotonic()
    assert wechat.say(openid, "你好") == store_down
    assert time.monotonic() - started < 5
    node = start_node(port, tmp_path, "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf")
    try:
        redis.Redis(port=port).execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # a one-node cluster
        deadline = time.monotonic() + 10
        while redis.Redis(port=port, decode_responses=True).cluster("info")["cluster_state"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        reply = wechat.say(openid, "你好")
        assert reply and reply != store_down
        assert isinstance(get_redis(app).resolve(), RedisCluster)
        assert get_redis(app).exists(get_keys(app).state(openid))
    finally:
        stop(node)


def test_a_master_that_stops_answering_costs_the_hotline_within_five_seconds(redis_cluster, data_dir, prefix, openid):
    """A frozen master (a partition, not a crash: every command to it times out) stays within the budget."""
    import signal

    app = create_app(make_config(redis_cluster.url, data_dir, prefix))
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    store_down = app.extensions["parkbot.knowledge"].current().messages.render("store_down")
    assert wechat.say(openid, "你好") != store_down
    port = redis_cluster.master_for(get_keys(app).state(openid))
    redis_cluster.procs[port].send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert wechat.say(openid, "你好") == store_down
        assert time.monotonic() - started < 5
    finally:
        redis_cluster.procs[port].send_signal(signal.SIGCONT)

        redis_cluster.wait_healthy()  # its replica may have taken over meanwhile; it rejoins as a replica
    # the frozen node may run the lock it was sent once it resumes: that user waits out the lock's
    # timeout (as after a crashed worker); everyone else is served at once
    assert _say_until_answered(wechat, openid + "-next", "你好", store_down) != store_down


def test_a_whole_cluster_gone_is_redis_down_everywhere(tmp_path, data_dir, prefix, openid):
    """No node answering: the webhook's hotline, the health check's 503, the admin API's 503 — never a 500."""
    from tests.support.cluster import free_ports, start_node, stop

    port = free_ports(1, bus=True)[0]
    node = start_node(port, tmp_path, "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf")
    try:
        redis.Redis(port=port).execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        deadline = time.monotonic() + 10
        while redis.Redis(port=port, decode_responses=True).cluster("info")["cluster_state"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        app = create_app(make_config(f"redis://127.0.0.1:{port}/0", data_dir, prefix, ADMIN_TOKEN="admin-token-1"))
        assert isinstance(get_redis(app), RedisCluster)
    finally:
        stop(node)
    wechat = Platform(app.test_client(), aes_key=AES_KEY)
    store_down = app.extensions["parkbot.knowledge"].current().messages.render("store_down")
    for _ in range(2):  # the first error, and the next message on a client that lost every node
        started = time.monotonic()
        assert wechat.say(openid, "你好") == store_down
        assert time.monotonic() - started < 5
    assert app.test_client().get("/healthz").status_code == 503
    api = app.test_client().get("/admin/api/stats", headers={"Authorization": "Bearer admin-token-1"})
    assert api.status_code == 503
