"""What reading and writing the per-user conversation document costs a message.

    python benchmarks/bench_conversation_state.py [--rounds 5] [--number 20000]

A message's turn reads the stored document once when it opens and writes it once when it ends.
Measured on the documents in ``tests/data/stored_conversations.json`` (real ones, a form half
filled and a search being paged), in the same run:

* model -- ``from_json`` (validating into ``ConversationState``) then ``to_json``;
* floor -- ``json.loads`` then ``json.dumps(ensure_ascii=False)``: an untyped dict, no checks.

Prints microseconds per read+write (CPU time of this thread, best of the rounds) and the ratio.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.conversation_state import from_json  # noqa: E402

CLOCK = time.thread_time


def _per_call(fn, number: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = CLOCK()
        for _ in range(number):
            fn()
        best = min(best, (CLOCK() - start) / number)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    stored = json.loads((ROOT / "tests" / "data" / "stored_conversations.json").read_text(encoding="utf-8"))
    print(f"{'document':<10} {'bytes':>6} {'model µs':>9} {'floor µs':>9} {'ratio':>6}")
    for name in ("mid-form", "searching"):
        raw = stored[name]
        model = _per_call(lambda: from_json(raw).to_json(), args.number, args.rounds)
        floor = _per_call(lambda: json.dumps(json.loads(raw), ensure_ascii=False), args.number, args.rounds)
        print(f"{name:<10} {len(raw.encode()):>6} {model:>9.1f} {floor:>9.1f} {model / floor:>6.2f}")


if __name__ == "__main__":
    main()
