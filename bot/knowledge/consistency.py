"""Rules that span files: unique ids, references that must resolve, sentences the code needs."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .messages import declared_keys
from .problems import Problem

if TYPE_CHECKING:
    from .loader import Knowledge


def _duplicates(kb: "Knowledge", file: str, top: str, ids: list[str], what: str) -> list["Problem"]:
    counts = Counter(ids)
    return [
        Problem(file, kb.line(file, top, i, "id"), f"duplicate {what} id {value!r}")
        for i, value in enumerate(ids)
        if counts[value] > 1
    ]


def consistency_problems(kb: "Knowledge") -> list["Problem"]:
    problems: list[Problem] = []
    problems += _duplicates(kb, "faq.yaml", "faqs", [f.id for f in kb.faqs], "faq")
    problems += _duplicates(kb, "listings.yaml", "listings", [x.id for x in kb.listings], "listing")
    problems += _duplicates(kb, "parks.yaml", "parks", [p.id for p in kb.parks], "park")
    scenes = Counter(c.scene for c in kb.campaigns)
    problems += [Problem("campaigns.yaml", kb.line("campaigns.yaml", "campaigns", i, "scene"),
                         f"scene {c.scene!r} is given twice: each QR code scene names one campaign")
                 for i, c in enumerate(kb.campaigns) if scenes[c.scene] > 1]

    known_parks = set(kb.park_by_name) | {kb.park.name, *kb.park.aliases}
    for i, item in enumerate(kb.listings):
        if item.park not in known_parks:
            problems.append(
                Problem("listings.yaml", kb.line("listings.yaml", "listings", i, "park"),
                        f"listing {item.id!r} names unknown park {item.park!r} (not in parks.yaml)")
            )
    for i, faq in enumerate(kb.faqs):
        for j, ref in enumerate(faq.follow_ups):
            if ref not in kb.faq_by_id:
                problems.append(
                    Problem("faq.yaml", kb.line("faq.yaml", "faqs", i, "follow_ups", j),
                            f"faq {faq.id!r} follows up with unknown faq {ref!r}")
                )

    digits = Counter(item.digit for item in kb.menu.items)
    expected = set(range(1, len(kb.menu.items) + 1))
    if all(n == 1 for n in digits.values()):
        # channels that draw buttons send a button's position as the digit
        for i, item in enumerate(kb.menu.items):
            if item.digit not in expected:
                problems.append(Problem("menu.yaml", kb.line("menu.yaml", "items", i, "digit"),
                                        f"menu digits must be 1 to {len(kb.menu.items)} without gaps"))
    keys = Counter(item.key for item in kb.menu.items)
    for i, item in enumerate(kb.menu.items):
        if digits[item.digit] > 1:
            problems.append(Problem("menu.yaml", kb.line("menu.yaml", "items", i, "digit"), f"digit {item.digit} used twice"))
        if keys[item.key] > 1:
            problems.append(Problem("menu.yaml", kb.line("menu.yaml", "items", i, "key"), f"key {item.key!r} used twice"))
        if item.action == "faq" and item.faq not in kb.faq_by_id:
            problems.append(Problem("menu.yaml", kb.line("menu.yaml", "items", i, "faq"), f"unknown faq {item.faq!r}"))

    def walk(buttons, loc):
        for i, button in enumerate(buttons):
            here = (*loc, i)
            if button.key and button.key not in keys:
                problems.append(Problem("menu.yaml", kb.line("menu.yaml", *here, "key"),
                                        f"menu button {button.name!r} has unknown key {button.key!r}"))
            walk(button.sub_button, (*here, "sub_button"))

    walk(kb.menu.wechat_menu, ("wechat_menu",))

    for key, owner in sorted(declared_keys().items()):
        if key not in kb.messages:
            problems.append(Problem("messages.yaml", 1, f"missing message {key!r}" + (f" (used by {owner})" if owner else "")))
    return problems
