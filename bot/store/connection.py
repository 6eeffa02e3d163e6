"""The Redis client as a Flask resource (``init_app``): embedded, one server, a Cluster or Sentinel.

- ``REDIS_SENTINELS`` + ``REDIS_SENTINEL_MASTER``: redis-py's Sentinel client; every command
  goes to whichever server the sentinels name as master right now, so a failover costs the
  commands in flight, not a restart.
- ``REDIS_URL`` at a node of a Redis Cluster (``INFO cluster`` says ``cluster_enabled:1``):
  redis-py's cluster client, which follows ``MOVED``/``ASK`` and a replica's promotion. Every
  script and multi-key command of the store touches one hash slot (see ``keys.py``).
- ``REDIS_URL`` at a plain server: a plain client. Unset: the embedded server.

All clients use short timeouts, so a dead Redis costs a second, not the request.
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import urlparse

import redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisClusterException
from redis.commands.core import Script
from redis.connection import Encoder
from redis.sentinel import Sentinel

from bot.config import ConfigError, sentinel_addresses

from .keys import Keys

log = logging.getLogger(__name__)


def _options(timeout: float) -> dict:
    return dict(decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout)


def is_cluster(client: redis.Redis) -> bool:
    """Whether the server behind ``client`` is a Redis Cluster node (``cluster_enabled:1``)."""
    return str(client.info("cluster").get("cluster_enabled", 0)) == "1"


def connect_sentinel(sentinels: str, master: str, timeout: float = 1.0) -> redis.Redis:
    """A client for the current master of ``master``, found (and found again) through the sentinels."""
    options = _options(timeout)
    sentinel = Sentinel(sentinel_addresses(sentinels), sentinel_kwargs={"socket_timeout": timeout,
                                                                      "socket_connect_timeout": timeout},
                        **options)
    return sentinel.master_for(master, **options)


class Cluster(RedisCluster):
    """redis-py's cluster client, with "no node answers" raised as the ``ConnectionError`` it is.

    The client re-reads the slot map after a node fails; when no node answers that, it raises
    a ``RedisClusterException``, which is no ``RedisError``, so every caller that knows what to
    do when Redis is down (the webhook's hotline, the health check, the admin page, the worker's
    backoff) would treat it as a bug.
    """

    def __init__(self, *args, **kwargs):
        try:
            super().__init__(*args, **kwargs)  # reads the slot map a first time
        except RedisClusterException as exc:
            raise redis.ConnectionError(f"no Redis Cluster node answers: {exc}") from exc
        read_slot_map = self.nodes_manager.initialize

        def initialize(*a, **kw):
            try:
                return read_slot_map(*a, **kw)
            except RedisClusterException as exc:
                raise redis.ConnectionError(f"no Redis Cluster node answers: {exc}") from exc

        self.nodes_manager.initialize = initialize


def connect_cluster(redis_url: str, timeout: float = 1.0) -> RedisCluster:
    db = urlparse(redis_url).path.strip("/")
    if db not in ("", "0"):
        raise ConfigError(f"REDIS_URL points at a Redis Cluster, which has only database 0; "
                          f"drop '/{db}' from {redis_url!r}")
    # One retry after a node fails (with the slot map read again): a failover takes seconds, and
    # more retries of a node that does not answer would eat the webhook's 5 s budget; WeChat's
    # own retry, or the user's next message, finds the promoted replica.
    return Cluster.from_url(redis_url, cluster_error_retry_attempts=1, **_options(timeout))


def _from_url(redis_url: str, timeout: float) -> redis.Redis:
    """A plain or a cluster client, whichever the server at ``redis_url`` is; raises RedisError if it is down."""
    client = redis.Redis.from_url(redis_url, health_check_interval=30, **_options(timeout))
    try:
        cluster = is_cluster(client)
    except redis.ResponseError as exc:
        if "cluster mode" not in str(exc):
            return client  # INFO renamed or refused (a managed Redis): not a cluster we can drive
        cluster = True  # SELECT of a database other than 0 on a cluster node: refused below
    except redis.RedisError:
        client.close()
        raise
    if cluster:
        client.close()
        return connect_cluster(redis_url, timeout)
    return client


class UntilReachable:
    """Stands in for the client while Redis was unreachable at start-up.

    Whether ``REDIS_URL`` is one server or a cluster is only known once it answers; until then
    every command raises the connection error (so the webhook answers with the hotline), and
    the first command after Redis is back makes the right client, which then serves for good.
    Scripts registered on this object run through it too.
    """

    def __init__(self, redis_url: str, timeout: float):
        self._url, self._timeout = redis_url, timeout
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()

    def resolve(self) -> redis.Redis:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _from_url(self._url, self._timeout)
                    log.info("Redis at REDIS_URL answered: %s", type(self._client).__name__)
        return self._client

    def register_script(self, script: str) -> Script:
        return Script(self, script)  # resolved at each call: fine before and after Redis answers

    def get_encoder(self) -> Encoder:
        return Encoder("utf-8", "strict", True)  # what _options asks of every client: text in, text out

    def __getattr__(self, name: str):
        return getattr(self.resolve(), name)


class LeanScript:
    """A Lua script run as one EVALSHA on a connection the client's pool hands out.

    redis-py's ``Script`` sends the same command through the client's command layer: an import and a
    Protocol ``isinstance`` per call, the command's options, the response callbacks — about a third
    of the Python a round trip costs (a message's two scripts: some 75 000 of its 3.7 M
    instructions). Here the pool's own checks run as before (the connection connected, nothing left
    unread on it, the health check), the connection's retry policy wraps the command, and an error
    drops the connection as the client would. A script the server no longer knows (a restart, a
    failover) is loaded and run again, as ``Script`` does. On a Redis Cluster, a client
    holding one connection, or any other kind of client, every call goes to the client's ``Script``.
    """

    def __init__(self, client, script: str):
        self._client = client
        self.script = client.register_script(script)
        self._plain: redis.Redis | None = None  # the client when it is a plain one, once known
        self._known = False

    def __call__(self, keys: list | tuple = (), args: list | tuple = ()):
        if not self._known:
            self._resolve()
        client = self._plain
        if client is None:
            return self.script(keys=keys, args=args)
        try:
            return self._evalsha(client, keys, args)
        except NoScriptError:  # its reply was read whole: the connection went back to the pool as is
            self.script.sha = client.script_load(self.script.script)  # as Script does, then once more
            return self._evalsha(client, keys, args)

    def _evalsha(self, client: redis.Redis, keys, args):
        pool = client.connection_pool
        conn = pool.get_connection("EVALSHA")
        try:
            return conn.retry.call_with_retry(lambda: self._run(conn, keys, args),
                                              lambda error: _drop(conn, error))
        finally:
            pool.release(conn)

    def _run(self, conn, keys, args):
        conn.send_command("EVALSHA", self.script.sha, len(keys), *keys, *args)
        return conn.read_response()

    def _resolve(self) -> None:
        client = self._client.resolve() if isinstance(self._client, UntilReachable) else self._client
        # exactly redis.Redis (a Sentinel's master too): a subclass may route commands its own way
        self._plain = client if type(client) is redis.Redis and client.connection is None else None
        self._known = True


def _drop(conn, error: Exception) -> None:
    """What the client does when a command fails on a connection (``Redis._disconnect_raise``)."""
    conn.disconnect()
    if conn.retry_on_error is None or not isinstance(error, tuple(conn.retry_on_error)):
        raise error


def plain_client(client) -> bool:
    """Whether ``client`` talks to one server (or a Sentinel's master) rather than a Redis Cluster;
    resolves a client made before Redis answered (raises while it still does not)."""
    real = client.resolve() if isinstance(client, UntilReachable) else client
    return not isinstance(real, RedisCluster)


def connect(redis_url: str | None, data_dir, timeout: float = 1.0, *, sentinels: str | None = None,
            sentinel_master: str | None = None) -> redis.Redis:
    if sentinels:
        return connect_sentinel(sentinels, sentinel_master or "", timeout)
    if redis_url:
        try:
            return _from_url(redis_url, timeout)
        except redis.RedisError as exc:
            log.warning("Redis at REDIS_URL did not answer (%s); answering with the hotline until it does",
                        type(exc).__name__)
            return UntilReachable(redis_url, timeout)
    from .embedded import socket_path

    return redis.Redis(unix_socket_path=socket_path(data_dir), health_check_interval=30, **_options(timeout))


def init_app(app) -> None:
    cfg = app.config
    client = connect(cfg["REDIS_URL"], cfg["BOT_DATA_DIR"], cfg["REDIS_TIMEOUT"],
                     sentinels=cfg.get("REDIS_SENTINELS"), sentinel_master=cfg.get("REDIS_SENTINEL_MASTER"))
    app.extensions["parkbot.redis"] = client
    app.extensions["parkbot.keys"] = Keys(cfg["REDIS_PREFIX"])


def get_redis(app) -> redis.Redis:
    return app.extensions["parkbot.redis"]


def reachable(client) -> bool:
    """The health ping: does Redis answer now."""
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def get_keys(app) -> Keys:
    return app.extensions["parkbot.keys"]


def atomic(client):
    """A MULTI/EXEC pipeline where the client has transactions; a plain pipeline on a Redis Cluster,
    whose client has none. Only for writes to keys of one slot that do no harm if a crash applies
    part of them (a list trimmed after a push, counters, a hash and its expiry)."""
    real = client.resolve() if isinstance(client, UntilReachable) else client
    return real.pipeline(transaction=not isinstance(real, RedisCluster))
