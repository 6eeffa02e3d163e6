"""A soak: the production shape under steady mixed traffic, with Redis and the staff channel failing mid-run.

    .venv/bin/python benchmarks/soak.py --seconds 600 [--cluster] [--rate 12] [--form-every 8]

Starts, all on loopback: a redis-server (AOF on) on a free port — or, with ``--cluster``, a
Redis Cluster of 3 masters + 3 replicas —, ``gunicorn -w 2 wsgi:app``, one ``parkbot worker``,
and a local stand-in for the WeCom group robot that records what it receives and fails on
demand. Then, for ``--seconds``:

- many users (``--users``) ask questions, search listings and page through results, at a
  steady ``--rate`` requests a second, over signed, encrypted webhook posts;
- a new user fills in the whole form every ``--form-every`` seconds (one sentence, then
  「确认」), each with a phone number of their own; the lead number the bot shows is noted;
- one message in ten is sent twice with the same MsgId, as WeChat retries a slow reply (half
  of them while the first is still being answered); both answers must be the same;
- at 30 % of the run Redis restarts (shut down cleanly, down for 3 s, started again) — with
  ``--cluster``, the master of the leads' slot is killed instead and brought back at 60 %;
- from 45 % to 70 % of the run the staff robot answers every request with HTTP 500.

A user who gets the "system busy" hotline answer during the Redis outage says the same thing
again a second later, as a person would. After the traffic stops the soak waits (bounded) for
the outbox to drain and prints the figures; its last line is

    soak: requests=… non200=… p99_ms=… leads_shown=… leads_delivered=… duplicates=… lost=… rss_growth_mb=…

``lost`` counts leads shown to a user but never delivered to staff, ``duplicates`` deliveries
beyond the first of a lead, ``rss_growth_mb`` the growth of the web workers' and the
notification worker's resident memory from the end of the warm-up (10 % of the run) to the end.
The WeCom robot takes 20 messages a minute, so keep forms below that (the default is 7.5).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from benchmarks.soak_traffic import LEAD, Stats, Traffic  # noqa: E402
from tests.support.capture_server import CaptureServer  # noqa: E402
from tests.support.cluster import LocalCluster, free_ports, start_node, stop  # noqa: E402
from tests.support.wechat import AES_KEY, APP_ID, TOKEN  # noqa: E402

PREFIX = "parkbot-soak"
DRAIN_LIMIT = 420.0  # seconds to wait for the outbox after the traffic: past the worker's 300 s backoff cap


# processes ------------------------------------------------------------------------------------
def free_port() -> int:
    return free_ports(1)[0]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_http(port: int, proc: subprocess.Popen, what: str) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # up, whatever it thinks of Redis
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{what} did not start")
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start in time")


class SingleRedis:
    """A redis-server with AOF on a free port; ``restart`` shuts it down cleanly and starts it again."""

    def __init__(self, workdir: Path):
        self.workdir, self.port = workdir, free_port()
        self.proc = self._start()

    def _start(self) -> subprocess.Popen:
        return start_node(self.port, self.workdir, "--appendonly", "yes", "--appendfsync", "everysec")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=5)

    def fault(self, down_for: float = 3.0) -> str:
        try:
            self.client().shutdown()  # AOF flushed: a restart, not a crash
        except redis.ConnectionError:
            pass
        self.proc.wait(30)
        time.sleep(down_for)
        self.proc = self._start()
        return f"redis restarted (down {down_for:g} s)"

    def heal(self) -> str | None:
        return None

    def stop(self) -> None:
        stop(self.proc)


class ClusterRedis:
    """A local Redis Cluster; the fault kills the master of the leads' slot, ``heal`` brings it back."""

    def __init__(self, workdir: Path):
        self.cluster = LocalCluster(workdir).start()
        self.killed: int | None = None

    @property
    def url(self) -> str:
        return self.cluster.url

    def client(self):
        return redis.RedisCluster.from_url(self.cluster.url, decode_responses=True, socket_timeout=5)

    def fault(self) -> str:
        self.killed = self.cluster.kill_master_of(f"{PREFIX}:{{leads}}:outbox", wait=False)
        return f"cluster master on port {self.killed} killed"

    def heal(self) -> str | None:
        if self.killed is None:
            return None
        self.cluster.wait_failover(f"{PREFIX}:{{leads}}:outbox", self.killed)
        self.cluster.restart(self.killed)
        return f"node {self.killed} back as a replica"

    def stop(self) -> None:
        self.cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="of traffic (faults at fixed shares of it)")
    parser.add_argument("--cluster", action="store_true", help="a local Redis Cluster, a master killed mid-run")
    parser.add_argument("--rate", type=float, default=12.0, help="browsing requests a second, all users together")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--form-every", type=float, default=8.0, help="seconds between whole forms")
    args = parser.parse_args()
    if not 10 <= args.seconds <= 3600 or not 0.5 <= args.rate <= 200 or not 1 <= args.connections <= 32 \
            or args.form_every < 3.1:
        parser.error("need 10 <= --seconds <= 3600, 0.5 <= --rate <= 200, 1 <= --connections <= 32, "
                     "--form-every >= 3.1 (the robot takes 20 a minute)")

    import yaml

    store_down = yaml.safe_load((ROOT / "knowledge" / "messages.yaml").read_text(encoding="utf-8"))["store_down"]
    stats = Stats()
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="parkbot-soak-") as workdir, CaptureServer(hang_seconds=1.0) as robot:
        backend = ClusterRedis(Path(workdir)) if args.cluster else SingleRedis(Path(workdir))
        try:
            env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY,
                   "REDIS_URL": backend.url, "REDIS_PREFIX": PREFIX, "BOT_DATA_DIR": workdir,
                   "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "PYTHONPATH": str(ROOT),
                   "NOTIFY_WECOM_WEBHOOK": f"{robot.url}/cgi-bin/webhook/send?key=soak"}
            env.pop("REDIS_SENTINELS", None)
            env.pop("REDIS_SENTINEL_MASTER", None)
            port = free_port()
            web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                                    "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(web)
            wait_http(port, web, "gunicorn")
            worker = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--poll", "0.2"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(worker)

            started = time.monotonic()
            deadline = started + args.seconds
            traffic = Traffic(port, stats, users=args.users, rate=args.rate, connections=args.connections,
                              form_every=args.form_every, store_down=store_down, deadline=deadline)
            runner = threading.Thread(target=traffic.run, daemon=True)
            runner.start()

            def at(share: float) -> None:
                time.sleep(max(0.0, started + share * args.seconds - time.monotonic()))

            def log(text: str) -> None:
                print(f"[{time.monotonic() - started:7.1f} s] {text}", flush=True)

            at(0.10)
            memory_pids = lambda: children(web.pid) + [worker.pid]  # noqa: E731
            rss_start = rss_mb(memory_pids())
            log(f"warm: rss {rss_start:.1f} MB")
            at(0.30)
            log(backend.fault())
            at(0.45)
            robot.fail_next(10**7, "500")
            log("staff robot down")
            at(0.60)
            healed = backend.heal()
            if healed:
                log(healed)
            at(0.70)
            robot.recover()
            log("staff robot back")
            runner.join(timeout=max(0.0, deadline - time.monotonic()) + 180)
            rss_end = rss_mb(memory_pids())
            log(f"traffic over: {len(stats.latencies)} requests; waiting for the outbox to drain")

            client = backend.client()
            drain_deadline = time.monotonic() + DRAIN_LIMIT
            pending = stored = None
            while time.monotonic() < drain_deadline:
                try:
                    pending = client.xlen(f"{PREFIX}:{{leads}}:outbox")
                    stored = client.zcard(f"{PREFIX}:{{leads}}:index")
                except redis.RedisError:
                    pending = None
                if pending == 0 and _delivered(robot) >= len(stats.shown):
                    break
                time.sleep(1.0)
            log(f"outbox pending: {pending}; leads stored: {stored}")
            time.sleep(2.0)  # room for a late second delivery to show up
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            backend.stop()

    deliveries = Counter()
    for request in robot.ok_requests():
        for number in set(LEAD.findall(request.body.decode("utf-8", "replace"))):
            deliveries[number] += 1
    delivered = set(deliveries)
    duplicates = sum(n - 1 for n in deliveries.values())
    lost = len(stats.shown - delivered)
    for sent, first, again in stats.mismatches[:5]:
        print(f"retry answered differently: {sent!r} -> {str(first)[:60]!r} / {str(again)[:60]!r}")
    latencies = sorted(stats.latencies)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 2 else 0.0
    print(f"soak {'cluster' if args.cluster else 'single redis'}: {args.seconds:g} s, {args.rate:g} req/s browsing, "
          f"a form every {args.form_every:g} s; retried messages answered differently: {stats.retry_mismatch}; "
          f"forms given up: {stats.forms_abandoned}; delivered but never shown: {len(delivered - stats.shown)}; "
          f"deliveries the robot refused during its outage: {sum(r.outcome != 'ok' for r in robot.requests)}")
    print(f"soak: requests={len(latencies)} non200={stats.non200} p99_ms={p99:.0f} leads_shown={len(stats.shown)} "
          f"leads_delivered={len(delivered & stats.shown)} duplicates={duplicates} lost={lost} "
          f"rss_growth_mb={rss_end - rss_start:.1f}")


def _delivered(robot: CaptureServer) -> int:
    numbers = set()
    for request in robot.ok_requests():
        numbers.update(LEAD.findall(request.body.decode("utf-8", "replace")))
    return len(numbers)


if __name__ == "__main__":
    main()
