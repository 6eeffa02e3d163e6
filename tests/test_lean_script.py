"""The turn's scripts run as one EVALSHA on a pooled connection (bot/store/connection.py LeanScript):
the same replies, errors and recovery as redis-py's Script, with less Python around the socket."""
from __future__ import annotations

import pytest
import redis

from bot.store.connection import LeanScript

ECHO = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}"
FAILS = "return redis.error_reply('ERR refused by the script')"


def test_runs_on_the_pool_not_the_command_layer(redis_client, monkeypatch):
    script = LeanScript(redis_client, ECHO)
    # the client's own command path is not taken: a plain client's scripts go straight to a connection
    monkeypatch.setattr(redis_client, "evalsha", lambda *a, **k: pytest.fail("went through the client"))
    assert script(keys=["k"], args=["v", 41]) == ["k", "v", 42]
    assert redis_client.connection_pool._in_use_connections == set()  # the connection went back


def test_a_script_the_server_lost_is_loaded_again(redis_client):
    script = LeanScript(redis_client, ECHO)
    assert script(keys=["k"], args=["v", 1]) == ["k", "v", 2]
    redis_client.script_flush()  # a restarted server, or a replica promoted, knows no scripts
    assert script(keys=["k"], args=["v", 2]) == ["k", "v", 3]
    assert redis_client.script_exists(script.script.sha) == [True]


def test_an_error_of_the_script_is_raised_and_the_connection_kept(redis_client):
    script = LeanScript(redis_client, FAILS)
    with pytest.raises(redis.ResponseError, match="refused by the script"):
        script(keys=["k"])
    assert LeanScript(redis_client, ECHO)(keys=["k"], args=["v", 0]) == ["k", "v", 1]


def test_a_broken_connection_is_dropped_and_the_next_call_reconnects(redis_client, monkeypatch):
    script = LeanScript(redis_client, ECHO)
    script(keys=["k"], args=["v", 0])
    conn = redis_client.connection_pool.get_connection("PING")
    redis_client.connection_pool.release(conn)

    def broken(*args, **kwargs):
        raise redis.ConnectionError("the socket closed")

    monkeypatch.setattr(conn, "read_response", broken)
    with pytest.raises(redis.ConnectionError):
        script(keys=["k"], args=["v", 0])
    assert conn._sock is None  # dropped, not handed out again half read
    monkeypatch.undo()
    assert script(keys=["k"], args=["v", 5]) == ["k", "v", 6]


def test_a_client_holding_one_connection_uses_redis_pys_script(redis_client, monkeypatch):
    single = redis.Redis(connection_pool=redis_client.connection_pool, single_connection_client=True)
    script = LeanScript(single, ECHO)
    calls = []
    evalsha = single.evalsha
    monkeypatch.setattr(single, "evalsha", lambda *a, **k: calls.append(a) or evalsha(*a, **k))
    assert script(keys=["k"], args=["v", 1]) == ["k", "v", 2]
    assert calls  # its one connection is the client's, not the pool's to hand out
    single.close()
