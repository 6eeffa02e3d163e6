"""Measure understanding on a labelled set (``tests/data/nlu.yaml``): ``parkbot eval``.

Figures: FAQ top-1 (counted only when the bot would actually answer with the right entry; a
"did you mean" whose first suggestion is right is reported separately, and so are wrong
answers), out-of-scope handling (correct when the bot does not answer), entity accuracy per
slot, and commands read in the conversation context they were said in (``commands``: text,
state, expected intent or ``none``).
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .matcher import Understanding

TARGETS = {"faq": 0.95, "oos": 0.95, "entities": 0.98, "commands": 0.95}


@dataclass
class Report:
    faq_total: int = 0
    faq_correct: int = 0
    faq_suggested: int = 0  # status "suggest" with the right entry first
    per_entry: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusions: list[tuple[str, str, str]] = field(default_factory=list)  # text, predicted, expected
    oos_total: int = 0
    oos_correct: int = 0
    oos_answered: list[tuple[str, str]] = field(default_factory=list)  # text, entry answered
    faq_not_answered: int = 0  # in-scope questions the bot declined (hurts OOS precision)
    slots: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    spurious: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    entity_errors: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # text, slot, got, want
    commands_total: int = 0
    commands_correct: int = 0
    command_errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # text, context, got, want
    build_ms: float = 0.0
    match_ms: list[float] = field(default_factory=list)

    @property
    def faq_accuracy(self) -> float:
        return self.faq_correct / self.faq_total if self.faq_total else 1.0

    @property
    def oos_recall(self) -> float:
        return self.oos_correct / self.oos_total if self.oos_total else 1.0

    @property
    def oos_precision(self) -> float:
        declined = self.oos_correct + self.faq_not_answered
        return self.oos_correct / declined if declined else 1.0

    @property
    def faq_answered_or_first(self) -> float:
        return (self.faq_correct + self.faq_suggested) / self.faq_total if self.faq_total else 1.0

    @property
    def faq_wrong(self) -> float:
        """Share of in-scope questions answered with another entry (worse than a "not sure")."""
        wrong = sum(1 for _, got, _ in self.confusions if not got.startswith(("suggest[", "none")))
        return wrong / self.faq_total if self.faq_total else 0.0

    @property
    def commands_accuracy(self) -> float:
        return self.commands_correct / self.commands_total if self.commands_total else 1.0

    @property
    def entity_accuracy(self) -> float:
        total = sum(t for _, t in self.slots.values())
        return sum(c for c, _ in self.slots.values()) / total if total else 1.0

    def passed(self) -> bool:
        return (self.faq_accuracy >= TARGETS["faq"] and self.oos_recall >= TARGETS["oos"]
                and self.entity_accuracy >= TARGETS["entities"] and self.commands_accuracy >= TARGETS["commands"])


def load_data(path: str | Path) -> dict[str, list]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for key in ("faq", "oos", "listing", "lead", "commands"):
        data.setdefault(key, [])
        if not isinstance(data[key], list):
            raise ValueError(f"{path}: {key} must be a list")
    return data


def same(got: Any, want: Any) -> bool:
    """Equal; numbers within 1 %."""
    if isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(got, (int, float)):
        return abs(got - want) <= 0.01 * abs(want) if want else got == 0
    return str(got) == str(want)


def _label(m) -> str:
    if m.status == "answer":
        return m.best.id
    if m.status == "suggest":
        return "suggest[" + ",".join(e.id for e in m.suggestions) + "]"
    return "none"


# the same action in the routing table, whichever of the two words the reading picked
_SAME_ACTION = {"confirm": {"affirm": "confirm"}, "resume": {"cancel": "deny", "lead": "affirm"}}


def command_hit(context: str, got: tuple[str | None, str | None], want: str) -> bool:
    """``got`` (intent, field named) against a label like ``skip``, ``modify:phone`` or ``none``."""
    intent, field_named = got
    intent = _SAME_ACTION.get(context, {}).get(intent or "", intent)
    want_intent, _, want_field = want.partition(":")
    if want_intent == "none":
        return intent is None
    return intent == want_intent and (not want_field or field_named == want_field)


Resolver = Callable[[str, str], "tuple[str | None, str | None]"]


def evaluate(kb: Any, data: dict[str, list], nlu: Understanding | None = None,
             resolve: Resolver | None = None) -> Report:
    """``resolve(text, context)`` reads a command in its conversation context (default: the reading)."""
    report = Report()
    started = time.perf_counter()
    nlu = nlu or Understanding(kb)
    report.build_ms = (time.perf_counter() - started) * 1000

    def timed_match(text: str):
        t0 = time.perf_counter()
        m = nlu.match(text)
        report.match_ms.append((time.perf_counter() - t0) * 1000)
        return m

    for case in data["faq"]:
        text, want = str(case["text"]), str(case["id"])
        m = timed_match(text)
        report.faq_total += 1
        report.per_entry[want][1] += 1
        if m.status == "answer" and m.best.id == want:
            report.faq_correct += 1
            report.per_entry[want][0] += 1
            continue
        if m.status != "answer":
            report.faq_not_answered += 1
        if m.status == "suggest" and m.suggestions and m.suggestions[0].id == want:
            report.faq_suggested += 1
        report.confusions.append((text, _label(m), want))

    for text in data["oos"]:
        m = timed_match(str(text))
        report.oos_total += 1
        if m.status != "answer":
            report.oos_correct += 1
        else:
            report.oos_answered.append((str(text), m.best.id))

    if resolve is None:
        def resolve(text: str, context: str) -> tuple[str | None, str | None]:
            r = nlu.read(text, context)
            return r.intent, r.field
    for case in data["commands"]:
        text, context, want = str(case["text"]), str(case["state"]), str(case["intent"])
        got = resolve(text, context)
        report.commands_total += 1
        if command_hit(context, got, want):
            report.commands_correct += 1
        else:
            label = got[0] or "none"
            report.command_errors.append((text, context, label + (f":{got[1]}" if got[0] == "modify" and got[1] else ""),
                                          want))

    for case in [*data["listing"], *data["lead"]]:
        text, want = str(case["text"]), dict(case.get("expect") or {})
        got = nlu.entities(text)
        for slot, value in want.items():
            report.slots[slot][1] += 1
            if slot in got and same(got[slot], value):
                report.slots[slot][0] += 1
            else:
                report.entity_errors.append((text, slot, got.get(slot), value))
        for slot in got.keys() - want.keys():
            report.spurious[slot] += 1
            report.entity_errors.append((text, slot, got[slot], None))
    return report


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def format_report(r: Report, quiet: bool = False) -> str:
    """The figures; with ``quiet`` only the figures, none of the items missed (for a held-out set)."""
    lines = [f"FAQ top-1 (answered, right entry): {r.faq_correct}/{r.faq_total} = {_pct(r.faq_accuracy)}"
             f"   [target {_pct(TARGETS['faq'])}]",
             f"  + right entry first in did-you-mean: {r.faq_suggested}"]
    if not quiet:
        lines.append("  per entry:")
    for entry_id, (ok, total) in sorted(r.per_entry.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[0])):
        if quiet:
            break
        mark = "" if ok == total else "   <--"
        lines.append(f"    {entry_id:24s} {ok}/{total}{mark}")
    if r.confusions and not quiet:
        lines.append("  confusions (utterance -> predicted, expected):")
        lines += [f"    {text} -> {got}  (want {want})" for text, got, want in r.confusions]
    lines.append(f"  answered or right entry first: {_pct(r.faq_answered_or_first)}; answered wrong: {_pct(r.faq_wrong)}")
    lines.append(f"Out of scope not answered: {r.oos_correct}/{r.oos_total} = recall {_pct(r.oos_recall)}"
                 f", precision {_pct(r.oos_precision)}   [target {_pct(TARGETS['oos'])} recall]")
    if not quiet:
        lines += [f"    answered: {text} -> {entry}" for text, entry in r.oos_answered]
    total = sum(t for _, t in r.slots.values())
    lines.append(f"Entity slots: {sum(c for c, _ in r.slots.values())}/{total} = {_pct(r.entity_accuracy)}"
                 f"   [target {_pct(TARGETS['entities'])}]; spurious slots: {sum(r.spurious.values())}")
    for slot, (ok, n) in sorted(r.slots.items()):
        extra = f", spurious {r.spurious[slot]}" if r.spurious.get(slot) else ""
        lines.append(f"    {slot:11s} {ok}/{n}{extra}")
    for slot in sorted(set(r.spurious) - set(r.slots)):
        lines.append(f"    {slot:11s} spurious {r.spurious[slot]}")
    if r.entity_errors and not quiet:
        lines.append("  entity errors (text: slot got / want):")
        lines += [f"    {text}: {slot} {got!r} / {want!r}" for text, slot, got, want in r.entity_errors]
    if r.commands_total:
        lines.append(f"Commands in context: {r.commands_correct}/{r.commands_total} = {_pct(r.commands_accuracy)}"
                     f"   [target {_pct(TARGETS['commands'])}]")
        if not quiet:
            lines += [f"    [{ctx}] {text} -> {got}  (want {want})" for text, ctx, got, want in r.command_errors]
    if r.match_ms:
        ms = sorted(r.match_ms)
        p50, p99 = ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        lines.append(f"Build {r.build_ms:.0f} ms; match p50 {p50:.3f} ms, p99 {p99:.3f} ms over {len(ms)} messages")
    lines.append("PASS" if r.passed() else "FAIL")
    return "\n".join(lines)


def main(knowledge_dir: str | Path = "knowledge", data_path: str | Path = "tests/data/nlu.yaml",
         quiet: bool = False) -> int:
    """Print the report (with ``quiet`` the figures only); exit status 0 when every target is met."""
    from bot.knowledge.loader import KnowledgeError, load_knowledge

    try:
        kb = load_knowledge(knowledge_dir)
    except KnowledgeError as exc:
        print(exc)
        print("the knowledge does not load: run `parkbot kb check`")
        return 1
    if not Path(data_path).is_file():
        print(f"{data_path}: no such labelled set")
        return 1
    report = evaluate(kb, load_data(data_path))
    print(format_report(report, quiet=quiet))
    return 0 if report.passed() else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
