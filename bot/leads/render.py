"""The staff's view of a lead or a handoff alert: WeCom markdown and plain e-mail text.

Everything a user typed is untrusted. In markdown it is neutralised by swapping each
character WeCom would read as markup for its full-width twin (WeCom has no backslash
escapes, and the twins read the same to staff), and by collapsing every line break, so user
text can never open a link, a ``<font>`` tag, an ``<@mention>``, a heading or bold, nor start
a new line of the layout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.knowledge.messages import Messages
from bot.sentences import CHANNEL_KEYS, LABEL_KEYS
from bot.store.leads import SHANGHAI, SLOTS

WECOM_LIMIT = 4096  # bytes of markdown content WeCom accepts

# lead fields whose values are codes: staff read them through these message keys (type_factory, deal_rent)
CODED = {"type": "type_", "deal": "deal_"}
LISTING_TITLES = "listing_titles"  # the titles of the listings the user looked at, as the form saw them


@dataclass(frozen=True)
class Notice:
    """One thing staff must hear about, as the worker read it from the store."""

    kind: str  # lead | handoff
    job: str
    number: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    listings: list[str] = field(default_factory=list)
    transcript: list[dict] = field(default_factory=list)
    source: str = ""  # the campaign that brought the user, or the channel
    created: float = 0.0
    openid: str = ""
    channel: str = ""  # wechat | web | cli
    first_source: str = ""  # the campaign that brought the user first, when a QR code did
    link: str = ""  # a handoff's conversation on the admin page (ADMIN_BASE_URL set)
    repeat_of: str = ""  # an earlier lead with the same phone or company (防撞单)
    repeat_assignee: str = ""
    assignee: str = ""


_MARKUP = str.maketrans({
    "\\": "＼", "`": "｀", "*": "＊", "_": "＿", "[": "［", "]": "］", "(": "（", ")": "）",
    "#": "＃", "<": "＜", ">": "＞", "&": "＆", "~": "～", "|": "｜",
})
# line and paragraph separators, other controls, zero-width and bidi overrides: all would let
# text leave its line or disguise what it says
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+")
# our own admin address with a URL-quoted OpenID: nothing in it can close the markdown link
_SAFE_LINK = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
# 11+ digits: a mobile with country code or a landline with area code; shorter runs are
# dates and lead numbers, which logs need
_LONG_DIGITS = re.compile(r"(?<!\d)\d{7,}(\d{4})(?!\d)")


def one_line(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 2000.0 ㎡ reads as 2000 to staff
    return _BREAKS.sub(" ", "" if value is None else str(value)).strip()


def escape_markdown(value: Any) -> str:
    """User text made inert for WeCom markdown, on one line."""
    text = one_line(value).translate(_MARKUP)
    # bare URLs are turned into links by some clients
    return text.replace("://", "：//").replace("www.", "www．")


def mask_phone(text: Any) -> str:
    """For logs: mobiles keep their first three and last four digits, other 11+ digit numbers the last four."""
    text = _PHONE.sub(r"\1****\2", str(text))
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(1), text)


def format_time(ts: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    try:
        return datetime.fromtimestamp(float(ts), SHANGHAI).strftime(fmt)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def cut_utf8(text: str, limit: int) -> str:
    """At most ``limit`` bytes of ``text``, never splitting a character."""
    return text.encode("utf-8")[:max(limit, 0)].decode("utf-8", "ignore")


def _size(lines: list[str]) -> int:
    return len("\n".join(lines).encode("utf-8"))


def fit(head: list[str], tail: list[str], limit: int, marker: str) -> str:
    """``head`` then as many of the LAST ``tail`` lines as fit in ``limit`` bytes.

    Older transcript turns go first; if the head alone is too long it is cut on a
    character boundary. The result always ends with ``marker`` when anything was dropped.
    """
    if _size(head + tail) <= limit:
        return "\n".join(head + tail)
    kept: list[str] = []
    for line in reversed(tail):
        if _size(head + [marker, line] + kept) > limit:
            break
        kept.insert(0, line)
    if kept or _size(head + [marker]) <= limit:
        return "\n".join(head + [marker] + kept)
    room = limit - len(("\n" + marker).encode("utf-8"))
    return cut_utf8("\n".join(head), room) + "\n" + marker


def label(messages: Messages, slot: str) -> str:
    """The Chinese label of a lead field (a field added to the form is labelled by its field_ key)."""
    for key in (LABEL_KEYS.get(slot), f"field_{slot}", f"leads_label_{slot}"):
        if key and key in messages:
            return messages.render(key)
    return slot


_label = label


def value_text(messages: Messages, slot: str, value: Any) -> str:
    """A lead field's value as staff read it: codes (factory, rent) in Chinese, one line."""
    prefix = CODED.get(slot)
    if prefix and isinstance(value, str) and f"{prefix}{value}" in messages:
        return messages.render(f"{prefix}{value}")
    return one_line(value)


