"""WeChat's XML on the wire, translated to and from the engine's channel-free objects."""
from __future__ import annotations

import hashlib
import hmac

from defusedxml import ElementTree as SafeET
from wechatpy import parse_message
from wechatpy.replies import ArticlesReply, TextReply

from ..dialogue.replies import Incoming, Reply

TEXT_LIMIT = 2048  # bytes WeChat shows of a passive text reply


class BadMessage(ValueError):
    """The body is not a WeChat message we can read (answered with 400)."""


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts joined."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def safe_xml(text: str):
    """Parse with DTDs, entities and external references refused (XXE, billion laughs)."""
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as exc:  # defusedxml raises several unrelated types; all mean "not for us"
        raise BadMessage(f"unreadable XML ({type(exc).__name__})") from None
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    return root


def read_envelope(text: str) -> str:
    """The ``Encrypt`` payload of a safe-mode request."""
    encrypt = safe_xml(text).findtext("Encrypt")
    if not encrypt:
        raise BadMessage("no Encrypt element")
    return encrypt


def parse(text: str):
    safe_xml(text)  # wechatpy parses with xmltodict; only hand it what passed the safe parser
    try:
        message = parse_message(text)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise BadMessage(f"not a WeChat message ({type(exc).__name__})") from None
    if message is None or not getattr(message, "source", None):
        raise BadMessage("no FromUserName")
    return message


def message_key(message) -> str:
    """What identifies one delivery across WeChat's retries."""
    msg_id = getattr(message, "id", None)
    if msg_id and message.type != "event":
        return f"m{msg_id}"
    data = getattr(message, "_data", {})
    # the event key tells apart two menu clicks in the same second; a retry repeats it
    return f"e{data.get('CreateTime', '')}:{data.get('Event', '')}:{data.get('EventKey', '')}"


def to_incoming(message) -> Incoming:
    openid, kind = message.source, message.type
    if kind == "text":
        return Incoming(openid, "text", text=message.content or "")
    if kind == "voice":
        return Incoming(openid, "voice", text=(getattr(message, "recognition", None) or "").strip())
    if kind == "location":
        try:
            lat, lng = float(message.location_x), float(message.location_y)
        except (TypeError, ValueError):
            return Incoming(openid, "unsupported", msg_type="location")
        return Incoming(openid, "location", lat=lat, lng=lng, text=getattr(message, "label", "") or "")
    if kind == "event":
        event = (message.event or "").lower()
        if event.startswith("subscribe"):
            event = "subscribe"  # a QR-scan subscribe greets like any other
        key = getattr(message, "key", None) or ""
        return Incoming(openid, "event", event=event, event_key=str(key))
    return Incoming(openid, "unsupported", msg_type=str(kind))


def _cdata_safe(text: str) -> str:
    # wechatpy puts text in CDATA without escaping; splitting "]]>" keeps user text inert
    return text.replace("]]>", "]]]]><![CDATA[>")


def _clip(text: str, limit: int, ellipsis: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ellipsis.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + ellipsis


def render(reply: Reply | None, message, ellipsis: str = "…") -> str:
    """The passive reply XML, or "success" when there is nothing to say."""
    if reply is None or (not reply.text and reply.article is None):
        return "success"
    if reply.article is not None:
        a = reply.article
        out = ArticlesReply(message=message)
        out.add_article({
            "title": _cdata_safe(a.title),
            "description": _cdata_safe(a.description),
            "image": _cdata_safe(a.image),
            "url": _cdata_safe(a.url),
        })
        return out.render()
    return TextReply(message=message, content=_cdata_safe(_clip(reply.text, TEXT_LIMIT, ellipsis))).render()
