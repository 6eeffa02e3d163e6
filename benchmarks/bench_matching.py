"""Per-message matching time with 100, 1 000 and 10 000 FAQ entries.

    python benchmarks/bench_matching.py [knowledge_dir] [labelled_set] [--wall]

The large knowledge bases are synthesised from the real one by recombining fragments of its
questions, keywords and answers, so the character and bigram statistics stay Chinese-like and
the common bigrams (园区, 什么) stay common. Each size is measured twice in the same run:

* index -- ``Understanding.match`` without its cache of messages seen (normalise, bigram candidates,
  scoring, and the decision by
  the shipped answer model with its TF-IDF cosine);
* floor -- normalise, then plain ``rapidfuzz.process.extract`` with ``fuzz.ratio`` over every
  paraphrase: what matching costs without a candidate filter (and with no decision logic).
"""
from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.schema import Faq, PolicyWeights, Synonyms  # noqa: E402
from bot.nlu import Understanding  # noqa: E402
from bot.nlu.eval import load_data  # noqa: E402

SIZES = (100, 1_000, 10_000)
# CPU time of this thread: on a shared machine, wall-clock percentiles mostly measure the
# neighbours (time spent preempted). `--wall` measures wall-clock time instead.
CLOCK = time.perf_counter if "--wall" in sys.argv else time.thread_time


@dataclass
class SyntheticKb:
    directory: Path
    faqs: list
    parks: list = field(default_factory=list)
    synonyms: Synonyms = field(default_factory=Synonyms)
    answer_policy: PolicyWeights = field(default_factory=PolicyWeights)  # the answer model, as shipped


def _pieces(texts: list[str], rng: random.Random) -> list[str]:
    out = []
    for text in texts:
        i = 0
        while i < len(text):
            n = rng.randint(2, 4)
            out.append(text[i:i + n])
            i += n
    return out


FRAMES = ["是什么", "在哪里", "怎么样", "有什么优势", "怎么申请", "多少钱", "有哪些", "什么时候", "找谁", "靠谱吗"]
SUBJECT_KINDS = ["中心", "基地", "项目", "公司", "计划", "平台", "大厦", "工程", "基金", "学院", "实验室", "产业园"]


def synthesise(real: list[Faq], size: int, seed: int = 7, subjects: bool = False) -> list[Faq]:
    """The real entries, then recombinations of their fragments up to ``size`` entries.

    With ``subjects`` each made-up entry is about a subject of its own (a made-up name such as
    瑞泰基金 in every question and as its keyword), as entries of a real large knowledge base
    are, so the base passes the reload check that no entry steals another's questions.
    """
    rng = random.Random(seed)
    q_pieces = _pieces([q for f in real for q in f.questions], rng)
    k_pieces = [k for f in real for k in f.keywords]
    a_pieces = _pieces([f.answer for f in real], rng)
    chars = sorted({c for f in real for c in f.answer if "\u4e00" <= c <= "\u9fff"})
    faqs = list(real[:size])
    names: set[str] = set()
    while len(faqs) < size:
        n = len(faqs)
        if subjects:
            name = "".join(rng.sample(chars, 3)) + rng.choice(SUBJECT_KINDS)
            if name in names:
                continue
            names.add(name)
            questions = [name + rng.choice(a_pieces) + rng.choice(FRAMES) for _ in range(6)]
            keywords = [name]
        else:
            questions = ["".join(rng.choice(q_pieces) for _ in range(rng.randint(2, 4))) for _ in range(6)]
            keywords = rng.sample(k_pieces, 3)
        faqs.append(Faq(id=f"syn-{n}", questions=questions, keywords=keywords,
                        answer="".join(rng.choice(a_pieces) for _ in range(20))))
    return faqs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(fns, messages: list[str], rounds: int, clock=time.perf_counter) -> list[list[float]]:
    """Times of each function per message, interleaved so that load from other processes on a
    shared machine hits both alike; the collector is paused so its pauses are not attributed
    to whichever call it happened to interrupt."""
    for fn in fns:
        for m in messages[:20]:  # warm caches (zhconv, regexes) before timing
            fn(m)
    out: list[list[float]] = [[] for _ in fns]
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for m in messages:
                for k, fn in enumerate(fns):
                    t0 = clock()
                    fn(m)
                    out[k].append((clock() - t0) * 1000)
    finally:
        gc.enable()
    return out


def main(knowledge_dir: str = str(ROOT / "knowledge"), data_path: str = str(ROOT / "tests/data/nlu.yaml")) -> None:
    kb = load_knowledge(knowledge_dir)
    data = load_data(data_path)
    messages = [str(c["text"]) for c in data["faq"]] + [str(t) for t in data["oos"]]
    clock = "wall-clock" if CLOCK is time.perf_counter else "thread CPU"
    print(f"{len(messages)} messages (labelled FAQ + out-of-scope); {clock} ms per message\n")
    header = f"{'entries':>8} {'paraphrases':>11} {'build s':>8} | {'index p50':>9} {'p99':>7} | " \
             f"{'floor p50':>9} {'p99':>7} | {'p50 ratio':>9} {'p99 ratio':>9}"
    print(header)
    print("-" * len(header))
    for size in SIZES:
        faqs = synthesise(kb.faqs, size)
        fake = SyntheticKb(kb.directory, faqs, list(kb.parks), kb.synonyms, kb.answer_policy)
        t0 = time.perf_counter()
        nlu = Understanding(fake)
        build = time.perf_counter() - t0
        choices = [nlu.normalize(q) for f in faqs for q in f.questions]

        def floor(text: str) -> None:
            process.extract(nlu.normalize(text), choices, scorer=fuzz.ratio, processor=None, limit=5)

        def index(text: str) -> None:
            # the matching itself: Understanding.match keeps the match of a normalised message it has
            # seen (what a live account's repeats cost), which on every round after the first would time
            # a cache lookup
            nlu._decide(nlu.normalize(text))

        rounds = 5 if size < 10_000 else 3
        idx, flo = measure([index, floor], messages, rounds, CLOCK)
        i50, i99, f50, f99 = (statistics.median(idx), percentile(idx, 0.99),
                              statistics.median(flo), percentile(flo, 0.99))
        print(f"{size:>8} {len(choices):>11} {build:>8.2f} | {i50:>9.3f} {i99:>7.3f} | "
              f"{f50:>9.3f} {f99:>7.3f} | {f50 / i50:>8.1f}x {f99 / i99:>8.1f}x")


if __name__ == "__main__":
    main(*[a for a in sys.argv[1:] if not a.startswith("--")][:2])
