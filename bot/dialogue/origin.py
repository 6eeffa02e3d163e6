"""Where a user came from, as a lead or a 「转人工」 alert names it: the campaign whose QR code brought
them (bot/dialogue/campaigns.py notes its scene), else the channel they write on."""
from __future__ import annotations

from ..knowledge.messages import declare
from .turn import Turn

declare("campaign_unnamed", owner="campaigns")


def name_of(t: Turn, scene: str) -> str:
    campaign = t.kb.campaign_by_scene.get(scene)
    return campaign.name if campaign else t.kb.messages.render("campaign_unnamed", scene=scene)


def lead_origin(t: Turn) -> dict[str, str]:
    """``source`` (the latest campaign's name, else the channel), ``channel`` and ``first_source``."""
    channel = t.incoming.channel
    scenes = {}
    if t.services is not None and t.services.profile is not None:
        scenes = t.services.profile.scenes(t.incoming.openid)
    latest, first = scenes.get("latest"), scenes.get("first")
    return {
        "source": name_of(t, latest) if latest else channel,
        "channel": channel,
        "first_source": name_of(t, first) if first else "",
    }
