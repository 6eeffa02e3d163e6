"""Start-up and memory: one gunicorn worker's cold start to its first answer, and its RSS.

    .venv/bin/python benchmarks/bench_startup.py [--runs 3] [--messages 300] [--workers 2] [--plain]
        [--knowledge DIR] [--code DIR]

For the shipped knowledge and for 10 000 FAQ entries (synthesised as in ``bench_matching.py``,
written to a copy of ``knowledge/``): ``gunicorn -w 1 wsgi:app`` is started in a fresh
process, and a real question is posted until the first answer comes back; the time from
launch to that answer is the cold start (Python, imports, loading and indexing the knowledge,
the Redis connection). Redis is already running, as it is in production. The first start on a
knowledge version also runs the knowledge check and records its verdict in Redis; the restarts
after it read that verdict, as every other worker does. Then ``--messages`` questions from the
webhook mix are answered by the last restart and its resident memory (VmRSS, and its peak
VmHWM) is read from /proc. Then ``--workers`` workers under the same settings answer the messages
again, and each one's RSS, PSS (its share of the pages it shares with the master and the other
workers: what it costs the machine) and USS (its pages of its own) are read from
/proc/PID/smaps_rollup, with the master's; "all / worker" is the PSS of the master and the workers
together divided by the workers. Then one worker is killed, the others stopped, and the time until
the worker gunicorn forks in its place answers is shown. gunicorn reads ``gunicorn.conf.py`` (the app loaded in the master,
the workers forked from it); ``--plain`` starts it with an empty configuration instead (each worker
loads its own copy), ``--code DIR`` measures another copy of the project (e.g. ``git archive`` of an
earlier commit) on the same knowledge. Uses the embedded Redis unless REDIS_URL is set. Which
structure holds that memory: ``benchmarks/memory_breakdown.py DIR``.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import traffic  # noqa: E402
from benchmarks.bench_matching import synthesise  # noqa: E402
from benchmarks.bench_webhook import children  # noqa: E402
from tests.support.wechat import AES_KEY, APP_ID, TOKEN  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def knowledge_with(size: int) -> Path:
    """A copy of the shipped knowledge whose faq.yaml has about ``size`` entries and passes the
    check every worker runs at start (no entry steals another's questions), as a real one would.

    Kept in the temporary directory under a name made of everything it depends on, since
    making it takes minutes at 10 000 entries.
    """
    digest = hashlib.sha1(f"{size} 5".encode())  # the second number: how this function makes it
    for path in sorted([*(ROOT / "knowledge").glob("*.yaml"), *(ROOT / "bot/nlu").glob("*.py"),
                        ROOT / "benchmarks/bench_matching.py"]):
        digest.update(path.read_bytes())
    target = Path(tempfile.gettempdir()) / f"parkbot-bench-knowledge-{digest.hexdigest()[:12]}"
    if (target / "faq.yaml").exists():
        return target
    from bot.tools.kb_check import check
    from bot.knowledge.loader import load_knowledge

    kb = load_knowledge(str(ROOT / "knowledge"))
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "knowledge", target)
    # spares to replace the entries the check's fixes below drop
    pool = synthesise(kb.faqs, int(size * 1.5), subjects=True)
    current, spare = pool[:size], pool[size:]
    # what an admin does about `kb check`, until it passes: drop a made-up entry that steals
    # or is stolen from, reword (here: drop) a real question another real entry now answers;
    # replace the dropped ones on the first passes (replacements bring a few new conflicts)
    for attempt in range(10):
        entries = [f.model_dump(exclude_none=True, exclude_defaults=True) for f in current]
        (target / "faq.yaml").write_text(yaml.safe_dump({"faqs": entries}, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
        problems = check(target)
        if not problems:
            return target
        lines = {p.line for p in problems}
        by_line = {}  # faq.yaml line of each question -> (entry id, question index)
        text = (target / "faq.yaml").read_text(encoding="utf-8").splitlines()
        entry, index = None, 0
        for number, line in enumerate(text, 1):
            if line.startswith("- id: "):
                entry, index = line[6:].strip().strip("'\""), -1
            elif line.startswith("  - ") and entry is not None and index is not None:
                index += 1
                by_line[number] = (entry, index)
            elif not line.startswith("  - "):
                index = None if not line.startswith("  questions:") else -1
        stealers = {p.message.split(" is matched to ")[1].split("'")[1] for p in problems if " is matched to " in p.message}
        hit = [by_line[n] for n in lines if n in by_line]
        dropped = {e for e in stealers if e.startswith("syn-")} | {e for e, _ in hit if e.startswith("syn-")}
        reworded = {(e, j) for e, j in hit if not e.startswith("syn-")}
        if not dropped and not reworded:
            raise SystemExit("the synthesised knowledge fails the check:\n" + "\n".join(map(str, problems[:10])))
        current = [f.model_copy(update={"questions": [q for j, q in enumerate(f.questions)
                                                      if (f.id, j) not in reworded] or f.questions[:1]})
                   for f in current if f.id not in dropped]
        if attempt < 6:
            missing = size - len(current)
            current, spare = current + spare[:missing], spare[missing:]
    raise SystemExit(f"the synthesised knowledge still fails the check: {len(problems)} problems")


def worker_pid(master: int) -> int | None:
    workers = children(master)
    return workers[0] if workers else None


def memory_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def shares_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (private clean + dirty) of a process, from /proc/PID/smaps_rollup."""
    fields = {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in
              Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:] if ":" in line)}
    return {"rss": fields["Rss"], "pss": fields["Pss"], "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def post(port: int, target: str, body: bytes) -> bool:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{target}", data=body, headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status == 200 and bool(resp.read())
    except OSError:
        return False


def one_run(knowledge: Path, env: dict, messages: list[tuple[str, bytes]], first: tuple[str, bytes],
            code: Path = ROOT, workers: int = 1, config: list[str] = ()) -> dict:
    port = free_port()
    # no last good copy to fall back on: knowledge that fails to load must fail the run
    last_good = Path(env["BOT_DATA_DIR"]) / "knowledge-last-good"
    if last_good.is_symlink():
        last_good.unlink()
    cmd = [sys.executable, "-m", "gunicorn", *config, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
           "warning", "wsgi:app"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env={**env, "KNOWLEDGE_DIR": str(knowledge), "PYTHONPATH": str(code)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not post(port, *first):
            if proc.poll() is not None:
                raise SystemExit(f"parkbot did not start:\n{proc.stderr.read().decode()}")
            if time.perf_counter() - started > 600:
                raise SystemExit("parkbot did not answer within 600 s")
            time.sleep(0.005)
        cold = time.perf_counter() - started
        pid = worker_pid(proc.pid)
        first_rss = memory_mb(pid)[0]
        for target, body in messages:
            post(port, target, body)
        rss, peak = memory_mb(pid)
        pids = children(proc.pid)
        out = {"cold_s": cold, "first_rss": first_rss, "rss": rss, "peak": peak,
               "workers": [shares_mb(p) for p in pids], "master": shares_mb(proc.pid)}
        if len(pids) > 1:
            out["replaced_s"] = replaced(pids, port, first)
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def replaced(pids: list[int], port: int, first: tuple[str, bytes]) -> float:
    """Seconds from killing a worker to the first answer of the one gunicorn forks in its place (the
    others stopped meanwhile, so only the new one can take the question)."""
    others = pids[1:]
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        os.kill(pids[0], signal.SIGKILL)
        while not post(port, *first):
            if time.perf_counter() - started > 120:
                raise SystemExit("no worker was forked in place of the one killed")
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3,
                        help="cold starts per knowledge base: the first checks it, the median of the others is shown")
    parser.add_argument("--messages", type=int, default=300, help="answered before RSS is read")
    parser.add_argument("--knowledge", type=Path, default=None,
                        help="the 10 000-entry knowledge made by an earlier run (its directory in the temporary "
                             "directory), to compare two versions of the code on the same files")
    parser.add_argument("--workers", type=int, default=2, help="workers of the run that reads PSS and USS")
    parser.add_argument("--plain", action="store_true",
                        help="gunicorn without gunicorn.conf.py: each worker loads the app itself (no preload)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the copy of the project to measure (default: this one)")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs: at least 2 (a first start and a restart)")
    print(f"gunicorn -w 1 wsgi:app, redis: {os.environ.get('REDIS_URL') or 'embedded'}; the first start on a "
          f"knowledge version runs the knowledge check, the {args.runs - 1} restarts after it read its verdict "
          f"(median shown); RSS of the last restart after {args.messages} messages of the webhook mix\n")
    config: list[str] = []
    with tempfile.TemporaryDirectory(prefix="parkbot-startup-") as data_dir:
        if args.plain:
            (Path(data_dir) / "plain.conf.py").write_text("# gunicorn's defaults\n")
            config = ["-c", str(Path(data_dir) / "plain.conf.py")]
        settings = ("empty (--plain)" if args.plain else "gunicorn.conf.py" if (args.code / "gunicorn.conf.py").exists()
                    else "none in that copy (gunicorn's defaults)")
        print(f"code: {args.code}; gunicorn configuration: {settings}\n")
        print(f"{'FAQ entries':>16} {'1st start s':>12} {'restart s':>10} {'RSS at 1st MB':>14} {'RSS MB':>8} "
              f"{'peak MB':>8}   {args.workers} workers: RSS / PSS / USS MB per worker, master's RSS / PSS, "
              f"PSS all / worker, a worker replaced s")
        from bot.store import embedded

        if not os.environ.get("REDIS_URL"):
            embedded.socket_path(data_dir)  # Redis runs before the app, as in production
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": AES_KEY,
               "BOT_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT)}
        try:
            for n, knowledge in enumerate((ROOT / "knowledge", args.knowledge or knowledge_with(10_000))):
                entries = (knowledge / "faq.yaml").read_text(encoding="utf-8").count("\n- id:") + \
                    (knowledge / "faq.yaml").read_text(encoding="utf-8").count("\n  - id:")
                label = f"{entries} ({'shipped' if n == 0 else 'synth.'})"
                # fresh users and MsgIds for each knowledge base and run: every answer is worked out
                streams, _ = traffic.conversations(args.messages, 1, seed=5 + n, tag=f"startup{n}")
                messages = traffic.encrypt(streams, TOKEN, AES_KEY, APP_ID, first_id=(7 + n) * 10**12)[0]
                runs = []
                for i in range(args.runs):
                    first = traffic.encrypt([[(f"ostartup-{n}-{i}", "faq", "高新区全国排第几")]], TOKEN, AES_KEY,
                                            APP_ID, first_id=9 * 10**12 + n * 1000 + i)
                    runs.append(one_run(knowledge, env, messages if i == args.runs - 1 else [], first[0][0],
                                        args.code, 1, config))
                cold = statistics.median(r["cold_s"] for r in runs[1:])
                r = runs[-1]
                first = traffic.encrypt([[(f"ostartup-{n}-w", "faq", "高新区全国排第几")]], TOKEN, AES_KEY, APP_ID,
                                        first_id=9 * 10**12 + n * 1000 + 999)
                many = one_run(knowledge, env, messages, first[0][0], args.code, args.workers, config)
                w, m = many["workers"], many["master"]
                each = " / ".join(f"{statistics.mean(x[k] for x in w):.1f}" for k in ("rss", "pss", "uss"))
                total = (m["pss"] + sum(x["pss"] for x in w)) / len(w)
                print(f"{label:>16} {runs[0]['cold_s']:>12.2f} {cold:>10.2f} {r['first_rss']:>14.1f} {r['rss']:>8.1f} "
                      f"{r['peak']:>8.1f}   {each:>20}   {m['rss']:.1f} / {m['pss']:.1f}   {total:.1f}   "
                      f"{many.get('replaced_s', float('nan')):.2f}")
        finally:
            if not os.environ.get("REDIS_URL"):
                embedded.stop(data_dir)


if __name__ == "__main__":
    main()