def listings_text(fields: dict[str, Any], listings: list[str]) -> str:
    titles = fields.get(LISTING_TITLES)
    if titles:
        return one_line(titles)
    return "、".join(one_line(x) for x in listings)


def who_label(messages: Messages, who: str) -> str:
    """用户 / 机器人 for a transcript turn's speaker."""
    return messages.render("leads_who_user") if who == "user" else (
        messages.render("leads_who_bot") if who == "bot" else who)


def source_label(messages: Messages, value: Any) -> str:
    """A source or channel as staff read it: 微信公众号 rather than ``wechat``; campaign names as given."""
    key = CHANNEL_KEYS.get(str(value or ""))
    return messages.render(key) if key and key in messages else one_line(value)


def origin_rows(messages: Messages, source: Any, channel: Any, first_source: Any) -> list[tuple[str, str]]:
    """来源, and 渠道 / 首次来源 when they say something 来源 does not."""
    m = messages.render
    rows = [(m("leads_label_source"), source_label(messages, source))]
    if channel and channel != source:
        rows.append((m("leads_label_channel"), source_label(messages, channel)))
    if first_source and first_source != source:
        rows.append((m("leads_label_first_source"), one_line(first_source)))
    return rows


def _slots(notice: Notice) -> list[str]:
    extra = [name for name in notice.fields if name not in SLOTS and name != LISTING_TITLES]
    return [*SLOTS, *sorted(extra)]


def _value(messages: Messages, value: Any, slot: str = "") -> str:
    text = value_text(messages, slot, value)
    return text if text else messages.render("leads_value_empty")


def _content(notice: Notice, messages: Messages) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]], str]:
    """What every channel says of a notice: title, header rows, field rows, handoff hint.

    Values come back raw (one line each); each channel escapes them its own way.
    """
    m = messages.render
    if notice.kind == "lead":
        title = m("leads_title_lead", number=notice.number)
    elif notice.kind == "reminder":
        title = m("leads_title_reminder", number=notice.number)
    else:
        title = m("leads_title_handoff")
    header = []
    if notice.number:
        header.append((m("leads_label_number"), one_line(notice.number)))
    header.append((m("leads_label_time"), format_time(notice.created)))
    header += origin_rows(messages, notice.source, notice.channel, notice.first_source)
    if notice.repeat_of:
        header.append((m("leads_label_repeat"), m("leads_repeat", number=one_line(notice.repeat_of),
                                                  assignee=one_line(notice.repeat_assignee) or m("leads_unassigned"))))
    if notice.kind == "reminder":
        header.append((m("leads_label_assignee"), one_line(notice.assignee) or m("leads_unassigned")))
    fields, hint = [], ""
    if notice.kind in ("lead", "reminder"):
        fields = [(label(messages, slot), _value(messages, notice.fields.get(slot), slot)) for slot in _slots(notice)]
        if notice.listings or notice.fields.get(LISTING_TITLES):
            fields.append((m("leads_label_listings"), listings_text(notice.fields, notice.listings)))
    else:
        fields = [(m("leads_label_user"), one_line(notice.openid))]
        hint = m("leads_handoff_hint")
    return title, header, fields, hint


def _turns(notice: Notice, messages: Messages) -> list[tuple[str, str, str]]:
    return [(format_time(turn.get("t"), "%H:%M"), one_line(who_label(messages, turn.get("who", ""))),
             one_line(turn.get("text"))) for turn in notice.transcript]


def wecom_markdown(notice: Notice, messages: Messages, limit: int = WECOM_LIMIT) -> str:
    esc = escape_markdown
    title, header, fields, hint = _content(notice, messages)
    head = [f"## {esc(title)}"]
    head += [f"> {esc(label)}: {esc(value)}" for label, value in header]
    head += [f"**{esc(label)}**: {esc(value)}" for label, value in fields]
    if hint:
        head.append(esc(hint))
    if notice.link and _SAFE_LINK.fullmatch(notice.link):
        head.append(f"[{esc(messages.render('leads_handoff_link'))}]({notice.link})")
    tail = []
    if notice.transcript:
        head.append(f"**{esc(messages.render('leads_label_transcript'))}**")
        tail = [f"> {esc(when)} {esc(who)}: {esc(text)}" for when, who, text in _turns(notice, messages)]
    return fit(head, tail, limit, esc(messages.render("leads_truncated")))


def plain_text(notice: Notice, messages: Messages) -> str:
    """The same content for e-mail: no markup to escape, but every value kept to one line."""
    title, header, fields, hint = _content(notice, messages)
    lines = [title, ""]
    lines += [f"{label}: {value}" for label, value in header + fields]
    if hint:
        lines.append(hint)
    if notice.link:
        lines.append(f"{messages.render('leads_handoff_link')}: {one_line(notice.link)}")
    if notice.transcript:
        lines += ["", messages.render("leads_label_transcript")]
        lines += [f"  {when} {who}: {text}" for when, who, text in _turns(notice, messages)]
    return "\n".join(lines) + "\n"
