"""The investment inquiry form: 需求、用途、税收、公司、联系人、手机号, then confirmation.

Slots already stated anywhere in the conversation are filled before the first question, so a
single sentence with everything goes straight to confirmation.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from ..knowledge.messages import declare
from ..nlu.reading import asks_question
from .hours import callback_phrase
from .listings import NARROWING
from .states import FORM_ORDER, OPTIONAL_SLOTS, SLOT_STATE, State
from .turn import Turn

declare(
    "form_start", "form_resume", "privacy_notice", "ask_need", "ask_industry", "ask_tax", "ask_company",
    "ask_contact", "ask_phone", "invalid_need", "invalid_industry", "invalid_tax", "invalid_company",
    "invalid_contact", "invalid_phone", "required_slot", "confirm_header", "confirm_line", "confirm_footer",
    "confirm_hint", "field_need", "field_industry", "field_tax", "field_company", "field_contact", "field_phone",
    "field_skipped", "tax_amount", "tax_amount_yi", "tax_unknown", "submitted", "callback_today", "callback_later", "weekdays",
    "form_cancelled", "form_dropped", "form_restarted", "need_area", "need_area_range", "need_area_min",
    "need_area_max", "modify_which", "back_to_form", "form_resume_offer", owner="form",
)

LEAD_SLOTS = ("type", "deal", "area_sqm", "area_min", "area_max", "district", "industry", "tax_wan", "company",
              "contact", "phone")
_DIGITS = re.compile(r"\d")
_NOTHING_BUT_NUMBERS = re.compile(r"[\d\s\-+()]*")
# shortest and longest free text each field accepts when nothing more specific was recognised
_FREE_TEXT_LIMITS = {"need": (2, 80), "industry": (2, 40), "company": (2, 50), "contact": (1, 12)}


def is_question(text: str) -> bool:
    return asks_question(text)


def heard(entities: dict[str, Any]) -> dict[str, Any]:
    return {k: entities[k] for k in LEAD_SLOTS if entities.get(k) not in (None, "")}


# --- slot values ---------------------------------------------------------------------
def need_text(t: Turn, e: dict[str, Any]) -> str | None:
    m = t.kb.messages
    parts = []
    if e.get("district"):
        parts.append(e["district"])
    if e.get("deal"):
        parts.append(m.render(f"deal_{e['deal']}"))
    if e.get("type"):
        parts.append(m.render(f"type_{e['type']}"))
    if e.get("area_min") and e.get("area_max"):
        parts.append(m.render("need_area_range", low=f"{e['area_min']:g}", high=f"{e['area_max']:g}"))
    elif e.get("area_sqm"):
        parts.append(m.render("need_area", sqm=f"{e['area_sqm']:g}"))
    elif e.get("area_min"):
        parts.append(m.render("need_area_min", sqm=f"{e['area_min']:g}"))
    elif e.get("area_max"):
        parts.append(m.render("need_area_max", sqm=f"{e['area_max']:g}"))
    return " ".join(parts) if e.get("type") or e.get("area_sqm") or e.get("area_min") or e.get("area_max") else None


def values_from(t: Turn, e: dict[str, Any]) -> dict[str, Any]:
    """Form slots stated in entities ``e`` (as displayed), plus the structured need."""
    out: dict[str, Any] = {}
    need = need_text(t, e)
    if need:
        out["need"] = need
        out["need_detail"] = {k: e[k] for k in ("type", *NARROWING) if k in e}
    if e.get("industry"):
        out["industry"] = str(e["industry"])
    if e.get("tax_wan") is not None:
        out["tax"] = e["tax_wan"]
    for slot in ("company", "contact", "phone"):
        if e.get(slot):
            out[slot] = str(e[slot])
    return out


def _free_text(slot: str, text: str, entities: dict[str, Any]) -> str | None:
    """What a pending free-text slot accepts when the extractor found nothing specific."""
    text = text.strip()
    if is_question(text) or not text or entities.get("tax_wan") == "unknown":
        return None
    if slot not in _FREE_TEXT_LIMITS:
        return None
    low, high = _FREE_TEXT_LIMITS[slot]
    if not low <= len(text) <= high:
        return None
    if slot == "contact" and _DIGITS.search(text):
        return None
    if _NOTHING_BUT_NUMBERS.fullmatch(text):  # no name, no need, no company
        return None
    return text


def answer_to(t: Turn, slot: str, text: str | None = None) -> dict[str, Any]:
    """The form values an answer to ``slot`` gives (``text``, or the message itself).

    Free text stands for the asked field only when nothing else was recognised in it: a phone
    number typed at the 用途 question is a phone number. 不知道 answers only the tax question.
    """
    entities = t.entities if text is None else t.nlu.entities(text)
    found = values_from(t, entities)
    if slot != "tax" and found.get("tax") == "unknown":
        del found["tax"]
    if not found:
        value = _free_text(slot, t.text if text is None else text, entities)
        if value is not None:
            found[slot] = value
    return found


def display(t: Turn, slot: str, value: Any) -> str:
    m = t.kb.messages
    if value is None:
        return m.render("field_skipped")
    if slot == "tax":
        if value == "unknown":
            return m.render("tax_unknown")
        wan = float(value)
        if wan >= 10000:
            return m.render("tax_amount_yi", yi=f"{wan / 10000:g}")
        return m.render("tax_amount", wan=f"{wan:g}")
    return str(value)


# --- flow ----------------------------------------------------------------------------
def _new_form(t: Turn) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "slots": {}, "listings": [], "started": t.now, "updated": t.now,
            "editing": False}


def start(t: Turn, listing_id: str | None = None) -> State:
    """登记 / the menu / 想了解这个: open (or resume) the form and ask the first missing slot."""
    form = t.data.get("form")
    fresh = form is None
    if fresh:
        t.hit("forms_started")
        form = t.data["form"] = _new_form(t)
        form["slots"].update(values_from(t, t.data.get("seen", {})))
    form["slots"].update(values_from(t, heard(t.entities)))
    if listing_id:
        from .search import area_text

        item = t.kb.listing_by_id.get(listing_id)
        if item is not None:
            if listing_id not in form["listings"]:
                form["listings"].append(listing_id)
            if "need" not in form["slots"] or fresh:
                form["slots"]["need"] = f"{item.title}({area_text(t, item)})"
                form["slots"]["need_detail"] = {"type": item.type, "deal": item.deal, "area_sqm": item.area}
    t.say("form_start" if fresh else "form_resume")
    return next_step(t)


def next_step(t: Turn) -> State:
    form = t.data["form"]
    form["updated"] = t.now
    if form.get("editing"):
        return confirm(t)
    for slot in FORM_ORDER:
        if slot not in form["slots"]:
            return ask(t, slot)
    return confirm(t)


def ask(t: Turn, slot: str) -> State:
    if slot == "phone":
        t.say("privacy_notice")
    t.say(f"ask_{slot}")
    return SLOT_STATE[slot]


def confirm(t: Turn) -> State:
    form = t.data["form"]
    form["editing"] = False
    t.say("confirm_header")
    for slot in FORM_ORDER:
        t.say("confirm_line", label=t.kb.messages.render(f"field_{slot}"), value=display(t, slot, form["slots"].get(slot)))
    t.say("confirm_footer")
    return State.FORM_CONFIRM


def fill(t: Turn) -> State:
    """An answer to the pending slot (and any other slot the same message states)."""
    slot = t.state.slot
    found = answer_to(t, slot)
    if found:
        t.data["form"]["slots"].update(found)
        return next_step(t)
    if is_question(t.text) or (t.match.status == "answer" and slot not in ("company", "contact")):
        from .general import answer_question

        answer_question(t)
        t.say("back_to_form")
        return ask(t, slot)
    t.say(f"invalid_{slot}")
    return t.state


def skip(t: Turn) -> State:
    slot = t.state.slot
    if slot not in OPTIONAL_SLOTS:
        t.say("required_slot", field=t.kb.messages.render(f"field_{slot}"))
        return ask(t, slot)
    t.data["form"]["slots"][slot] = None
    return next_step(t)


def modify(t: Turn) -> State:
    """修改手机号 / 改一下公司: that slot again (or its new value, if given), then back to confirmation."""
    form = t.data["form"]
    slot = t.commands.field_named(t.text)
    if slot is None:
        t.say("modify_which")
        return t.state
    rest = t.commands.after_field(t.text)
    found = answer_to(t, slot, rest) if rest else {}
    if slot in found:
        form["slots"][slot] = found[slot]
        if slot == "need":
            form["slots"]["need_detail"] = found.get("need_detail", {})
        return next_step(t)
    form["slots"].pop(slot, None)
    form["editing"] = t.state is State.FORM_CONFIRM or all(s in form["slots"] for s in FORM_ORDER if s != slot)
    return ask(t, slot)


def at_confirmation(t: Turn) -> State:
    """Neither 确认 nor 修改: new values update the summary; a question is answered."""
    found = values_from(t, t.entities)
    if found:
        t.data["form"]["slots"].update(found)
        return confirm(t)
    from .general import answer_question

    answer_question(t)
    t.say("confirm_hint")
    return State.FORM_CONFIRM


def submit(t: Turn) -> State:
    form = t.data.pop("form")
    slots = form["slots"]
    detail = slots.get("need_detail") or {}
    fields = {
        "need": slots.get("need"), "type": detail.get("type"), "deal": detail.get("deal"),
        "area_sqm": detail.get("area_sqm"), "industry": slots.get("industry"),
        "tax": display(t, "tax", slots["tax"]) if slots.get("tax") is not None else None,
        "company": slots.get("company"), "contact": slots.get("contact"), "phone": slots.get("phone"),
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    openid = t.incoming.openid
    number = t.services.leads.submit(
        form_id=form["id"], openid=openid, fields=fields,
        listings=list(dict.fromkeys(form["listings"] + (t.data.get("viewed") or [])[-5:])),
        transcript=t.services.storage.transcript(openid, 12), source=t.incoming.channel,
    )
    t.hit("forms_submitted")
    callback = callback_phrase(t.kb.messages, t.kb.park.hours, datetime.fromtimestamp(t.now, timezone.utc))
    t.say("submitted", number=number, callback=callback, hotline=t.kb.park.contacts.hotline)
    t.data.pop("seen", None)
    return State.IDLE


def restart(t: Turn) -> State:
    t.hit("forms_started")
    t.data["form"] = _new_form(t)
    t.say("form_restarted")
    return next_step(t)


def resume(t: Turn) -> State:
    t.say("form_resume")
    return next_step(t)


def _abandon(sentence: str):
    def handler(t: Turn) -> State:
        t.data.pop("form", None)
        t.say(sentence)
        return State.IDLE

    handler.__name__ = sentence
    return handler


cancel = _abandon("form_cancelled")  # 取消 while filling the form
drop = _abandon("form_dropped")  # 不用了 when offered to continue an old one


def remind(t: Turn) -> State:
    """A greeting or a pick mid-form: the pending question again."""
    t.say("back_to_form")
    return ask(t, t.state.slot) if t.state.slot else confirm(t)
