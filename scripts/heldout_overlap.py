"""Sentences of a new held-out set that are the same as, or nearly the same as, any sentence already
in knowledge/ or in another labelled set under tests/data/ — to be rewritten before the set is used.

    .venv/bin/python scripts/heldout_overlap.py tests/data/nlu_holdout4.yaml

Near: character-bigram Jaccard ≥ 0.6, or a sequence ratio ≥ 0.85 for sentences longer than four
characters. Exit status 1 when any sentence is flagged. A sentence of a held-out set
(``*holdout*.yaml``) is never printed, only that one is near: whoever writes the new set must not
read the held-out one.
"""
from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_DROP = re.compile(r"[\s,。??!!,.、~…::;;“”\"'()()]")


def norm(text: object) -> str:
    return _DROP.sub("", str(text)).lower()


def bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} or {s}


def texts(node: object):
    """Every sentence in a labelled set: strings in lists and the ``text`` of each case."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text":
                yield str(value)
            elif key not in ("id", "state", "intent", "expect"):
                yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)
    elif isinstance(node, str):
        yield node


def references(exclude: Path) -> dict[str, str]:
    ref: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "data").glob("*.yaml")):
        if path.resolve() != exclude.resolve():
            for t in texts(yaml.safe_load(path.read_text(encoding="utf-8"))):
                ref.setdefault(norm(t), path.name)
    for path in sorted((ROOT / "knowledge").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for t in re.findall(r"[^\s,\[\]:{}#|\-\"]{2,}", line):
                ref.setdefault(norm(t), f"knowledge/{path.name}")
    return {r: src for r, src in ref.items() if len(r) >= 2}


def main(path: str) -> int:
    target = Path(path)
    ref = references(target)
    ref_bigrams = [(r, bigrams(r)) for r in ref]
    flagged = 0
    for text in texts(yaml.safe_load(target.read_text(encoding="utf-8"))):
        n = norm(text)
        if n in ref:
            print(f"same:  {text}  ({ref[n]})")
            flagged += 1
            continue
        b = bigrams(n)
        for r, rb in ref_bigrams:
            if abs(len(r) - len(n)) > max(3, len(n) // 2):
                continue
            if len(b & rb) / len(b | rb) >= 0.6 or (len(n) > 4 and difflib.SequenceMatcher(None, n, r).ratio() >= 0.85):
                shown = "(a held-out sentence)" if "holdout" in ref[r] else r
                print(f"near:  {text}  ~ {shown}  ({ref[r]})")
                flagged += 1
                break
    print(f"{flagged} sentence(s) to rewrite")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
