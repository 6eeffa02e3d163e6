"""CPU per message of the webhook in one process, without an HTTP server: the bot's own cost,
comparable between two copies of the code whatever else the machine is doing.

    .venv/bin/python benchmarks/cpu_webhook.py [--messages 3000] [--rounds 3] [--before DIR] [--callgrind]

The messages are the webhook benchmark's mix (``traffic.py``: questions, listing searches,
forms step by step, greetings and digits), encrypted and signed as WeChat sends them. Each
copy of the code (this one, and ``--before DIR``, e.g. ``git archive REV | tar -x -C DIR``)
runs in a fresh process of its own: ``create_app()``, a warm-up of other users, then every
measured message through the Flask app's WSGI callable, one after the other (each user's turns
in order), timed with ``time.process_time`` (this process's CPU, not the Redis server's, which
is reported apart from ``INFO cpu``). The copies alternate for ``--rounds`` rounds, so the
machine's background load falls on both alike; each round's users are new to both.

``--callgrind`` counts instructions too (``valgrind --tool=callgrind``, collecting only while
the measured messages are answered): the same figure on a busy machine as on a quiet one, so a small
change shows. About 50 times slower: keep ``--messages`` to a few hundred. ``--keep DIR`` keeps each
run's callgrind output there (``callgrind_annotate DIR/now-0.out``: the instructions per C function).

``--cprofile DIR`` runs each copy under ``cProfile`` (Python functions, own and inclusive; the
profiler's own cost inflates the times of many small calls, so read it for where, not how much)
and keeps ``DIR/<copy>-<round>.pstats``; the top lines are printed.

Uses an embedded Redis of its own (each copy its own key prefix) unless REDIS_URL is set.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(path: Path, messages: int, warm: int, rounds: int) -> None:
    """The warm-up and each round's messages, as (target, body) in the order they are sent."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import traffic
    from tests.support.wechat import AES_KEY, APP_ID, TOKEN

    def interleaved(count: int, seed: int, tag: str, first_id: int) -> list[tuple[str, bytes]]:
        streams, _ = traffic.conversations(count // 8 + 1, 8, seed=seed, tag=tag)
        encrypted = traffic.encrypt(streams, TOKEN, AES_KEY, APP_ID, first_id=first_id)
        # round robin over the streams, as eight connections would send them; one user's turns stay in order
        out = [req for group in zip(*encrypted) for req in group]
        return out[:count]

    load = {"warm": interleaved(warm, 1, "warm", 10**12),
            "rounds": [interleaved(messages, 2 + i, f"r{i}", (2 + i) * 10**12) for i in range(rounds)]}
    path.write_bytes(pickle.dumps(load))


def child(tree: Path, load_path: Path, round_no: int, callgrind: bool, cprofile: Path | None = None) -> None:
    """One copy of the code answering the prepared messages; prints its figures as JSON."""
    sys.path.insert(0, str(tree))
    from werkzeug.test import EnvironBuilder

    from bot.app import create_app

    load = pickle.loads(load_path.read_bytes())
    app = create_app()
    redis_client = app.extensions["parkbot.storage"].r

    def environs(reqs):
        out = []
        for target, body in reqs:
            path, _, query = target.partition("?")
            out.append(EnvironBuilder(path=path, query_string=query, method="POST", data=body,
                                      content_type="text/xml").get_environ())
        return out

    def answer(envs) -> int:
        failed = 0
        for env in envs:
            status = []
            body = app(env, lambda s, h, exc_info=None: status.append(s))
            for _ in body:
                pass
            if hasattr(body, "close"):
                body.close()
            failed += not status[0].startswith("200")
        return failed

    if answer(environs(load["warm"])):
        raise SystemExit("the warm-up messages were not all answered with 200")
    envs = environs(load["rounds"][round_no])
    redis_before = _redis_cpu(redis_client)
    cpu0 = time.process_time()
    # under callgrind, collection is on only inside sys.call_tracing (a C function nothing else calls);
    # with no tracer set it adds nothing to the calls it makes
    if cprofile is not None:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on Redis
        failed = profiler.runcall(answer, envs)
        profiler.dump_stats(cprofile)
    else:
        failed = sys.call_tracing(answer, (envs,)) if callgrind else answer(envs)
    cpu = time.process_time() - cpu0
    print("CPUJSON " + json.dumps({"cpu_ms": 1000 * cpu / len(envs), "failed": failed, "messages": len(envs),
                                   "redis_ms": 1000 * (_redis_cpu(redis_client) - redis_before) / len(envs)}))


def _redis_cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def run_one(tree: Path, load_path: Path, round_no: int, work: Path, name: str, redis_url: str,
            callgrind: bool, keep: Path | None = None, cprofile: Path | None = None) -> dict:
    data_dir = work / f"{name}-{round_no}"
    data_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tree), "KNOWLEDGE_DIR": str(tree / "knowledge"),
           "BOT_DATA_DIR": str(data_dir), "REDIS_URL": redis_url, "REDIS_PREFIX": f"cpu-{name}-{round_no}",
           # the messages are signed once, before all the runs: under valgrind the last ones start after
           # WeChat's five minutes (0 turns the replay check off)
           "WECHAT_TIMESTAMP_WINDOW": "0"}
    from tests.support.wechat import AES_KEY, APP_ID, TOKEN

    env.update(WECHAT_TOKEN=TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(tree), "--load", str(load_path),
           "--round", str(round_no)]
    out_file = data_dir / "callgrind.out"
    if cprofile is not None:
        cprofile.mkdir(parents=True, exist_ok=True)
        cmd += ["--cprofile", str(cprofile.resolve() / f"{name}-{round_no}.pstats")]
    if callgrind:
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=sys_call_tracing*",
               f"--callgrind-out-file={out_file}", *cmd, "--callgrind"]
        env["PYTHONHASHSEED"] = "0"  # the same sets and dicts in the same order, run after run
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("CPUJSON ")), None)
    if line is None:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(line[len("CPUJSON "):])
    if result["failed"]:
        raise SystemExit(f"{name}: {result['failed']} of {result['messages']} messages were not answered with 200")
    if callgrind:
        result["instructions"] = _instructions(data_dir) / result["messages"]
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for i, dump in enumerate(sorted(data_dir.glob("callgrind.out*"))):
                shutil.copy(dump, keep / f"{name}-{round_no}{f'-{i}' if i else ''}.out")
    return result


