"""Webhook throughput: parkbot vs the floor app, both under gunicorn, in one invocation.

    .venv/bin/python benchmarks/bench_webhook.py [--workers 2] [--seconds 10] [--connections 8]

Posts encrypted text messages with distinct MsgIds from many users (real FAQ questions, so
the matcher and the dialogue run), and prints req/s, p50/p99 and the ratio parkbot/floor.
Uses the embedded Redis unless REDIS_URL is set.

The load comes from ``wrk`` (one thread, ``wrk_cycle.lua``) when it is installed
(``apt-get install wrk``): a Python load generator needs about as much CPU per request as
the floor app itself, and on a small machine it steals the cores from whichever app is
faster, compressing the ratio. ``--loadgen python`` uses ``loadgen.py`` anyway.
Both apps run side by side under gunicorn and take turns under load (``--rounds`` slices
each), so a change in the machine's background load hits both alike; in each round both get
the same requests (same users, questions and MsgIds, never sent twice to one app nor shared
with the warm-up). p50/p99 are the rounds' figures averaged, weighted by requests.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import run  # noqa: E402
from tests.support.wechat import AES_KEY, APP_ID, TOKEN, sign, text_xml  # noqa: E402

QUESTIONS = ["工研院是干嘛的", "高新区全国排第几", "国际客厅在哪", "有啥优惠政策不", "外资企业有多少家",
             "主导产业是什么", "海克斯康是做什么的", "你好", "求租800平左右厂房", "明天会下雨吗"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(count: int, first_id: int = 10**12) -> list[tuple[str, bytes]]:
    from wechatpy.crypto import WeChatCrypto
    import xmltodict

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    out = []
    timestamp = str(int(time.time()))
    for i in range(count):
        nonce = uuid.uuid4().hex[:10]
        xml = text_xml(f"bench-user-{i % 500}", QUESTIONS[i % len(QUESTIONS)], msg_id=first_id + i)
        body = crypto.encrypt_message(xml, nonce, timestamp)
        encrypted = xmltodict.parse(body)["xml"]["Encrypt"]
        query = (f"signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
                 f"&encrypt_type=aes&msg_signature={sign(TOKEN, timestamp, nonce, encrypted)}")
        out.append((f"/wechat?{query}", body.encode()))
    return out


def start(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
           target]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except urllib.error.HTTPError:
            return proc  # the floor app has no /healthz: a 404 means it is up
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{target} did not start:\n{proc.stderr.read().decode()}")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{target} did not start in time")


def run_wrk(port: int, requests: list[tuple[str, bytes]], connections: int, seconds: float, workdir: str,
            strict: bool = True) -> dict:
    path = Path(workdir) / f"requests-{port}.bin"
    with open(path, "wb") as f:
        for target, body in requests:
            f.write(target.encode() + b"\n" + body + b"\0")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                          "-s", str(ROOT / "benchmarks" / "wrk_cycle.lua"), f"http://127.0.0.1:{port}", "--", str(path)],
                         capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    r = json.loads(line[len("WRKJSON "):])
    if strict and r["requests"] > len(requests):
        raise SystemExit(f"wrk sent {r['requests']} requests but only {len(requests)} were made: raise the count")
    return {"requests": r["requests"], "errors": r["errors"], "rps": r["requests"] / (r["duration_us"] / 1e6),
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000}


def drive(port: int, requests: list, connections: int, seconds: float, use_wrk: bool, workdir: str,
          strict: bool = True) -> dict:
    if use_wrk:
        return run_wrk(port, requests, connections, seconds, workdir, strict)
    return run(port, requests, connections, seconds)


def combine(slices: list[dict]) -> dict:
    """Rounds added up: req/s over the time under load; latencies averaged weighted by requests."""
    total = sum(r["requests"] for r in slices)
    return {"requests": total, "errors": sum(r["errors"] for r in slices),
            "rps": total / sum(r["requests"] / r["rps"] for r in slices),
            "p50_ms": sum(r["p50_ms"] * r["requests"] for r in slices) / total,
            "p99_ms": sum(r["p99_ms"] * r["requests"] for r in slices) / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="under load, per app")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="alternate the apps this many times")
    parser.add_argument("--loadgen", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    use_wrk = args.loadgen == "wrk"
    slice_seconds = args.seconds / args.rounds
    per_round = int(slice_seconds * 8000) + 1000  # more than either app can take: no message is sent twice
    warmup = prepare(3000, first_id=10**12)
    rounds = [prepare(per_round, first_id=(2 + i) * 10**12) for i in range(args.rounds)]
    results: dict[str, list[dict]] = {"floor": [], "parkbot": []}
    with tempfile.TemporaryDirectory(prefix="parkbot-bench-") as data_dir:
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY,
               "BOT_DATA_DIR": data_dir, "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "PYTHONPATH": str(ROOT)}
        apps = {"floor": "benchmarks.floor_app:app", "parkbot": "wsgi:app"}
        ports = {name: free_port() for name in apps}
        procs = {}
        try:
            for name, target in apps.items():
                procs[name] = start(target, ports[name], args.workers, env)
                # imports, matcher build, connections; repeats are fine here
                drive(ports[name], warmup, args.connections, 2.0, use_wrk, data_dir, strict=False)
            # both stay up and take turns, so a change in the machine's background load hits both alike
            for load in rounds:
                for name in apps:
                    results[name].append(drive(ports[name], load, args.connections, slice_seconds, use_wrk, data_dir))
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()  # a worker stuck in exit handlers must not lose the figures
                    proc.wait(10)
            if not os.environ.get("REDIS_URL") and "parkbot" in procs:
                # the workers' embedded server outlives them; left behind in a deleted directory it
                # spins trying to save, and slows every later run on the machine
                from bot.store import embedded

                embedded.socket_path(data_dir)
                embedded.stop(data_dir)
    floor, bot = combine(results["floor"]), combine(results["parkbot"])
    ratios = " ".join(f"{b['rps'] / f['rps']:.2f}" for f, b in zip(results["floor"], results["parkbot"]))
    print(f"gunicorn -w {args.workers}, {args.connections} connections, {args.seconds:g} s each "
          f"in {args.rounds} alternating rounds, "
          f"redis: {os.environ.get('REDIS_URL') or 'embedded'}, load: {args.loadgen}")
    print(f"{'app':<8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, r in (("floor", floor), ("parkbot", bot)):
        print(f"{name:<8}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['errors']:>8}")
    print(f"ratio parkbot/floor (req/s): {bot['rps'] / floor['rps']:.2f}  (rounds: {ratios})")


if __name__ == "__main__":
    main()
