"""The park's menu: the greeting and the numbered list a digit (or the account's menu button) picks from."""
from __future__ import annotations

from ..knowledge.messages import declare
from .states import State
from .turn import Turn

declare("welcome", "menu_header", "menu_line", "menu_footer", owner="dialogue")


def show_menu(t: Turn, greet: bool = True) -> State:
    if greet:
        t.say("welcome", park=t.kb.park.name)
    t.say("menu_header")
    items = sorted(t.kb.menu.items, key=lambda i: i.digit)
    for item in items:
        t.say("menu_line", digit=item.digit, title=item.title)
    t.say("menu_footer")
    # kb check holds menu digits to 1..n, so a digit is also the item's place in this list
    t.offer([{"kind": "menu", "key": item.key} for item in items], [item.title for item in items])
    return State.IDLE
