"""Handlers outside the form and the search: menu actions, numbered choices, handoff, privacy, events."""
from __future__ import annotations

from typing import Callable

from ..knowledge.messages import declare
from ..store.conversation_state import ConversationState
from .answers import answer_entry
from .choices import clicked_item, picked, picked_item
from .origin import lead_origin
from .states import State
from .turn import Turn

declare(
    "intro", "choice_expired", "not_sure", "handoff", "handoff_unreachable",
    "takeover_idle_released", "forgotten",
    "voice_unrecognised", "unsupported", "nothing_to_cancel", "no_form", "which_listing", "thanks", "bye", "identity", "follow_up_line", "empty_message",
    owner="dialogue",
)


def introduce(t: Turn) -> State:
    """The menu's 园区介绍."""
    t.say("intro", profile=t.kb.park.profile.strip(), industries="、".join(t.kb.park.industries))
    return State.IDLE


def menu_answer(t: Turn) -> State:
    """A menu item that answers with a FAQ entry."""
    item = clicked_item(t) or picked_item(t)
    t.say_text(t.kb.faq_by_id[item.faq].answer.strip())
    return State.IDLE


def choice_expired(t: Turn) -> State:
    t.say("choice_expired", count=len(t.data.choices))
    return t.state


def pick_answer(t: Turn) -> State:
    """An answer (a suggestion, a follow-up) picked by its digit from the list shown last."""
    return answer_entry(t, picked(t)["id"])


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
        source=lead_origin(t)["source"],
        dedup_key=f"{openid}:{bucket}",
        link=services.admin_link(openid) if services.admin_link else "",
    )
    return t.state if t.state.in_form else State.IDLE


def forget_me(t: Turn) -> State:
    openid = t.incoming.openid
    t.services.storage.erase(openid)
    count = t.services.leads.erase_personal(openid)
    t.data = ConversationState()  # nothing of the conversation is kept but this reply, for retries
    t.say("forgotten", leads=count)
    t.erased = True
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
