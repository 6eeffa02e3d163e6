"""How well the inquiry form reads answers, on a labelled set: ``parkbot eval --form``.

Each single answer is played through the engine (its real store, rules and knowledge): a fresh
user says 登记 and the default answers up to the field under test, then the labelled text.
The outcome is read back from the stored conversation state, so the figure is what a user
gets, not what one function returns. Multi-turn conversations are checked at their end.
"""
from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .replies import Incoming

FIELDS = ("need", "industry", "tax", "company", "contact", "phone")
SECTIONS = (*FIELDS, "confirm")
# what fills each field before the one under test (the seed article's example prospect)
DEFAULTS = {"need": "租1500平厂房", "industry": "海洋生物", "tax": "300万", "company": "海智源科技有限公司",
            "contact": "王经理", "phone": "13912345678"}
TARGET = 0.98
_LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")


@dataclass
class Result:
    per_field: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    errors: list[tuple[str, str, Any, str]] = field(default_factory=list)  # section, text, want, what happened
    conversations: list[int] = field(default_factory=lambda: [0, 0])
    conversation_errors: list[tuple[str, str]] = field(default_factory=list)

    def accuracy(self, section: str) -> float:
        ok, total = self.per_field.get(section, (0, 0))
        return ok / total if total else 1.0

    def passed(self, target: float = TARGET) -> bool:
        return all(self.accuracy(s) >= target for s in self.per_field)


# --- reading the stored state ----------------------------------------------------------
def view(state: dict[str, Any]) -> tuple[str, str | None, dict[str, Any], dict[str, Any] | None]:
    """(state name, field being asked, slots, form) of a stored conversation."""
    name = state.get("state", "idle")
    form = state.get("form")
    asking = (form or {}).get("asking")
    if asking is None and name.startswith("form:") and name not in ("form:confirm", "form:asking"):
        asking = name.split(":", 1)[1]  # one state per field
    if name == "form:confirm":
        asking = None
    return name, asking, dict((form or {}).get("slots") or {}), form


def _num(got: Any, want: float) -> bool:
    try:
        return abs(float(got) - float(want)) <= 0.01 * abs(float(want)) + 1e-9
    except (TypeError, ValueError):
        return False


def same_value(name: str, got: Any, want: Any, slots: dict[str, Any] | None = None) -> bool:
    if name == "need":
        slots = slots or {}
        detail = slots.get("need_detail") or {}
        if not isinstance(want, dict):
            return False
        if got is None:
            return False
        for key in ("type", "deal"):
            if key in want and detail.get(key) != want[key]:
                return False
        area = want.get("area")
        if isinstance(area, list):
            if not (_num(detail.get("area_min"), area[0]) and _num(detail.get("area_max"), area[1])):
                return False
        elif area == "ask":
            if any(detail.get(k) for k in ("area_sqm", "area_min", "area_max")):
                return False
        elif area is not None:
            if not (_num(detail.get("area_sqm"), area) or _num(detail.get("area_min"), area)):
                return False
        if want.get("keep") and want["keep"] not in str(got):
            return False
        return True
    if name == "tax":
        if isinstance(want, list):
            return isinstance(got, (list, tuple)) and len(got) == 2 and all(map(_num, got, want))
        if want == "unknown":
            return got == "unknown"
        return not isinstance(got, (list, tuple, str)) and _num(got, want)
    if got is None or want is None:
        return got is None and want is None
    return str(got).strip() == str(want).strip()


# --- playing messages --------------------------------------------------------------------
class Player:
    def __init__(self, engine, storage, hotline: str):
        self.engine, self.storage, self.hotline = engine, storage, hotline

    def say(self, openid: str, text: str) -> str:
        reply = self.engine.handle(Incoming(openid, "text", text=text))
        return reply.text or ""

    def state(self, openid: str) -> dict[str, Any]:
        return self.storage.load(openid).model_dump()

    def reach(self, openid: str, section: str) -> bool:
        """登记 and the default answers for every field before ``section``."""
        self.say(openid, "登记")
        for name in FIELDS:
            if name == section:
                break
            self.say(openid, DEFAULTS[name])
        _, asking, _, _ = view(self.state(openid))
        name = view(self.state(openid))[0]
        return (name == "form:confirm") if section == "confirm" else asking == section


