"""Campaign sources: which parametric QR code (expo, brochure, roadshow) brought a user.

A follow through such a code, or a follower's scan of one, carries its scene; the user's first
and latest scenes are kept (bot/store/profile.py) and every lead and "wants a human" alert
carries the source (bot/dialogue/origin.py): the campaign's name from ``knowledge/campaigns.yaml``,
or the channel (wechat, web, cli) when no code brought the user.
"""
from __future__ import annotations

from ..knowledge.messages import declare
from .menu import show_menu
from .states import State
from .turn import Turn

declare("scan_welcome", owner="campaigns")


def _note(t: Turn) -> str:
    scene = t.incoming.event_key
    if scene and t.services is not None and t.services.profile is not None:
        t.services.profile.note_scene(t.incoming.openid, scene, t.now)
    return scene


def _greet(t: Turn, scene: str, default_key: str) -> State:
    campaign = t.kb.campaign_by_scene.get(scene) if scene else None
    if campaign is not None and campaign.welcome:
        t.say_text(campaign.welcome.strip())
    else:
        t.say(default_key, park=t.kb.park.name)
    return show_menu(t, greet=False)


def follow(t: Turn) -> State:
    """A follow, plain or through a campaign's QR code (its own welcome when it has one)."""
    return _greet(t, _note(t), "welcome")


def scan(t: Turn) -> State:
    """A follower scanned a campaign's QR code: the source is noted, the menu shown again."""
    return _greet(t, _note(t), "scan_welcome")
