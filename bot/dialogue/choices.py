"""The numbered list the user answers with a digit (the menu, listings, answers), and the menu's clicks.

Reading which item a digit or a click picks is shared by the route table and the handlers; doing
something with the item is a route's (bot/dialogue/table.py).
"""
from __future__ import annotations

from .turn import Turn


def has_fresh_choices(t: Turn) -> bool:
    """A digit, with a list kept to pick from."""
    return t.digit is not None and bool(t.data.choices)


def just_offered(t: Turn) -> bool:
    """A digit mid-form picks from a list only if the previous reply showed one."""
    return has_fresh_choices(t) and t.data.choices_turn == t.data.turn - 1


def picked(t: Turn) -> dict | None:
    """The listed choice a digit picks (a menu item, a listing, an answer), or None when out of range."""
    choices = t.data.choices
    return choices[t.digit - 1] if t.digit is not None and 0 < t.digit <= len(choices) else None


def clicked_item(t: Turn):
    """The menu item the Official Account menu's CLICK key names (None: not a click, or a key gone)."""
    if t.incoming.kind == "event" and t.incoming.event == "click":
        return t.kb.menu_by_key.get(t.incoming.event_key)
    return None


def picked_item(t: Turn):
    """The menu item a digit picks from the menu shown last (None: not a menu pick, or an item gone)."""
    choice = picked(t) if has_fresh_choices(t) else None
    return t.kb.menu_by_key.get(choice["key"]) if choice and choice["kind"] == "menu" else None