def judge(section: str, text: str, want: Any, also: dict[str, Any], before: dict[str, Any],
          after_state: dict[str, Any], reply: str, hotline: str) -> str | None:
    """None when the outcome is the labelled one, else what happened instead."""
    name, asking, slots, form = view(after_state)

    def unchanged(*except_: str) -> str | None:
        for key, value in before.items():
            if key in except_ or key == "need_detail" and "need" in except_:
                continue
            if slots.get(key) != value:
                return f"{key} changed {value!r} -> {slots.get(key)!r}"
        return None

    def also_ok() -> str | None:
        for key, value in also.items():
            if not same_value(key, slots.get(key), value, slots):
                return f"{key}={slots.get(key)!r}, want {value!r}"
        return None

    if isinstance(want, str) and want.startswith("command:"):
        command = want.split(":", 1)[1]
        if command == "cancel":
            return None if form is None and name == "idle" else f"not cancelled ({name})"
        if command == "forget":
            return None if form is None else "form kept"
        if command == "handoff":
            if hotline not in reply:
                return "no handoff reply"
            return unchanged() or (None if form is not None else "form lost")
        if command == "restart":
            return None if form is not None and not [k for k, v in slots.items() if v is not None] \
                and asking == "need" else f"not restarted ({name}, {slots})"
        if command == "modify":
            return None if asking in FIELDS else f"not editing ({name})"
    if section == "confirm":
        if want == "submit":
            return None if form is None and _LEAD_NUMBER.search(reply) else f"not submitted ({name})"
        if want == "re-ask":
            return (unchanged() if name == "form:confirm" else f"left confirmation ({name})")
        if isinstance(want, dict):
            if name != "form:confirm":
                return f"left confirmation ({name}, asking {asking})"
            for key, value in want.items():
                if not same_value(key, slots.get(key), value, slots):
                    return f"{key}={slots.get(key)!r}"
            return unchanged(*want)
        return f"bad label {want!r}"
    if form is None:
        return f"form gone ({name})"
    if want == "re-ask":
        if slots.get(section) is not None and section != "need":
            return f"filled {section}={slots.get(section)!r}"
        if asking != section:
            return f"moved on to {asking or name}"
        return unchanged(*also) or also_ok()
    if want == "skipped":
        if section not in slots or slots[section] is not None:
            return f"not skipped ({slots.get(section, '-')!r})"
        return unchanged(*also) or also_ok()
    got = slots.get(section)
    if not same_value(section, got, want, slots):
        detail = slots.get("need_detail") if section == "need" else None
        return f"got {got!r}{' ' + repr(detail) if detail else ''} (asking {asking})"
    if section == "need" and isinstance(want, dict) and want.get("area") == "ask":
        if asking != "need" or "面积" not in reply:
            return f"size not asked (asking {asking})"
    return unchanged(section, *also) or also_ok()


def load(path: str | Path) -> Any:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def evaluate(engine, storage, hotline: str, answers: dict[str, list], conversations: list | None = None) -> Result:
    result = Result()
    player = Player(engine, storage, hotline)
    for section in SECTIONS:
        for case in answers.get(section) or []:
            text, want = str(case[0]), case[1]
            also = case[2] if len(case) > 2 else {}
            openid = f"formeval-{uuid.uuid4().hex[:12]}"
            result.per_field[section][1] += 1
            if not player.reach(openid, section):
                result.errors.append((section, text, want, "could not reach the field"))
                storage.erase(openid)
                continue
            before = view(player.state(openid))[2]
            reply = player.say(openid, text)
            problem = judge(section, text, want, also, before, player.state(openid), reply, hotline)
            if problem is None:
                result.per_field[section][0] += 1
            else:
                result.errors.append((section, text, want, problem))
            storage.erase(openid)
    for case in conversations or []:
        openid = f"formeval-{uuid.uuid4().hex[:12]}"
        result.conversations[1] += 1
        last_form: dict[str, Any] = {}
        reply = ""
        for text in case["say"]:
            _, _, slots, form = view(player.state(openid))
            if form is not None:
                last_form = slots
            reply = player.say(openid, str(text))
        name, asking, slots, form = view(player.state(openid))
        if form is not None:
            last_form = slots
        problem = _conversation_problem(case, name, asking, form, last_form, reply)
        if problem is None:
            result.conversations[0] += 1
        else:
            result.conversation_errors.append((case.get("name", "?"), problem))
        storage.erase(openid)
    return result


def _conversation_problem(case, name, asking, form, slots, reply) -> str | None:
    end = case.get("end", "")
    if end == "submitted" and not (form is None and _LEAD_NUMBER.search(reply)):
        return f"not submitted ({name}, asking {asking})"
    if end == "cancelled" and form is not None:
        return "not cancelled"
    if end == "confirm" and name != "form:confirm":
        return f"not at confirmation ({name}, asking {asking})"
    if end.startswith("asking:") and asking != end.split(":", 1)[1]:
        return f"asking {asking or name}, want {end}"
    for key, want in (case.get("form") or {}).items():
        got = slots.get(key)
        if want is None:
            if got is not None:
                return f"{key}={got!r}, want empty"
        elif not same_value(key, got, want, slots):
            return f"{key}={got!r} {slots.get('need_detail') if key == 'need' else ''}, want {want!r}"
    return None


def format_result(r: Result, *, errors: bool = True) -> str:
    lines = ["Form answers, per field (right outcome / answers):"]
    total_ok = total = 0
    for section in SECTIONS:
        if section not in r.per_field:
            continue
        ok, n = r.per_field[section]
        total_ok, total = total_ok + ok, total + n
        lines.append(f"    {section:9s} {ok:3d}/{n:<3d} = {100 * ok / n:5.1f}%")
    if total:
        lines.append(f"    {'all':9s} {total_ok:3d}/{total:<3d} = {100 * total_ok / total:5.1f}%")
    ok, n = r.conversations
    if n:
        lines.append(f"Form conversations ending as labelled: {ok}/{n} = {100 * ok / n:5.1f}%")
    if errors:
        lines += [f"    [{s}] {text!r}: want {want!r}; {what}" for s, text, want, what in r.errors]
        lines += [f"    (conversation) {name}: {what}" for name, what in r.conversation_errors]
    lines.append("PASS" if r.passed() else f"below {100 * TARGET:.0f}% on some field")
    return "\n".join(lines)
