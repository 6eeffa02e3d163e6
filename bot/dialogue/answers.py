"""Answers from the knowledge: an entry outright, its follow-ups, or 「您是不是想问」 with numbered suggestions.

The form answers a question asked mid-form the same way, so this sits below both.
"""
from __future__ import annotations

from ..knowledge.messages import declare
from ..nlu.topics import subjects_of
from .states import State
from .turn import Turn

TOPIC_TURNS = 2  # a follow-up 「它在哪」 refers to what was answered at most this many messages before
_RANK = {"answer": 2, "suggest": 1}

declare("answer_invite", "did_you_mean", "suggestion_line", "pick_by_digit", "not_sure", "follow_up_line", "declined",
        owner="dialogue")


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
    if not t.data.invited:
        t.data.invited = True
        t.say("answer_invite")
    return State.IDLE


def _in_context(t: Turn):
    """The match of this question, read with the subject of the last answer when it leaves it out.

    「它在哪」 after 「国际客厅是干嘛的」 is 「国际客厅在哪」. The reading with the subject wins when
    it is at least as sure as the message alone; either way the subject named (or carried) is kept
    for the next follow-up.
    """
    subjects = subjects_of(t.nlu, t.kb.parks)
    named = subjects.named(t.text)
    match, topic = t.match, named
    data = t.data
    recent = data.topic is not None and data.topic_turn is not None and data.topic_turn >= data.turn - TOPIC_TURNS
    if named is None and recent and subjects.is_follow_up(t.text):
        with_topic = t.nlu.match(subjects.with_subject(t.text, data.topic))
        if _RANK.get(with_topic.status, 0) >= _RANK.get(match.status, 0) and with_topic.status in _RANK:
            match, topic = with_topic, data.topic
    data.topic = topic if match.status in _RANK else None
    data.topic_turn = data.turn if data.topic else None
    return match


def answer_question(t: Turn) -> State:
    match = _in_context(t)
    if match.status == "answer" and match.best is not None:
        return answer_entry(t, match.best.id)
    if match.status == "suggest" and match.suggestions:
        t.say("did_you_mean")
        _numbered(t, "suggestion_line", match.suggestions[:3])
        t.say("pick_by_digit")
        return State.IDLE
    if not t.state.in_form and match.status == "none" and t.reading.intent is None and t.nlu.commands.declines(t.text):
        t.say("declined")  # 「暂时不需要派人联系我」: acknowledged, not logged as a question nobody answered
        return State.IDLE
    if not t.state.in_form:  # a stray reply while filling the form is not a question for admins
        unanswered, text, normalized = t.services.unanswered, t.text, match.normalized
        t.counts.append(lambda pipe: unanswered.queue_record(pipe, text, normalized))
    t.say("not_sure", hotline=t.kb.park.contacts.hotline)
    return State.IDLE
