"""Where one parkbot worker spends its time on the webhook mix: py-spy on a worker under load.

    .venv/bin/python benchmarks/profile_webhook.py [--seconds 15] [--top 30] [--out profile.txt]

Starts ``gunicorn -w 1 wsgi:app`` (embedded Redis unless REDIS_URL is set), loads it with the
realistic mix of ``bench_webhook.py`` through wrk, samples the worker with ``py-spy record``
(``pip install py-spy``; ``--gil`` keeps only samples holding the GIL, the CPU) and prints the functions with the largest share of samples, by total
(inclusive) and by own time. ``--out`` keeps the folded stacks for a flame graph.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import traffic  # noqa: E402
from benchmarks.bench_webhook import drive, free_port, start, write_streams  # noqa: E402
from benchmarks.bench_startup import worker_pid  # noqa: E402
from tests.support.wechat import AES_KEY, APP_ID, TOKEN  # noqa: E402


def summarise(folded: str, top: int) -> None:
    total: Counter = Counter()
    own: Counter = Counter()
    samples = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        samples += n
        frames = [f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].replace(str(ROOT) + "/", "").split(
            "site-packages/")[-1] + ")" if " (" in f else f for f in stack.split(";")]
        for frame in set(frames):
            total[frame] += n
        own[frames[-1]] += n
    print(f"{samples} samples\n\n{'total %':>8}  function (file)")
    for frame, n in total.most_common(top):
        print(f"{100 * n / samples:>8.1f}  {frame}")
    print(f"\n{'own %':>8}  function (file)")
    for frame, n in own.most_common(top):
        print(f"{100 * n / samples:>8.1f}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="keep the folded stacks here")
    parser.add_argument("--gil", action="store_true",
                        help="only samples that hold the GIL: where the CPU goes, not the waits on Redis or the socket")
    args = parser.parse_args()
    per_conn = int(3000 * (args.seconds + 3) * 1.5 / args.connections)
    streams, _ = traffic.conversations(per_conn, args.connections, seed=11, tag="profile")
    load = traffic.encrypt(streams, TOKEN, AES_KEY, APP_ID, first_id=6 * 10**12)
    with tempfile.TemporaryDirectory(prefix="parkbot-profile-") as data_dir:
        from bot.store import embedded

        if not os.environ.get("REDIS_URL"):
            embedded.socket_path(data_dir)
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY,
               "BOT_DATA_DIR": data_dir, "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "PYTHONPATH": str(ROOT)}
        port = free_port()
        write_streams(load, Path(data_dir) / "load")
        proc = start("wsgi:app", port, 1, env)
        try:
            folded = Path(data_dir) / "profile.folded"
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                                    str(worker_pid(proc.pid)), "-d", str(args.seconds + 1), "-r", "200",
                                    "-f", "raw", "-o", str(folded), "--nonblocking", *(["--gil"] if args.gil else [])],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            r = drive(port, load, Path(data_dir) / "load", args.seconds, use_wrk=True)
            spy.wait(60)
            print(f"one worker, {args.connections} connections: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
                  f"p99 {r['p99_ms']:.2f} ms")
            text = folded.read_text()
            if args.out:
                Path(args.out).write_text(text)
            summarise(text, args.top)
        finally:
            proc.terminate()
            proc.wait(30)
            if not os.environ.get("REDIS_URL"):
                embedded.stop(data_dir)


if __name__ == "__main__":
    main()
