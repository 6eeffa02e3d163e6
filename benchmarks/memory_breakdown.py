"""Where a worker's memory for one knowledge version goes, structure by structure.

    .venv/bin/python benchmarks/memory_breakdown.py [KNOWLEDGE_DIR]
    .venv/bin/python benchmarks/memory_breakdown.py --imports

``--imports``: what a worker holds before any knowledge, the resident memory of a fresh Python after
each group of the modules a worker imports, in the order a worker's start imports them.

Loads the knowledge and builds the matcher as a worker's first start does, then writes and reads
back the built pickle as a restart does (what a restarted worker holds), and prints the bytes each
structure holds that no structure printed before it holds: the Knowledge value first (so texts the
matcher shares with it count there), then each attribute of ``Understanding`` and of its parts.
Object sizes are ``sys.getsizeof`` (an array's or a string's buffer included) of every object
reachable from the structure, types, modules and functions excepted; the pickle's size and the
time to read it back are printed too. Resident memory is ``bench_startup.py``'s figure; this says
which structure to make smaller.
"""
from __future__ import annotations

import gc
import io
import pickle
import sys
import time
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if typing.TYPE_CHECKING:
    from bot.nlu import Understanding

# what is shared by the whole process, not held by one knowledge version
_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
         types.CodeType, types.WrapperDescriptorType, types.MethodDescriptorType, types.GetSetDescriptorType)


def held(root, seen: set[int]) -> int:
    """Bytes of the objects reachable from ``root`` and not in ``seen`` (which they join)."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
        if isinstance(obj, dict):  # a dict of str keys shows the collector only its values
            stack.extend(obj)
    return total


def parts(nlu: Understanding) -> list[tuple[str, object]]:
    """The matcher's structures, the large ones split into what they are made of."""
    out: list[tuple[str, object]] = []
    items = nlu.__dict__.get("_items", [])
    # the per-entry fields of the matchable items, each across all entries
    if items:
        for name in ("own", "told", "texts", "keywords", "entry"):
            if hasattr(items[0], name):
                out.append((f"_items.{name}", [getattr(it, name) for it in items]))
    for name, value in nlu.__dict__.items():
        sub = getattr(value, "__dict__", None) if name in ("_index", "_tfidf") else None
        if sub:
            out += [(f"{name}.{k}", v) for k, v in sub.items()]
        out.append((name, value))
    return out


def report(kb, nlu: Understanding) -> None:
    seen: set[int] = set()
    rows = [("Knowledge (files as loaded)", held(kb, seen))]
    rows += [(name, held(value, seen)) for name, value in parts(nlu)]
    for name, size in rows:
        if size >= 50_000:
            print(f"{name:<36} {size / 1e6:>8.2f} MB")
    print(f"{'total':<36} {sum(s for _, s in rows) / 1e6:>8.2f} MB")


# what a worker imports, heavy libraries first, each group with what it pulls in
IMPORTS = [("pydantic", "pydantic"), ("PyYAML", "yaml"), ("rapidfuzz", "rapidfuzz"), ("cn2an", "cn2an"),
           ("zhconv", "zhconv"), ("the knowledge (bot/knowledge)", "bot.knowledge.loader"),
           ("the understanding (bot/nlu)", "bot.nlu"), ("redis", "redis"), ("requests", "requests"),
           ("flask", "flask"), ("wechatpy", "wechatpy"), ("the store, engine and app", "bot.store.session"),
           ("", "bot.dialogue.engine"), ("", "bot.app"), ("", "bot.web.wechat"), ("", "bot.web.admin"),
           ("", "bot.web.chat"), ("", "bot.takeover")]


def _rss_mb() -> float:
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024


def imports() -> None:
    """Run in a fresh process (this module imports the knowledge and the understanding itself)."""
    import importlib

    print("resident memory of a fresh process after importing (cumulative, no knowledge loaded):")
    print(f"{'python alone':<36} {_rss_mb():>8.1f} MB")
    for label, name in IMPORTS:
        # zhconv as a worker imports it (bot/app.py): without pkg_resources
        blocked = name == "zhconv" and "pkg_resources" not in sys.modules
        if blocked:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]
        try:
            importlib.import_module(name)
        finally:
            if blocked:
                del sys.modules["pkg_resources"]
        if label:
            print(f"{'+ ' + label:<36} {_rss_mb():>8.1f} MB")
    print(f"{'+ the rest of the worker' + chr(39) + 's modules':<36} {_rss_mb():>8.1f} MB")


def main() -> None:
    if sys.argv[1:] == ["--imports"]:
        import subprocess

        # a fresh process: this one has imported nothing of the bot yet, but a worker's figure starts from nothing
        subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('benchmarks/memory_breakdown.py', "
                        "run_name='imports')"], cwd=ROOT, check=True)
        return
    from bot.knowledge.built import _Pickler
    from bot.knowledge.loader import load_knowledge
    from bot.nlu import Understanding

    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "knowledge"
    kb = load_knowledge(directory)
    nlu = Understanding(kb)
    out = io.BytesIO()  # the built cache's own pickler: the memo caches pickled empty
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump((kb, {"nlu": nlu}))
    data = out.getvalue()
    del kb, nlu, out
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    kb, derived = pickle.loads(data)
    took = time.perf_counter() - t0
    gc.enable()
    print(f"{directory}: {len(kb.faqs)} FAQ entries; built pickle {len(data) / 1e6:.1f} MB, read back in "
          f"{took:.2f} s\n")
    report(kb, derived["nlu"])


if __name__ == "__main__":
    main()
elif __name__ == "imports":
    imports()