def _print_profiles(folder: Path, results: dict, top: int, messages: int) -> None:
    """Each copy's functions by inclusive and by own time, in microseconds a message (under the profiler)."""
    import pstats

    for name in results:
        stats = pstats.Stats(*(str(p) for p in sorted(folder.glob(f"{name}-*.pstats"))))
        rows = [(ct, tt, nc, func) for func, (cc, nc, tt, ct, _) in stats.stats.items()]
        total = max(ct for ct, _, _, _ in rows)
        per = 1e6 / (messages * len(results[name]))
        for title, key in (("inclusive", 0), ("own", 1)):
            print(f"\n{name}: by {title} time (us a message under cProfile; % of the whole)")
            for row in sorted(rows, key=lambda r: r[key], reverse=True)[:top]:
                ct, tt, nc, (file, line, fn) = row
                where = file.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
                print(f"{ct * per:>9.1f} {tt * per:>8.1f} {100 * row[key] / total:>6.1f}% {nc / (messages * len(results[name])):>7.2f}/msg"
                      f"  {fn} ({where}:{line})")


def _instructions(data_dir: Path) -> int:
    """Instructions collected (the measured messages only), all threads."""
    total = 0
    for dump in data_dir.glob("callgrind.out*"):
        match = re.search(r"^totals:\s+(\d+)", dump.read_text(errors="replace"), re.M)
        total += int(match.group(1)) if match else 0
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="measured per copy and round")
    parser.add_argument("--warm", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, metavar="DIR", help="another copy of the project to compare")
    parser.add_argument("--callgrind", action="store_true", help="count instructions under valgrind")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="with --callgrind: keep each run's output here")
    parser.add_argument("--cprofile", type=Path, metavar="DIR", help="profile each copy with cProfile, stats kept here")
    parser.add_argument("--top", type=int, default=40, help="with --cprofile: lines printed")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.load, args.round, args.callgrind, args.cprofile)
    trees = {"now": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="parkbot-cpu-") as tmp:
        work = Path(tmp)
        load_path = work / "load.pickle"
        prepare(load_path, args.messages, args.warm, args.rounds)
        sys.path.insert(0, str(ROOT))
        from bot.store import embedded

        redis_url = os.environ.get("REDIS_URL") or f"unix://{embedded.socket_path(work / 'redis')}"
        started = time.strftime("%H:%M UTC", time.gmtime())
        try:
            names = list(trees)
            for i in range(args.rounds):
                for name in names[i % len(names):] + names[:i % len(names)]:
                    r = run_one(trees[name], load_path, i, work, name, redis_url, args.callgrind, args.keep,
                                args.cprofile)
                    results[name].append(r)
                    extra = f", {r['instructions'] / 1e6:.2f} M instructions" if args.callgrind else ""
                    print(f"round {i} {name:<7} {r['cpu_ms']:.3f} ms CPU/msg (Redis {r['redis_ms']:.3f}){extra}",
                          flush=True)
        finally:
            if not os.environ.get("REDIS_URL"):
                embedded.stop(work / "redis")
    load = os.getloadavg()
    print(f"\n{args.messages} messages per copy and round, {args.rounds} rounds, started {started}, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for name, rs in results.items():
        cpu = [r["cpu_ms"] for r in rs]
        line = (f"{name:<7} CPU ms/msg median {statistics.median(cpu):.3f} (min {min(cpu):.3f}, max {max(cpu):.3f}); "
                f"Redis {statistics.median(r['redis_ms'] for r in rs):.3f}")
        if args.callgrind:
            line += f"; {statistics.median(r['instructions'] for r in rs) / 1e6:.3f} M instructions/msg"
        print(line)
    if args.cprofile:
        _print_profiles(args.cprofile, results, args.top, args.messages)
    if "before" in results:
        ratios = [n["cpu_ms"] / b["cpu_ms"] for n, b in zip(results["now"], results["before"])]
        print(f"now/before CPU per round: {' '.join(f'{r:.2f}' for r in ratios)} "
              f"(median {statistics.median(ratios):.2f})")
        if args.callgrind:
            ratios = [n["instructions"] / b["instructions"] for n, b in zip(results["now"], results["before"])]
            print(f"now/before instructions per round: {' '.join(f'{r:.3f}' for r in ratios)}")


if __name__ == "__main__":
    main()
