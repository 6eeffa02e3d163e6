"""The investment inquiry form: one asking state with a requested field, then confirmation.

The fields, their order and what is said about each come from the form's specification
(``bot/form_spec.py``, on ``Turn.spec``). Slots already stated anywhere in the conversation are
filled before the first question, so a single sentence with everything goes straight to
confirmation. A filled field changes only by an explicit edit or at the confirmation step.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from ..nlu.fields import declines, is_affirm, is_unknown, is_yes, readers_for, tidy_text
from ..store.conversation_state import InquiryForm, NeedDraft
from .answers import answer_question
from .form_messages import CONFIRM_BUTTONS
from .form_reading import edit_in, heard, read_answer, values_from
from .form_lead import lead_of
from .form_values import display
from .hours import callback_phrase
from .listings import area_text
from .states import State
from .turn import Turn

_COMPLAINT = re.compile(r"错|不对|有误|改")


def _label(t: Turn, name: str) -> str:
    return t.kb.messages.render(t.spec.by_name[name].label_key)


def missing(t: Turn) -> list[str]:
    slots = t.data.form.slots
    return [name for name in t.spec.required if slots.get(name) is None]


# --- flow ----------------------------------------------------------------------------
def _new_form(t: Turn) -> InquiryForm:
    return InquiryForm(id=uuid.uuid4().hex, started=t.now, updated=t.now)


def start(t: Turn, listing_id: str | None = None) -> State:
    """登记 / the menu / 想了解这个: open (or resume) the form and ask the first missing field."""
    form = t.data.form
    fresh = form is None
    if fresh:
        t.hit("forms_started")
        form = t.data.form = _new_form(t)
        form.slots.update(values_from(t, t.data.seen))
    for name, value in values_from(t, heard(t.entities)).items():
        if form.slots.get(name) is None or fresh:
            form.slots[name] = value
    if listing_id:
        item = t.kb.listing_by_id.get(listing_id)
        if item is not None:
            if listing_id not in form.listings:
                form.listings.append(listing_id)
            if form.slots.get("need") is None or fresh:
                form.slots["need"] = f"{item.title}，{area_text(t.kb.messages, item)}"
                form.slots["need_detail"] = {"type": item.type, "deal": item.deal, "area_sqm": item.area}
    t.say("form_start" if fresh else "form_resume")
    return next_step(t)


def next_step(t: Turn) -> State:
    form = t.data.form
    form.updated = t.now
    slots = form.slots
    detail = slots.get("need_detail") or {}
    if slots.get("need") and not form.size_asked and not any(
            detail.get(k) for k in ("area_sqm", "area_min", "area_max")):
        # 「租办公室」: the size is asked once; 「不确定」 is an answer
        form.size_asked = True
        form.asking, form.follow_up = "need", "size"
        t.say("ask_need_size")
        return State.FORM_ASKING
    if form.editing:
        return confirm(t)
    for name in t.spec.order:
        if name not in slots:
            return ask(t, name)
    return confirm(t)


def ask(t: Turn, name: str) -> State:
    form = t.data.form
    form.asking = name
    form.follow_up = None
    f = t.spec.by_name[name]
    if f.reader == "phone":
        t.say("privacy_notice")
    step, total = t.spec.step(name)
    t.say("form_question", step=step, total=total, question=t.kb.messages.render(f.ask_key))
    return State.FORM_ASKING


def confirm(t: Turn) -> State:
    form = t.data.form
    form.editing = False
    form.asking = None
    form.follow_up = None
    t.say("confirm_header")
    for name in t.spec.order:
        value = form.slots.get(name)
        shown = t.kb.messages.render("field_missing") if value is None and t.spec.by_name[name].required \
            else display(t, name, value)
        t.say("confirm_line", label=_label(t, name), value=shown)
    gaps = missing(t)
    if gaps:
        t.say("confirm_missing", fields="、".join(_label(t, n) for n in gaps))
    else:
        t.say("confirm_footer")
    t.actions = [t.kb.messages.render(key) for key in CONFIRM_BUTTONS]
    return State.FORM_CONFIRM


def _store(t: Turn, name: str, value: Any, detail: dict[str, Any] | None) -> None:
    slots = t.data.form.slots
    slots[name] = value
    if detail is not None:
        slots[f"{name}_detail"] = detail
    t.data.form.tries.pop(name, None)


def _refuse(t: Turn, name: str, problem: str, values: dict[str, Any]) -> State:
    """Say what was wrong and what would do; from the second failure, rephrase and offer a way out."""
    form = t.data.form
    counts = form.tries  # forms stored before tries were counted have none: empty
    tries = counts[name] = counts.get(name, 0) + 1
    f = t.spec.by_name[name]
    t.say(problem, label=_label(t, name), **values)
    if tries != 2:  # the first try, and from the third on, say what would do; the second says it another way
        t.say(f.invalid_key)
        if tries < 2:
            return State.FORM_ASKING
    else:
        t.say(f.retry_key)
    if not f.required:
        t.say("form_way_out_skip")
    t.say("form_way_out", hotline=t.kb.park.contacts.hotline)
    return State.FORM_ASKING


def _answer_then_ask(t: Turn, name: str) -> State:
    answer_question(t)
    t.say("back_to_form")
    return ask(t, name) if t.data.form.follow_up != "size" else _ask_size_again(t)


def _ask_size_again(t: Turn) -> State:
    t.say("ask_need_size")
    return State.FORM_ASKING


def fill(t: Turn) -> State:
    """A message while a field is asked: other fields' unambiguous values, then the field's own."""
    form = t.data.form
    name = form.asking or next(iter(t.spec.order))
    if form.follow_up == "size":
        return _size(t)
    f = t.spec.by_name[name]
    other, rest = edit_in(t, t.text)
    if other is not None and other != name and _COMPLAINT.search(t.text):  # 「手机号不对」 while asked the tax
        return _edit(t, other, rest)
    answer = read_answer(t, name, t.text)
    if answer.filled:
        form.slots.update(answer.filled)
        t.say("form_noted", fields="、".join(_label(t, n) for n in answer.filled))
    if answer.nothing_left:
        if not answer.filled:  # values only of fields already filled: they stay; say how to change them
            names = [n for n in answer.found if n in t.spec.by_name]
            t.say("form_already_filled", fields="、".join(_label(t, n) for n in names))
        if form.editing or name in form.slots:
            return next_step(t)
        return ask(t, name)
    read = answer.read
    # a question is answered, not stored: only a number or an amount stands inside one (「139…可以吗」)
    free_text = f.reader in ("text", "company", "contact", "need")
    if declines(t.text) and not f.required and f.reader != "amount":  # 暂时保密: skipped, not a name
        _store(t, name, None, None)
        return next_step(t)
    if read.ok and not (free_text and t.reading.asks):
        value, detail = read.value, (read.detail if f.reader == "need" else None)
        draft, form.draft = form.draft, None
        if draft and f.reader == "need":  # 「1500平」 then 「厂房」: one need
            value, detail = f"{draft.text}，{value}", {**draft.detail, **detail}
        _store(t, name, value, detail)
        return next_step(t)
    # an FAQ match counts as a question only when the message holds nothing of the field (no size, no number)
    plausible = bool(read.detail) or any(ch.isdigit() for ch in t.text)
    if read.problem != "phone_wrong" and (
            t.reading.asks or (not free_text and not plausible and t.match.status == "answer"
                                    and not answer.filled)):
        return _answer_then_ask(t, name)
    if f.reader == "need" and read.detail:
        form.draft = NeedDraft(text=tidy_text(t.text), detail=read.detail)
    return _refuse(t, name, read.problem or f.invalid_key, read.values)


def _size(t: Turn) -> State:
    """The answer to 「大概需要多大面积?」, asked once."""
    form = t.data.form
    slots = form.slots
    readers = readers_for(t.nlu)
    found = {k: v for k, (v, _) in readers.others(t.text).items() if k in t.spec.by_name}
    if found:  # 「13912345678」 to the size question: noted (if empty), and the size asked again
        filled = {k: v for k, v in found.items() if slots.get(k) is None}
        slots.update(filled)
        if filled:
            t.say("form_noted", fields="、".join(_label(t, n) for n in filled))
        return _ask_size_again(t)
    area = readers.area(t.text)
    form.follow_up = None
    if area:
        slots.setdefault("need_detail", {}).update(area)
        slots["need"] = f"{slots['need']}，{tidy_text(t.text)}"
    elif t.reading.asks and not is_unknown(t.text):
        form.follow_up = "size"
        return _answer_then_ask(t, "need")
    elif is_unknown(t.text) or is_affirm(t.text):
        slots["need"] = f"{slots['need']}（{t.kb.messages.render('need_area_unknown')}）"
    elif tidy_text(t.text):
        slots["need"] = f"{slots['need']}，{tidy_text(t.text)}"  # what they said instead is kept
    return next_step(t)


def skip(t: Turn) -> State:
    """跳过: the field stays empty (a required one can be given later; the summary says it is missing)."""
    form = t.data.form
    name = form.asking
    if form.follow_up == "size":
        form.follow_up = None
        return next_step(t)
    f = t.spec.by_name[name]
    read = read_answer(t, name, t.text).read
    if read.ok and f.reader == "amount":  # 不方便说 to the tax question: unknown
        _store(t, name, read.value, None)
        return next_step(t)
    _store(t, name, None, None)
    if f.required:
        t.say("form_skipped_required", field=_label(t, name))
    return next_step(t)


def _apply_edit(t: Turn, name: str, text: str) -> bool:
    """A new value for ``name`` from an edit; False when ``text`` is not one."""
    slots = t.data.form.slots
    f = t.spec.by_name[name]
    readers = readers_for(t.nlu)
    read = readers.read(f.reader, text)
    if read.ok:
        _store(t, name, read.value, read.detail if f.reader == "need" else None)
        return True
    if f.reader == "need" and slots.get("need"):
        area = readers.area(text)
        if area:  # 面积改成2000平: the kind of space stays
            detail = {k: v for k, v in (slots.get("need_detail") or {}).items()
                      if k not in ("area_sqm", "area_min", "area_max")}
            _store(t, name, f"{slots['need']}（{t.kb.messages.render('need_area_changed', area=tidy_text(text))}）",
                   {**detail, **area})
            return True
    return False


def modify(t: Turn) -> State:
    """修改手机号 / 公司改成蓝海科技: that field again (or its new value, if given), then back to the summary."""
    name, rest = edit_in(t, t.text)
    if name is None:
        t.say("modify_which")
        return t.state
    return _edit(t, name, rest)


def _edit(t: Turn, name: str, rest: str) -> State:
    form = t.data.form
    if rest and _apply_edit(t, name, rest):
        if t.state is State.FORM_CONFIRM or not missing_unasked(t):
            return confirm(t)  # the summary shows the new value
        t.say("form_changed", field=_label(t, name), value=display(t, name, form.slots.get(name)))
        return next_step(t)
    form.editing = t.state is State.FORM_CONFIRM or not missing_unasked(t, name)
    return ask(t, name)


def missing_unasked(t: Turn, but: str | None = None) -> list[str]:
    slots = t.data.form.slots
    return [n for n in t.spec.order if n not in slots and n != but]


def at_confirmation(t: Turn) -> State:
    """Neither 确认 nor 修改: a correction or a new value updates the summary; a question is answered."""
    form = t.data.form
    slots = form.slots
    if is_yes(t.text):  # 没错 / 对的: yes to 请核对
        return submit(t)
    name, rest = edit_in(t, t.text)
    if name is not None and rest and _apply_edit(t, name, rest):
        return confirm(t)
    if name is not None and not rest and not t.reading.asks:
        form.editing = True  # 「电话不对」: ask for it again
        return ask(t, name)
    readers = readers_for(t.nlu)
    found = {k: v for k, (v, _) in readers.others(t.text).items() if k in t.spec.by_name}
    if not found:
        found = {k: v for k, v in values_from(t, heard(t.entities)).items() if k in ("need", "need_detail", "tax")}
    gaps = missing(t)
    if not found and gaps and not t.reading.asks:
        read = readers.read(t.spec.by_name[gaps[0]].reader, t.text)
        if read.ok:
            found = {gaps[0]: read.value}
    if found:
        slots.update(found)
        return confirm(t)
    answer_question(t)
    t.say("confirm_hint")
    return State.FORM_CONFIRM


def submit(t: Turn) -> State:
    gaps = missing(t)
    if gaps:  # 确认 with a required field still empty: ask for it, then back to the summary
        t.say("confirm_missing", fields="、".join(_label(t, n) for n in gaps))
        t.data.form.editing = True
        return ask(t, gaps[0])
    form, t.data.form = t.data.form, None
    number = t.services.leads.submit(form_id=form.id, openid=t.incoming.openid, **lead_of(t, form))
    t.hit("forms_submitted")
    callback = callback_phrase(t.kb.messages, t.kb.park.hours, datetime.fromtimestamp(t.now, timezone.utc))
    t.say("submitted", number=number, callback=callback, hotline=t.kb.park.contacts.hotline)
    t.data.seen = {}
    return State.IDLE


def restart(t: Turn) -> State:
    t.hit("forms_started")
    t.data.form = _new_form(t)
    t.say("form_restarted")
    return next_step(t)


def resume(t: Turn) -> State:
    t.say("form_resume")
    form = t.data.form
    if form.asking and form.follow_up == "size":
        return _ask_size_again(t)
    return next_step(t)


def _abandon(sentence: str):
    def handler(t: Turn) -> State:
        t.data.form = None
        t.say(sentence)
        return State.IDLE

    handler.__name__ = sentence
    return handler


cancel = _abandon("form_cancelled")  # 取消 while filling the form
drop = _abandon("form_dropped")  # 不用了 when offered to continue an old one


def explain(t: Turn) -> State:
    """「什么意思?」 in the form: what the pending question is asking for, then the question again."""
    slot = t.asking
    if slot is None:
        t.say("explain_confirm")
        return State.FORM_CONFIRM
    t.say(f"explain_{slot}")
    return ask(t, slot)


def courtesy(t: Turn) -> State:
    """谢谢 / 你是谁 mid-form: a word back (「不客气！」, who the bot is), then the pending question."""
    if t.is_("identity"):
        t.say("identity", park=t.kb.park.name, hotline=t.kb.park.contacts.hotline)
    else:
        t.say("form_thanks")
    return remind(t)


def remind(t: Turn) -> State:
    """A greeting or a pick mid-form: the pending question again."""
    t.say("back_to_form")
    form = t.data.form
    if t.state is State.FORM_CONFIRM or not form.asking:
        return confirm(t)
    if form.follow_up == "size":
        return _ask_size_again(t)
    return ask(t, form.asking)
