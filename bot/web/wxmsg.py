"""WeChat's XML on the wire, translated to and from the engine's channel-free objects."""
from __future__ import annotations

import hashlib
import hmac
import math
import time
from xml.etree import ElementTree

from defusedxml import ElementTree as SafeET
from wechatpy import parse_message
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage

from ..dialogue.replies import Incoming, Reply
from .wxevents import Policy, policy_for

TEXT_LIMIT = 2048  # bytes WeChat shows of a passive text reply
QR_PREFIX = "qrscene_"  # a follow through a parametric QR code carries EventKey qrscene_<scene>


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
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        else:
            # entities and external references can only be declared in a DTD: without one, the C
            # parser reads exactly what defusedxml's pure-Python parser would, several times faster
            root = ElementTree.fromstring(text)
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
    """The wechatpy message (for replies), with the XML's own top-level fields as ``fields(message)``."""
    root = safe_xml(text)  # wechatpy parses with xmltodict; only hand it what passed the safe parser
    try:
        message = _flat_message(root) or parse_message(text)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise BadMessage(f"not a WeChat message ({type(exc).__name__})") from None
    if message is None or not getattr(message, "source", None):
        raise BadMessage("no FromUserName")
    # wechatpy renames events (a QR follow becomes subscribe_scan, its EventKey loses qrscene_):
    # decisions are made on what WeChat sent
    message.parkbot_fields = {child.tag: (child.text or "").strip() for child in root}
    return message


def _flat_message(root):
    """The wechatpy message of a body without nested elements (text, voice, location, most events)
    from the tree already parsed, not parsed again with xmltodict; None for anything else, which
    wechatpy's own parser reads. The class is the one wechatpy picks; only replies read it."""
    if len(root) == 0 or any(len(child) or child.attrib for child in root):
        return None
    # as xmltodict gives it: text stripped, an empty element None
    data = {child.tag: (child.text or "").strip() or None for child in root}
    if len(data) != len(root):
        return None  # a repeated element: xmltodict makes it a list
    kind = data["MsgType"].lower()
    if kind == "event":
        event = (data.get("Event") or "").lower()
        if event == "subscribe" and data.get("EventKey"):
            return None  # wechatpy renames these (subscribe_scan…)
        return EVENT_TYPES.get(event, UnknownMessage)(data)
    if kind.startswith("device_"):
        return None
    return MESSAGE_TYPES.get(kind, UnknownMessage)(data)


def fields(message) -> dict[str, str]:
    return getattr(message, "parkbot_fields", None) or {}


def message_key(message) -> str:
    """What identifies one delivery across WeChat's retries."""
    f = fields(message)
    msg_id = f.get("MsgId") or f.get("MsgID")
    if msg_id and f.get("MsgType", "").lower() != "event":
        return f"m{msg_id}"
    # the event key tells apart two menu clicks in the same second; a retry repeats it
    return f"e{f.get('CreateTime', '')}:{f.get('Event', '')}:{f.get('EventKey', '')}"


def policy(message) -> Policy:
    f = fields(message)
    return policy_for(f.get("MsgType", ""), f.get("Event", ""))


def _coordinates(lat: str, lng: str) -> tuple[float, float] | None:
    try:
        point = float(lat), float(lng)
    except (TypeError, ValueError):
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or any(map(math.isnan, point)):
        return None
    return point


def scene_of(event: str, event_key: str) -> str:
    """The parametric QR code's scene of a follow (``qrscene_<scene>``) or a follower's scan."""
    if event == "subscribe":
        return event_key[len(QR_PREFIX):] if event_key.startswith(QR_PREFIX) else ""
    return event_key if event == "scan" else ""


def to_incoming(message) -> Incoming:
    f = fields(message)
    openid, kind = message.source, f.get("MsgType", "").lower()
    if kind == "text":
        return Incoming(openid, "text", text=f.get("Content", ""))
    if kind == "voice":
        return Incoming(openid, "voice", text=f.get("Recognition", ""))
    if kind == "location":
        point = _coordinates(f.get("Location_X"), f.get("Location_Y"))
        if point is None:
            return Incoming(openid, "unsupported", msg_type="location")
        return Incoming(openid, "location", lat=point[0], lng=point[1], text=f.get("Label", ""))
    if kind == "event":
        event, key = f.get("Event", "").lower(), f.get("EventKey", "")
        if event == "location":  # the background report: Latitude / Longitude, not Location_X / _Y
            point = _coordinates(f.get("Latitude"), f.get("Longitude"))
            return Incoming(openid, "event", event=event, lat=point[0] if point else None,
                            lng=point[1] if point else None, text=f.get("Precision", ""))
        if event in ("subscribe", "scan"):
            return Incoming(openid, "event", event=event, event_key=scene_of(event, key))
        return Incoming(openid, "event", event=event, event_key=key)
    return Incoming(openid, "unsupported", msg_type=kind or "unknown")


def _cdata_safe(text: str) -> str:
    # wechatpy puts text in CDATA without escaping; splitting "]]>" keeps user text inert
    return text.replace("]]>", "]]]]><![CDATA[>")


def _clip(text: str, limit: int, ellipsis: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ellipsis.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + ellipsis


# the passive replies as wechatpy renders them (TextReply, ArticlesReply), byte for byte, from a template
TEXT_REPLY = ("<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
              "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
              "<CreateTime>{time}</CreateTime>\n</xml>")
ARTICLE_REPLY = ("<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<ArticleCount>1</ArticleCount>\n"
                 "        <Articles><item>\n"
                 "            <Title><![CDATA[{title}]]></Title>\n"
                 "            <Description><![CDATA[{description}]]></Description>\n"
                 "            <PicUrl><![CDATA[{image}]]></PicUrl>\n"
                 "            <Url><![CDATA[{url}]]></Url>\n"
                 "            </item></Articles>\n"
                 "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
                 "<CreateTime>{time}</CreateTime>\n</xml>")


def render(reply: Reply | None, message, ellipsis: str = "…") -> str:
    """The passive reply XML, or "success" when there is nothing to say."""
    if reply is None or (not reply.text and reply.article is None):
        return "success"
    # from the account to the user: the message's addressee and sender swapped
    ends = {"source": message.target or "", "target": message.source or "", "time": int(time.time())}
    if reply.article is not None:
        a = reply.article
        return ARTICLE_REPLY.format(title=_cdata_safe(a.title), description=_cdata_safe(a.description),
                                    image=_cdata_safe(a.image), url=_cdata_safe(a.url), **ends)
    return TEXT_REPLY.format(content=_cdata_safe(_clip(reply.text, TEXT_LIMIT, ellipsis)), **ends)
