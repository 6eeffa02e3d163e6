"""What the dialogue engine hands back to a channel: channel-free reply objects.

A channel (the WeChat webhook, the terminal chat, the web chat page) renders them; the
engine never knows which. ``to_dict``/``from_dict`` let the retry cache keep a reply.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news card: WeChat lets a reply to a user's message carry only one."""

    title: str
    description: str = ""
    url: str = ""
    image: str = ""


@dataclass(frozen=True)
class Reply:
    text: str = ""
    article: Article | None = None
    # the numbered choices just shown, for channels that can draw buttons
    options: tuple[str, ...] = field(default_factory=tuple)
    # words the user may send with one tap (确认 / 修改 / 取消, 登记), for channels that draw buttons
    actions: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies recursively, and this runs for every message
        return {"text": self.text, "article": asdict(self.article) if self.article else None,
                "options": list(self.options), "actions": list(self.actions)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reply":
        article = data.get("article")
        return cls(
            text=data.get("text", ""),
            article=Article(**article) if article else None,
            options=tuple(data.get("options") or ()),
            actions=tuple(data.get("actions") or ()),
        )


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: a text, a voice note, a location, a menu click, an event."""

    openid: str
    kind: str  # text | voice | location | event | unsupported
    text: str = ""
    event: str = ""  # subscribe | unsubscribe | click | ...
    event_key: str = ""
    lat: float | None = None
    lng: float | None = None
    msg_type: str = ""  # the channel's own name for unsupported kinds (image, video, link...)
    channel: str = "wechat"  # wechat | web | cli: recorded as a lead's source
