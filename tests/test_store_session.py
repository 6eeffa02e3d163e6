"""The Redis storage's message turn: claim + lock + read in one script, save + reply + unlock in another.

What both storages keep alike (saved only by finish, the transcript's length, one message at a time…)
is in test_storage_contract.py."""
from __future__ import annotations

import json
import time

import pytest
import redis
from redis.cluster import RedisCluster

from bot.store.connection import connect
from bot.store.dedup import PENDING, AlreadyClaimed, Claim, ReplyCache, decode
from bot.store.session import LockLost, RedisStateStorage, UserBusy
from tests.support.net import free_port
from tests.support.redis import start_redis_server


def make_storage(client, keys, **options) -> RedisStateStorage:
    return RedisStateStorage(client, keys, state_ttl=3600, transcript_ttl=7200, transcript_len=4, **options)


@pytest.fixture
def storage(redis_client, keys):
    return make_storage(redis_client, keys)


@pytest.fixture
def claim(keys, openid) -> Claim:
    return ReplyCache(None, keys, ttl=60).claim_for(openid, "m1")


def test_finish_saves_state_transcript_and_reply_then_unlocks(storage, redis_client, keys, openid, claim):
    with storage.turn(openid, claim) as session:
        assert session.state.document() == {}
        assert redis_client.exists(keys.lock(openid))
        assert redis_client.get(claim.key) == PENDING
        session.finish({"turn": 1}, [("user", "你好"), ("bot", "您好")], {"text": "您好"})
    assert storage.load(openid).document() == {"turn": 1}
    assert 0 < redis_client.ttl(keys.state(openid)) <= 3600
    assert [t["text"] for t in storage.transcript(openid)] == ["你好", "您好"]
    assert 3600 < redis_client.ttl(keys.transcript(openid)) <= 7200
    assert json.loads(redis_client.get(claim.key)) == {"text": "您好"}
    assert 0 < redis_client.ttl(claim.key) <= 60
    assert not redis_client.exists(keys.lock(openid))
    with storage.turn(openid) as session:
        assert session.state.document() == {"turn": 1}


def test_finish_with_empty_state_deletes_it(storage, redis_client, keys, openid):
    storage.save(openid, {"turn": 3})
    with storage.turn(openid) as session:
        session.finish({})
    assert not redis_client.exists(keys.state(openid))


def test_retry_while_pending_and_after(storage, openid, claim):
    with storage.turn(openid, claim) as session:
        with pytest.raises(AlreadyClaimed) as pending:
            with storage.turn(openid, claim):
                pytest.fail("a retry must not be processed")
        assert pending.value.reply is None
        session.finish({"turn": 1}, reply={"text": "答"})
    with pytest.raises(AlreadyClaimed) as done:
        with storage.turn(openid, claim):
            pytest.fail("a retry must not be processed")
    assert done.value.reply == {"text": "答"}
    assert storage.load(openid).document() == {"turn": 1}


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", '{"turn": "many"}'])
def test_corrupt_state_is_a_fresh_start(storage, redis_client, keys, openid, raw):
    redis_client.set(keys.state(openid), raw)
    with storage.turn(openid) as session:
        assert session.state.document() == {}
        session.finish({"turn": 1})
    assert storage.load(openid).document() == {"turn": 1}


def test_state_and_transcript_of_the_wrong_type_are_replaced(storage, redis_client, keys, openid):
    redis_client.hset(keys.state(openid), "x", "1")
    redis_client.set(keys.transcript(openid), "not a list")
    with storage.turn(openid) as session:
        assert session.state.document() == {}
        session.finish({"turn": 1}, [("user", "hi")])
    assert storage.load(openid).document() == {"turn": 1}
    assert [t["text"] for t in storage.transcript(openid)] == ["hi"]


def test_corrupt_stored_reply_reads_as_none():
    assert decode("{broken") is None and decode("[1]") is None and decode(PENDING) is None and decode(None) is None


def test_busy_user_gives_up_and_releases_its_claim(redis_client, keys, openid, claim):
    storage = make_storage(redis_client, keys, lock_wait=0.2)
    other = redis_client.lock(keys.lock(openid), timeout=10)
    assert other.acquire()
    with pytest.raises(UserBusy):
        with storage.turn(openid, claim):
            pytest.fail("the lock is taken")
    assert not redis_client.exists(claim.key)  # WeChat's next retry gets processed
    assert other.owned()  # someone else's lock is left alone
    other.release()


