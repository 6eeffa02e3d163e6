"""Choose how the command model is fused with the word lists: k-fold cross-validation on the
labelled commands (the ``commands:`` sets among fit_commands.TRAINING_SETS), each fold read by a
model fitted without it.

    .venv/bin/python scripts/cv_commands.py [--over commands|knowledge] [--folds 5] [--alpha 0.5] [--sharpness 4]

Prints, for each (rule share, acceptance) pair, the share of commands read right in the left-out
folds, and the same for the word lists alone. ``--over commands`` leaves out labelled commands
from the model only: the word lists were written with these wordings in view, so the figure
flatters them, and what it compares fairly is one fusion against another. ``--over knowledge``
leaves out intents.yaml's ``examples`` (from the word lists and the model alike, each read in a
context where its intent is fully plausible) and FAQ questions (read at idle, no command): word
lists and model on the same footing, on wordings neither has seen.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.nlu import fit_commands  # noqa: E402
from bot.nlu.commands import Commands  # noqa: E402
from bot.nlu.eval import command_hit  # noqa: E402
from bot.nlu.intent_model import IntentModel, fit_counts  # noqa: E402
from bot.nlu.matcher import Understanding  # noqa: E402

GRID = [(share, accept) for share in (0.0, 0.15, 0.3, 0.5) for accept in (40.0, 50.0, 60.0, 70.0)]


def accuracy(nlu: Understanding, commands: Commands, cases: list[dict]) -> float:
    nlu.commands = commands
    hits = 0
    for case in cases:
        r = nlu.read(str(case["text"]), str(case["state"]))
        hits += command_hit(str(case["state"]), (r.intent, r.field), str(case["intent"]))
    return hits / len(cases)


def knowledge_folds(kb, folds: int):
    """(intents without the fold's examples, FAQ questions left out, the left-out cases) per fold."""
    cases = []
    for name, phrases in kb.intents.intents.items():
        context = next((c for c, row in kb.intents.contexts.items() if row.get(name, 0) >= 1), None)
        if context is None:
            continue
        context = "prompt:need" if context == "prompt" else context
        cases += [("example", name, text, context, name) for text in phrases.examples]
    cases += [("faq", faq.id, q, "idle", "none") for faq in kb.faqs for q in faq.questions]
    order = list(range(len(cases)))
    random.Random(0).shuffle(order)
    for k in range(folds):
        held = [cases[i] for j, i in enumerate(order) if j % folds == k]
        out = {(name, text) for kind, name, text, _, _ in held if kind == "example"}
        intents = kb.intents.model_copy(update={"intents": {
            name: p.model_copy(update={"examples": [t for t in p.examples if (name, t) not in out]})
            for name, p in kb.intents.intents.items()}})
        left_faq = {text for kind, _, text, _, _ in held if kind == "faq"}
        yield intents, left_faq, [{"text": t, "state": c, "intent": w} for _, _, t, c, w in held]


def over_knowledge(args, kb, nlu, form) -> tuple[float, dict]:
    totals = dict.fromkeys(GRID, 0.0)
    rules = 0.0
    for intents, left_faq, held in knowledge_folds(kb, args.folds):
        base = [(t, n) for n, p in intents.intents.items() for t in (*p.exact, *p.contains, *p.examples)]
        base += [(q, "none") for f in kb.faqs for q in f.questions if q not in left_faq] + form
        _, counts, docs = fit_counts(base, re.compile(kb.intents.question))
        model = IntentModel.from_counts(counts, args.alpha, args.sharpness)
        rules += accuracy(nlu, Commands(intents, nlu.normalize), held) / args.folds
        for fusion in GRID:
            totals[fusion] += accuracy(nlu, Commands(intents, nlu.normalize, model, fusion), held) / args.folds
    return rules, totals


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", choices=("commands", "knowledge"), default="knowledge")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=fit_commands.ALPHA)
    ap.add_argument("--sharpness", type=float, default=fit_commands.SHARPNESS)
    args = ap.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    nlu = Understanding(kb)
    # every labelled command set the model is fitted on (fit_commands.TRAINING_SETS)
    cases = [case for path in fit_commands.TRAINING_SETS
             for case in (yaml.safe_load((ROOT / path).read_text(encoding="utf-8")) or {}).get("commands") or []]
    form = fit_commands.form_samples(yaml.safe_load((ROOT / "tests/data/form_answers.yaml").read_text(encoding="utf-8")))
    if args.over == "knowledge":
        rules, totals = over_knowledge(args, kb, nlu, form)
        return report(rules, totals)
    base = fit_commands.knowledge_samples(kb) + form
    order = list(range(len(cases)))
    random.Random(0).shuffle(order)
    totals = dict.fromkeys(GRID, 0.0)
    rules = 0.0
    for k in range(args.folds):
        held = [cases[i] for j, i in enumerate(order) if j % args.folds == k]
        train = [cases[i] for j, i in enumerate(order) if j % args.folds != k]
        _, counts, docs = fit_counts(base + fit_commands.command_samples(train), re.compile(kb.intents.question))
        model = IntentModel.from_counts(counts, args.alpha, args.sharpness)
        rules += accuracy(nlu, Commands(kb.intents, nlu.normalize), held) / args.folds
        for fusion in GRID:
            totals[fusion] += accuracy(nlu, Commands(kb.intents, nlu.normalize, model, fusion), held) / args.folds
    return report(rules, totals)


def report(rules: float, totals: dict) -> int:
    print(f"word lists alone: {100 * rules:.1f} %")
    for (share, accept), acc in totals.items():
        print(f"rule share {share:.2f}, accept at {accept:.0f}: {100 * acc:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
