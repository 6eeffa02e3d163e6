"""Handlers outside the form: menu, answers, numbered choices, handoff, privacy, events."""
from __future__ import annotations

from typing import Callable

from ..knowledge.messages import declare
from .states import State
from .turn import Turn

declare(
    "welcome", "menu_header", "menu_line", "menu_footer", "intro", "answer_invite", "did_you_mean",
    "suggestion_line", "pick_by_digit", "not_sure", "choice_expired", "handoff", "handoff_unreachable",
    "takeover_idle_released", "forgotten",
    "voice_unrecognised", "unsupported", "nothing_to_cancel", "no_form", "which_listing", "thanks", "bye", "identity", "follow_up_line", "empty_message",
    "explain_need", "explain_industry", "explain_tax", "explain_company", "explain_contact", "explain_phone",
    "explain_confirm", owner="dialogue",
)


def show_menu(t: Turn, greet: bool = True) -> State:
    if greet:
        t.say("welcome", park=t.kb.park.name)
    t.say("menu_header")
    items = sorted(t.kb.menu.items, key=lambda i: i.digit)
    for item in items:
        t.say("menu_line", digit=item.digit, title=item.title)
    t.say("menu_footer")
    # kb check holds menu digits to 1..n, so a digit is also the item's place in this list
    t.offer([{"kind": "menu", "key": item.key} for item in items], [item.title for item in items])
    return State.IDLE


def run_menu_action(t: Turn, key: str) -> State:
    """A menu pick, by digit or by the Official Account menu's CLICK key."""
    from . import form, search

    item = t.kb.menu_by_key.get(key)
    if item is None:
        return show_menu(t, greet=False)
    if item.action == "intro":
        t.say("intro", profile=t.kb.park.profile.strip(), industries="、".join(t.kb.park.industries))
        return State.IDLE
    if item.action == "search":
        return search.ask(t)
    if item.action == "lead":
        return form.start(t)
    if item.action == "handoff":
        return handoff(t)
    faq = t.kb.faq_by_id[item.faq]
    t.say_text(faq.answer.strip())
    return State.IDLE


def has_fresh_choices(t: Turn) -> bool:
    return t.digit is not None and bool(t.data.get("choices"))


def choose(t: Turn) -> State:
    from . import search

    choices = t.data.get("choices") or []
    picked = choices[t.digit - 1] if 0 < t.digit <= len(choices) else None
    if picked is None:
        t.say("choice_expired", count=len(choices))
        return t.state
    kind = picked["kind"]
    if kind == "menu":
        return run_menu_action(t, picked["key"])
    if kind == "listing":
        return search.details(t, picked["id"])
    return answer_entry(t, picked["id"])


def _numbered(t: Turn, line_key: str, entries: list) -> None:
    """Entries as a numbered list the next digit picks from (suggestions, follow-ups)."""
    labels = [e.title for e in entries]
    for i, label in enumerate(labels, 1):
        t.say(line_key, digit=i, title=label)
    t.offer([{"kind": "faq", "id": e.id} for e in entries], labels)


def answer_entry(t: Turn, entry_id: str) -> State:
    """Say an entry's answer (a FAQ or a park), its follow-ups, and once an invitation to 登记."""
    entry = t.nlu.entry(entry_id)
    if entry is None:  # picked from a list shown before the knowledge changed
        t.say("not_sure", hotline=t.kb.park.contacts.hotline)
        return State.IDLE
    t.say_text(entry.answer)
    follow_ups = [e for e in map(t.nlu.entry, entry.follow_ups) if e is not None][:3]
    if follow_ups:
        _numbered(t, "follow_up_line", follow_ups)
    if not t.data.get("invited"):
        t.data["invited"] = True
        t.say("answer_invite")
    return State.IDLE