def test_lock_expires_so_a_crashed_worker_does_not_block_the_user(redis_client, keys, openid):
    storage = make_storage(redis_client, keys, lock_timeout=0.2, lock_wait=2.0)
    storage.turn(openid).__enter__()  # took the lock and never came back
    with storage.turn(openid) as session:
        session.finish({"turn": 1})
    assert storage.load(openid).document() == {"turn": 1}


def test_a_turn_that_outlived_its_lock_writes_nothing(redis_client, keys, openid, claim):
    storage = make_storage(redis_client, keys, lock_timeout=0.2)
    storage.save(openid, {"turn": 1})
    with pytest.raises(LockLost):
        with storage.turn(openid, claim) as slow:
            time.sleep(0.4)
            with storage.turn(openid) as quick:  # another message got the lock meanwhile
                quick.finish({"turn": 2}, [("user", "quick")])
            slow.finish({"turn": 99}, [("user", "slow")], {"text": "slow"})
    assert storage.load(openid).document() == {"turn": 2}
    assert [t["text"] for t in storage.transcript(openid)] == ["quick"]
    assert not redis_client.exists(claim.key)  # no stale reply; a retry processes the message again


def test_an_error_in_the_turn_releases_lock_and_claim(storage, redis_client, keys, openid, claim):
    with pytest.raises(ZeroDivisionError):
        with storage.turn(openid, claim):
            1 / 0
    assert not redis_client.exists(keys.lock(openid))
    assert not redis_client.exists(claim.key)
    with storage.turn(openid, claim) as session:  # the retry is processed
        session.finish({"turn": 1})


def test_leaving_without_finish_unlocks_and_saves_nothing(storage, redis_client, keys, openid):
    with storage.turn(openid):
        pass
    assert not redis_client.exists(keys.lock(openid)) and storage.load(openid).document() == {}


def test_redis_down_mid_turn_raises_a_redis_error_and_recovers(tmp_path, keys, openid):
    port = free_port()
    server = start_redis_server(port, tmp_path)
    try:
        client = connect(f"redis://127.0.0.1:{port}/0", None, timeout=0.5)
        storage = make_storage(client, keys, lock_timeout=0.5)
        claim = Claim(keys.dedup(openid, "m1"), 60)
        with pytest.raises(redis.RedisError):
            with storage.turn(openid, claim) as session:
                server.terminate()
                server.wait(10)
                session.finish({"turn": 1}, [("user", "hi")], {"text": "hi"})
        server = start_redis_server(port, tmp_path)  # empty, and without the scripts: they load again
        with storage.turn(openid, claim) as session:
            session.finish({"turn": 1}, reply={"text": "hi"})
        assert storage.load(openid).document() == {"turn": 1}
    finally:
        server.kill()
        server.wait(10)


def test_redis_down_before_the_turn_raises_a_redis_error(keys, openid):
    client = connect(f"redis://127.0.0.1:{free_port()}/0", None, timeout=0.5)
    with pytest.raises(redis.RedisError):
        with make_storage(client, keys).turn(openid):
            pytest.fail("no store, no turn")


def test_the_turns_counters_are_written_with_it_and_one_that_fails_loses_nothing(storage, redis_client, keys,
                                                                                 openid, claim, caplog):
    good, broken = keys.funnel("test:good"), keys.funnel("test:broken")
    redis_client.set(broken, "not a hash")  # a counter whose key has the wrong type fails on its own

    def count(pipe):
        pipe.hincrby(good, "reached:phone", 2)
        pipe.expire(good, 600)
        pipe.hincrby(broken, "x", 1)
        pipe.zincrby(good + ":z", 1, "园区在哪")
        pipe.hset(good + ":h", "园区在哪", "园区在哪?")
        pipe.hdel(good + ":h", "gone", "also gone")

    with storage.turn(openid, claim) as session:
        session.finish({"turn": 1}, [("user", "你好")], {"text": "您好"}, counts=[count])
    assert redis_client.hgetall(good) == {"reached:phone": "2"}
    assert 0 < redis_client.ttl(good) <= 600
    assert redis_client.zscore(good + ":z", "园区在哪") == 1.0
    assert redis_client.hgetall(good + ":h") == {"园区在哪": "园区在哪?"}
    assert redis_client.get(broken) == "not a hash"
    assert "1 counter(s) not counted" in caplog.text
    assert storage.load(openid).document() == {"turn": 1}  # the turn itself was written whole
    assert json.loads(redis_client.get(claim.key)) == {"text": "您好"}
    assert not redis_client.exists(keys.lock(openid))


