"""Reading a message in the form: the answer to the requested field, edits, and pre-filled values.

The order (after the table's commands): values of other fields that are unambiguous anywhere
(a valid mobile, a company with its legal suffix, an introduced name) fill those fields only
when they are empty; the rest of the message is the requested field's value, read by that
field's reader and checked by it. Bare vocabulary (a property type, a district, an industry
word) never fills another field while one is asked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..nlu.fields import Read, light, readers_for, tidy_text
from ..nlu.normalize import written
from .listings import NARROWING
from .turn import Turn

# entities of a free message that may pre-fill the form (before any field is asked)
LEAD_SLOTS = ("type", "deal", "area_sqm", "area_min", "area_max", "district", "industry", "tax_wan", "company",
              "contact", "phone")
# what may stand between a field's name and its new value: 手机号错了,是… / 公司名称更正为…
_EDIT_BRIDGE = re.compile(
    r"^(?:名称|名字|称|字|名|号码|码|号|那个|这个|那一项)?\s*(?:写错了|填错了|错了|不对|有误|搞错了)?[,，\s]*"
    r"(?:麻烦|请|帮我)?(?:修改为|修改成|更正为|更改为|改成|改为|换成|应该是|应为|更正|修改|更改|改一下|改下|改|是|为|成)?[:：\s]*")


@dataclass
class Answer:
    """What one message says for the form while ``name`` is asked."""

    read: Read
    filled: dict[str, Any] = field(default_factory=dict)  # other fields this message filled
    found: tuple[str, ...] = ()  # other fields whose values it held (filled or not)
    nothing_left: bool = False  # the message was only other fields' values


def heard(entities: dict[str, Any]) -> dict[str, Any]:
    return {k: entities[k] for k in LEAD_SLOTS if entities.get(k) not in (None, "")}


def need_text(t: Turn, e: dict[str, Any]) -> str | None:
    """A need stated among other things (one sentence with everything), put into words."""
    m = t.kb.messages
    parts = []
    if e.get("district"):
        parts.append(e["district"])
    if e.get("deal"):
        parts.append(m.render(f"deal_{e['deal']}"))
    if e.get("type"):
        parts.append(m.render(f"type_{e['type']}"))
    area = area_words(t, e)
    if area:
        parts.append(area)
    return " ".join(parts) if e.get("type") or area else None


def area_words(t: Turn, e: dict[str, Any]) -> str | None:
    m = t.kb.messages
    if e.get("area_min") and e.get("area_max"):
        return m.render("need_area_range", low=f"{e['area_min']:g}", high=f"{e['area_max']:g}")
    if e.get("area_sqm"):
        return m.render("need_area", sqm=f"{e['area_sqm']:g}")
    if e.get("area_min"):
        return m.render("need_area_min", sqm=f"{e['area_min']:g}")
    if e.get("area_max"):
        return m.render("need_area_max", sqm=f"{e['area_max']:g}")
    return None


def values_from(t: Turn, e: dict[str, Any]) -> dict[str, Any]:
    """Form values stated in a free message's entities (a sentence with everything in it)."""
    out: dict[str, Any] = {}
    need = need_text(t, e)
    if need and e.get("type"):
        out["need"] = need
        out["need_detail"] = {k: e[k] for k in ("type", *NARROWING) if k in e}
    if e.get("industry"):
        out["industry"] = str(e["industry"])
    if e.get("tax_wan") is not None:
        out["tax"] = e["tax_wan"]
    for slot in ("company", "contact", "phone"):
        if e.get(slot):
            out[slot] = str(e[slot])
    return {k: v for k, v in out.items() if k in t.spec.by_name or k == "need_detail"}


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    # spans are on the folded text; cut them from the text as typed when the folding kept its length
    s = light(text) if len(written(text)) == len(text) else written(text)
    for start, end in sorted(spans, reverse=True):
        s = s[:start] + " " + s[end:]
    return s


def read_answer(t: Turn, name: str, text: str) -> Answer:
    """The requested field's value in ``text``, after other fields' unambiguous values are taken out."""
    readers = readers_for(t.nlu)
    slots = t.form.slots
    spec = t.spec
    found = readers.others(text, skip=name)
    if spec.by_name[name].reader == "need" and "industry" in spec.by_name and slots.get("industry") is None:
        usage = readers.usage_in(text)  # the need's answer often says what the space is for
        if usage:
            found["industry"] = usage
    filled = {k: v for k, (v, _) in found.items()
              if k in spec.by_name and (spec.by_name[k].anywhere or k == "industry") and slots.get(k) is None}
    rest = _without(text, [span for _, span in found.values()]) if found else text
    if found and not tidy_text(rest):
        return Answer(Read(), filled, tuple(found), nothing_left=True)
    return Answer(readers.read(spec.by_name[name].reader, rest), filled, tuple(found))


def edit_in(t: Turn, text: str) -> tuple[str | None, str]:
    """「手机号错了,是138…」「公司名称更正为…」: the field named, and what follows as its new value."""
    s = written(text)
    best: tuple[str, int, int] | None = None
    for slot, words in t.kb.intents.fields.items():
        if slot not in t.spec.by_name:
            continue
        for word in words:
            at = s.find(word)
            if at >= 0 and (best is None or len(word) > best[2] or len(word) == best[2] and at < best[1]):
                best = (slot, at, len(word))
    if best is None:
        return None, ""
    slot, at, length = best
    before = s[:at]
    rest = s[at + length:]
    # 「把公司改成…」「修改手机号为…」: the verb may come first
    rest = _EDIT_BRIDGE.sub("", rest.strip(), count=1)
    if not rest.strip() and re.search(r"(?:改成|改为|更正为|换成)\s*$", before):
        rest = ""
    return slot, rest.strip()