def answer_question(t: Turn) -> State:
    match = t.match
    if match.status == "answer" and match.best is not None:
        return answer_entry(t, match.best.id)
    if match.status == "suggest" and match.suggestions:
        t.say("did_you_mean")
        _numbered(t, "suggestion_line", match.suggestions[:3])
        t.say("pick_by_digit")
        return State.IDLE
    if not t.state.in_form:  # a stray reply while filling the form is not a question for admins
        unanswered, text, normalized = t.services.unanswered, t.text, match.normalized
        t.counts.append(lambda pipe: unanswered.queue_record(pipe, text, normalized))
    t.say("not_sure", hotline=t.kb.park.contacts.hotline)
    return State.IDLE


# platform notices that are not the user talking: answering them would only add noise
QUIET_EVENTS = frozenset({"view", "location", "templatesendjobfinish", "masssendjobfinish", "view_miniprogram",
                          "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
                          "pic_weixin", "location_select"})


def other_event(t: Turn) -> State:
    """An event the bot has no use for: a quiet notice gets no reply, anything else a polite text."""
    if t.incoming.event not in QUIET_EVENTS:
        t.say("unsupported")
    return t.state


def small_talk(t: Turn) -> State:
    """谢谢 / 再见 / 你是谁: a short courtesy, not a question for the knowledge base."""
    kind = next(k for k in ("thanks", "bye", "identity") if t.is_(k))
    t.say(kind, hotline=t.kb.park.contacts.hotline, park=t.kb.park.name)
    return State.IDLE


def handoff(t: Turn) -> State:
    """Staff are alerted and the request waits on the admin page; the user is told only what is true:
    「已通知」 when a staff channel is delivering, otherwise to call the hotline."""
    from . import campaigns

    contacts, hours = t.kb.park.contacts, t.kb.park.hours
    services, openid = t.services, t.incoming.openid
    reachable = services.staff_channel is None or services.staff_channel() == "ok"
    t.say("handoff" if reachable else "handoff_unreachable", hotline=contacts.hotline,
          mobile=contacts.mobile or contacts.hotline, hours=hours.text)
    t.hit("handoffs")
    if services.takeovers is not None:
        services.takeovers.move(openid, "waiting", channel=t.incoming.channel,
                                only_from=("none", "waiting", "released"))
    bucket = int(t.now // 600)  # one alert per user per ten minutes, however often they ask
    services.leads.alert_handoff(
        openid=openid,
        transcript=services.storage.transcript(openid, 10),
        source=campaigns.lead_origin(t)["source"],
        dedup_key=f"{openid}:{bucket}",
        link=services.admin_link(openid) if services.admin_link else "",
    )
    return t.state if t.state.in_form else State.IDLE


def explain(t: Turn) -> State:
    """「什么意思?」 in the form: what the pending question is asking for, then the question again."""
    from . import form

    slot = t.asking
    if slot is None:
        t.say("explain_confirm")
        return State.FORM_CONFIRM
    t.say(f"explain_{slot}")
    return form.ask(t, slot)


def forget_me(t: Turn) -> State:
    openid = t.incoming.openid
    t.services.storage.erase(openid)
    count = t.services.leads.erase_personal(openid)
    t.data.clear()
    t.say("forgotten", leads=count)
    t.data["erased"] = True
    return State.IDLE


def _say_only(key: str, *, keep_state: bool) -> Callable[[Turn], State]:
    """A handler that answers with one sentence (and stays where it was, or goes idle)."""
    def handler(t: Turn) -> State:
        t.say(key)
        return t.state if keep_state else State.IDLE

    handler.__name__ = key
    return handler


nothing_to_cancel = _say_only("nothing_to_cancel", keep_state=False)
no_form = _say_only("no_form", keep_state=False)  # 确认 / 跳过 / 重新开始 with no form open
unsupported = _say_only("unsupported", keep_state=True)
voice_unrecognised = _say_only("voice_unrecognised", keep_state=True)
empty_message = _say_only("empty_message", keep_state=True)
