"""Webhook throughput on a realistic message mix: parkbot, the floor app and WeRoBot, all under
the same gunicorn settings, in one invocation.

    .venv/bin/python benchmarks/bench_webhook.py [--workers 2] [--seconds 10] [--connections 16]

The traffic (``traffic.py``) is simulated users on visits -- fresh question wordings, listing
searches, whole forms step by step, greetings and menu digits -- as encrypted WeChat messages
with distinct MsgIds. Each connection carries its own users, so one user's turns are sent in
order while many users are served at once. Prints req/s, p50/p99, CPU per message (the app's
gunicorn processes, and the Redis server's) and the ratios parkbot/floor and parkbot/WeRoBot.

* floor -- Flask + wechatpy doing only signature, decrypt, parse, a fixed reply and encrypt;
* WeRoBot -- an echo bot with WeRoBot's Redis session storage (``werobot_app.py``; install
  with ``pip install -e '.[bench]'``);
* parkbot -- ``wsgi:app``, answering;
* before (``--before DIR``) -- parkbot as in another copy of the project, e.g. the commit before a
  change (``git archive REV | tar -x -C DIR``), with its own keys on the same Redis.

Uses the embedded Redis unless REDIS_URL is set; all three apps use the same server. The load
comes from ``wrk`` (``apt-get install wrk``; one thread per connection, ``wrk_users.lua``): a
Python load generator needs about as much CPU per request as the floor app itself and on a
small machine steals the cores from whichever app is faster. ``--loadgen python`` uses
``loadgen.py`` anyway. The apps stay up side by side and take turns under load (``--rounds``
slices each, the order rotating), so a change in the machine's background load hits all
alike; in each round all get the same requests, never sent twice to one app nor shared with
the warm-up. Before the load, a few users are played through each app and their replies
decrypted: each form must end in a submitted lead, or the mix is not exercising parkbot.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import traffic  # noqa: E402
from benchmarks.loadgen import run  # noqa: E402
from tests.support.wechat import AES_KEY, APP_ID, TOKEN  # noqa: E402

APPS = {"floor": "benchmarks.floor_app:app", "werobot": "benchmarks.werobot_app:app", "parkbot": "wsgi:app"}
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(target: str, port: int, workers: int, env: dict, root: Path = ROOT) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
           target]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except urllib.error.HTTPError:
            return proc  # the floor app has no /healthz: a 404 (or WeRoBot's 403) means it is up
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{target} did not start:\n{proc.stderr.read().decode()}")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{target} did not start in time")


def children(master: int) -> list[int]:
    """The live processes whose parent is ``master`` (a gunicorn master's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry))
    return found


def cpu_seconds(master: int) -> float:
    """user + system time of a gunicorn master and its live workers."""
    pids = [master, *children(master)]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICK


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def write_streams(streams, prefix: Path) -> None:
    for k, stream in enumerate(streams):
        with open(f"{prefix}-{k}.bin", "wb") as f:
            for target, body in stream:
                f.write(target.encode() + b"\n" + body + b"\0")


def drive(port: int, streams, prefix: Path, seconds: float, use_wrk: bool, strict: bool = True) -> dict:
    if use_wrk:
        out = subprocess.run(["wrk", f"-t{len(streams)}", f"-c{len(streams)}", f"-d{seconds:g}s", "--timeout", "10s",
                              "-s", str(ROOT / "benchmarks" / "wrk_users.lua"), f"http://127.0.0.1:{port}", "--",
                              str(prefix)], capture_output=True, text=True, check=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
        r = json.loads(line[len("WRKJSON "):])
        r = {"requests": r["requests"], "errors": r["errors"], "rps": r["requests"] / (r["duration_us"] / 1e6),
             "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "ran_out": r["ran_out"]}
    else:
        r = run(port, streams, seconds)
    if strict and r["ran_out"]:
        raise SystemExit(f"{r['ran_out']} connections ran out of prepared messages: raise the count")
    return r


def play(port: int, stream: list[tuple[str, bytes]]) -> list[str]:
    """Send one stream in order and decrypt each reply's text."""
    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    texts = []
    for target, body in stream:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{target}", data=body,
                                     headers={"Content-Type": "text/xml"})
        raw = urllib.request.urlopen(req, timeout=10).read()
        outer = xmltodict.parse(raw)["xml"]
        inner = crypto.decrypt_message(raw, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        texts.append(xmltodict.parse(inner)["xml"].get("Content") or "")
    return texts


def check_replies(ports: dict) -> None:
    """A few users through each app: echoes echo, and every parkbot form ends in a lead."""
    import yaml

    submitted = yaml.safe_load((ROOT / "knowledge/messages.yaml").read_text(encoding="utf-8"))["submitted"]
    submitted = submitted.split("{")[0]
    streams, _ = traffic.conversations(30, 3, seed=999, tag="check")
    # forms are about one visit in fourteen, so a short draw may hold none: each check stream ends in one
    rng = random.Random(999)
    for k, stream in enumerate(streams):
        stream += [(f"obench-check-form-{k:03d}", what, text) for what, text in traffic.form_visit(10**8 + k, rng)]
    plain = [[text for _, _, text in s] for s in streams]
    encrypted = traffic.encrypt(streams, TOKEN, AES_KEY, APP_ID, first_id=9 * 10**12)
    forms = 0
    for name, port in ports.items():
        for k, stream in enumerate(encrypted):
            replies = play(port, stream)
            if name == "werobot" and replies != plain[k]:
                raise SystemExit("WeRoBot did not echo")
            if name == "parkbot":
                for (_, kind, text), reply in zip(streams[k], replies):
                    if text == "确认" and kind == "form":
                        forms += 1
                        if submitted not in reply:
                            raise SystemExit(f"a form did not end in a lead; the reply to 确认 was:\n{reply}")
    if not forms:
        raise SystemExit("the check users walked no form")


def combine(slices: list[dict]) -> dict:
    """Rounds added up: req/s over the time under load; latencies averaged weighted by requests."""
    total = sum(r["requests"] for r in slices)
    return {"requests": total, "errors": sum(r["errors"] for r in slices),
            "rps": total / sum(r["requests"] / r["rps"] for r in slices),
            "p50_ms": sum(r["p50_ms"] * r["requests"] for r in slices) / total,
            "p99_ms": sum(r["p99_ms"] * r["requests"] for r in slices) / total,
            "cpu_ms": 1000 * sum(r["cpu"] for r in slices) / total,
            "redis_ms": 1000 * sum(r["redis_cpu"] for r in slices) / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="under load, per app")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="alternate the apps this many times")
    parser.add_argument("--max-rps", type=int, default=6000, help="more than any app can take (sizes the streams)")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also parkbot as in another copy of the project (git archive REV | tar -x -C DIR), "
                             "as a fourth app 'before' in the same rounds: a change measured against the code before it")
    parser.add_argument("--loadgen", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    use_wrk = args.loadgen == "wrk"
    slice_seconds = max(1, round(args.seconds / args.rounds))  # wrk takes whole seconds
    per_conn = int(args.max_rps * slice_seconds * 1.5 / args.connections) + 50
    t0 = time.perf_counter()
    warm_streams, _ = traffic.conversations(int(args.max_rps * 2 * 1.5 / args.connections), args.connections,
                                            seed=1, tag="warm")
    warmup = traffic.encrypt(warm_streams, TOKEN, AES_KEY, APP_ID, first_id=10**12)
    rounds, shares = [], None
    for i in range(args.rounds):
        streams, counted = traffic.conversations(per_conn, args.connections, seed=2 + i, tag=f"r{i}")
        shares = counted if shares is None else shares + counted
        rounds.append(traffic.encrypt(streams, TOKEN, AES_KEY, APP_ID, first_id=(2 + i) * 10**12))
    prepared = time.perf_counter() - t0
    apps = {**APPS, **({"before": "wsgi:app"} if args.before else {})}
    results: dict[str, list[dict]] = {name: [] for name in apps}
    with tempfile.TemporaryDirectory(prefix="parkbot-bench-") as data_dir:
        import redis

        from bot.store import embedded

        redis_url = os.environ.get("REDIS_URL") or f"unix://{embedded.socket_path(data_dir)}"
        store = redis.Redis.from_url(redis_url)
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY,
               "BOT_DATA_DIR": data_dir, "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "PYTHONPATH": str(ROOT),
               "BENCH_REDIS_URL": redis_url}
        ports = {name: free_port() for name in apps}
        work = Path(data_dir)
        write_streams(warmup, work / "warm")
        for i, load in enumerate(rounds):
            write_streams(load, work / f"round{i}")
        procs = {}
        try:
            for name, target in APPS.items():
                procs[name] = start(target, ports[name], args.workers, env)
            if args.before:  # its own keys (and data directory) on the same Redis server
                before_dir = Path(data_dir) / "before"
                before_dir.mkdir()
                procs["before"] = start("wsgi:app", ports["before"], args.workers, {
                    **env, "PYTHONPATH": str(args.before.resolve()), "KNOWLEDGE_DIR": str(args.before.resolve() / "knowledge"),
                    "BOT_DATA_DIR": str(before_dir), "REDIS_URL": redis_url, "REDIS_PREFIX": "bench-before"},
                    root=args.before.resolve())
            check_replies(ports)
            for name in apps:  # imports, matcher build, connections; repeats are fine here
                drive(ports[name], warmup, work / "warm", 2, use_wrk, strict=False)
            # all stay up and take turns, so a change in the machine's background load hits all alike
            names = list(apps)
            for i, load in enumerate(rounds):
                for name in names[i % len(names):] + names[:i % len(names)]:
                    cpu0, rcpu0 = cpu_seconds(procs[name].pid), redis_cpu(store)
                    r = drive(ports[name], load, work / f"round{i}", slice_seconds, use_wrk)
                    r["cpu"], r["redis_cpu"] = cpu_seconds(procs[name].pid) - cpu0, redis_cpu(store) - rcpu0
                    results[name].append(r)
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()  # a worker stuck in exit handlers must not lose the figures
                    proc.wait(10)
            if not os.environ.get("REDIS_URL"):
                # left behind in a deleted directory the server spins trying to save, and slows
                # every later run on the machine
                embedded.stop(data_dir)
    combined = {name: combine(slices) for name, slices in results.items()}
    total = sum(shares.values())
    print(f"gunicorn -w {args.workers}, {args.connections} connections, {slice_seconds * args.rounds} s each "
          f"in {args.rounds} rotating rounds, redis: {os.environ.get('REDIS_URL') or 'embedded'}, "
          f"load: {args.loadgen}; {total} messages prepared in {prepared:.0f} s")
    print("mix: " + ", ".join(f"{kind} {100 * n / total:.0f}%" for kind, n in shares.most_common()))
    print(f"{'app':<9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/msg':>12}{'Redis ms/msg':>14}{'errors':>8}")
    for name, r in combined.items():
        print(f"{name:<9}{r['rps']:>8.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['cpu_ms']:>12.3f}"
              f"{r['redis_ms']:>14.3f}{r['errors']:>8}")
    pairs = [("parkbot", "floor"), ("parkbot", "werobot")]
    if "before" in combined:
        pairs += [("before", "floor"), ("before", "werobot"), ("parkbot", "before")]
    for one, other in pairs:
        per_round = " ".join(f"{b['rps'] / o['rps']:.2f}" for o, b in zip(results[other], results[one]))
        print(f"ratio {one}/{other} (req/s): {combined[one]['rps'] / combined[other]['rps']:.2f}  (rounds: {per_round})")


if __name__ == "__main__":
    main()