def _broken_turn_raises(storage, redis_client, keys, openid, claim, counter) -> None:
    with pytest.raises((AttributeError, TypeError)):
        with storage.turn(openid, claim) as session:
            session.finish({"turn": 1}, [("user", "你好")], {"text": "您好"}, counts=[counter])
    assert storage.load(openid).document() == {}
    assert not redis_client.exists(keys.transcript(openid))
    assert not redis_client.exists(keys.lock(openid))  # let go, as for any error in a turn
    assert not redis_client.exists(claim.key)  # so WeChat's retry is answered


def test_a_broken_counter_raises_and_the_turn_writes_nothing(storage, redis_client, keys, openid, claim):
    """A bug in a counter shows as an error, not as a quietly slower way of counting."""
    _broken_turn_raises(storage, redis_client, keys, openid, claim, lambda pipe: pipe.hincrby(keys.funnel("x")))


def test_where_the_counters_go_is_decided_by_the_client(storage, redis_client, keys, openid, claim):
    """On one server the closing script carries a fixed set of commands, and a counter asking for
    another is a bug that raises; on a Cluster the counters go as a pipeline, which carries any."""
    seen = keys.funnel("test:set")

    def counter(pipe):
        pipe.sadd(seen, "a")

    if isinstance(redis_client, RedisCluster):
        with storage.turn(openid, claim) as session:
            session.finish({"turn": 1}, [("user", "你好")], counts=[counter])
        assert redis_client.smembers(seen) == {"a"}
        assert storage.load(openid).document() == {"turn": 1}
    else:
        _broken_turn_raises(storage, redis_client, keys, openid, claim, counter)
        assert not redis_client.exists(seen)


def test_commands_riding_on_the_opening_give_what_a_pipeline_gives(storage, redis_client, keys, openid, claim):
    """The takeover's look at the user runs inside the opening script: its replies read as a pipeline's."""
    held, recent = keys.takeover(openid), keys.handoffs("recent")
    redis_client.hset(held, mapping={"state": "taken", "by": "staff"})
    redis_client.zadd(recent, {"o-older": 1.0, "o-oldest": 0.5})

    def ahead(pipe):
        pipe.hgetall(held)
        pipe.hgetall(keys.takeover("o-nobody"))
        pipe.zadd(recent, {openid: 1234.5})
        pipe.zremrangebyrank(recent, 0, -3)

    with storage.turn(openid, claim, ahead=ahead) as session:
        assert session.ahead == [{"state": "taken", "by": "staff"}, {}, 1, 1]
        session.finish({"turn": 1})
    assert redis_client.zrange(recent, 0, -1, withscores=True) == [("o-older", 1.0), (openid, 1234.5)]


def test_a_failing_command_on_the_opening_raises_and_leaves_no_lock(storage, redis_client, keys, openid, claim):
    held = keys.takeover(openid)
    redis_client.set(held, "not a hash")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        with storage.turn(openid, claim, ahead=lambda pipe: pipe.hgetall(held)):
            pytest.fail("the turn must not begin")
    assert not redis_client.exists(keys.lock(openid))
    assert not redis_client.exists(claim.key)  # WeChat's retry is answered


@pytest.mark.parametrize("text", ["你好", 'a"b\\c\n\t\x00\u2028 💡', "x" * 600])
def test_a_transcript_line_is_the_json_of_its_fields(storage, text):
    (line,) = storage.entries([("user", text)])
    value = json.loads(line)
    assert line == json.dumps(value, ensure_ascii=False)
    assert value["who"] == "user" and value["text"] == text[:500] and abs(value["t"] - time.time()) < 5
