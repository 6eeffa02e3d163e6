"""The Redis client as a Flask resource (``init_app``), embedded or from ``REDIS_URL``."""
from __future__ import annotations

import redis

from .keys import Keys


def connect(redis_url: str | None, data_dir, timeout: float = 1.0) -> redis.Redis:
    """A client with short timeouts, so a dead Redis costs a second, not the request."""
    options = dict(
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )
    if redis_url:
        return redis.Redis.from_url(redis_url, **options)
    from .embedded import socket_path

    return redis.Redis(unix_socket_path=socket_path(data_dir), **options)


def init_app(app) -> None:
    cfg = app.config
    client = connect(cfg["REDIS_URL"], cfg["BOT_DATA_DIR"], cfg["REDIS_TIMEOUT"])
    app.extensions["parkbot.redis"] = client
    app.extensions["parkbot.keys"] = Keys(cfg["REDIS_PREFIX"])


def get_redis(app) -> redis.Redis:
    return app.extensions["parkbot.redis"]


def get_keys(app) -> Keys:
    return app.extensions["parkbot.keys"]
