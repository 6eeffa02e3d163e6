"""Listing search in the conversation: ask, list (three at a time), details, nearest."""
from __future__ import annotations

from typing import Any

from ..knowledge.messages import declare
from ..knowledge.schema import Listing
from .listings import NARROWING, nearest, rank, search_filters
from .replies import Article
from .states import State
from .turn import Turn

PAGE = 3

declare(
    "search_ask", "search_results", "search_none", "search_alternatives", "listing_line", "listing_footer",
    "listing_more_footer", "search_no_more", "listing_details", "listing_demo_note", "listing_link",
    "listing_details_footer", "listing_gone", "search_all_types", "location_results", "location_line", "location_none",
    "area_sqm", "area_mu", "type_factory", "type_land", "type_office", "type_apartment", "type_warehouse",
    "type_lab", "deal_rent", "deal_sale", owner="search",
)


def area_text(t: Turn, item: Listing) -> str:
    if item.area_sqm is None and item.area_mu is not None:
        return t.kb.messages.render("area_mu", mu=f"{item.area_mu:g}", sqm=f"{item.area:,.0f}")
    return t.kb.messages.render("area_sqm", sqm=f"{item.area:,.0f}")


def looks_like_search(t: Turn) -> bool:
    """A property type is a search, unless it sits in a question the knowledge base answers.

    「园区的厂房」 and 「城阳区写字楼」 want listings; 「SCC的公寓多大?」 wants the FAQ answer.
    """
    e = t.entities
    if not e.get("type"):
        return False
    if any(e.get(k) for k in NARROWING) or t.is_("listings"):
        return True
    return not (t.reading.asks and t.match.status == "answer")


def wants_listings(t: Turn) -> bool:
    """「有哪些厂房」「现在有空置的房子吗」: a question about what is on offer, with or without a type."""
    return t.is_("listings")


def ask(t: Turn) -> State:
    t.say("search_ask")
    return State.SEARCH


def _list_page(t: Turn, items: list[Listing], offset: int) -> None:
    page = items[offset:offset + PAGE]
    labels = []
    for i, item in enumerate(page, 1):
        t.say("listing_line", digit=i, title=item.title, area=area_text(t, item), price=item.price, park=item.park,
              district=item.district)
        labels.append(item.title)
    t.offer([{"kind": "listing", "id": item.id} for item in page], labels)
    t.say("listing_more_footer" if offset + PAGE < len(items) else "listing_footer")


def run(t: Turn) -> State:
    park = t.park
    filters = search_filters(t.entities, park.id if park else None)
    if not filters and not t.is_("listings"):
        return ask(t)
    t.hit("searches")
    items, relaxed = rank(t.kb.listings, filters, set(park.names) if park else set())
    t.data["search"] = {"filters": filters, "offset": 0, "ids": [item.id for item in items]}
    if not items:
        t.say("search_none", hotline=t.kb.park.contacts.hotline)
        return State.IDLE
    if not filters:
        t.say("search_all_types")
    t.say("search_alternatives" if relaxed else "search_results", count=len(items))
    _list_page(t, items, 0)
    return State.IDLE


def more(t: Turn) -> State:
    search: dict[str, Any] | None = t.data.get("search")
    if not search:
        return ask(t)
    items = [t.kb.listing_by_id[i] for i in search["ids"] if i in t.kb.listing_by_id]
    offset = search["offset"] + PAGE
    if offset >= len(items):
        t.say("search_no_more")
        return State.IDLE
    search["offset"] = offset
    _list_page(t, items, offset)
    return State.IDLE


def details(t: Turn, listing_id: str) -> State:
    item = t.kb.listing_by_id.get(listing_id)
    if item is None:
        t.say("listing_gone")
        return State.IDLE
    viewed = t.data.setdefault("viewed", [])
    if listing_id in viewed:
        viewed.remove(listing_id)
    viewed.append(listing_id)
    del viewed[:-10]
    t.data["viewed_turn"] = t.data.get("turn", 0)
    m = t.kb.messages
    text = m.render(
        "listing_details", title=item.title, type=m.render(f"type_{item.type}"), deal=m.render(f"deal_{item.deal}"),
        area=area_text(t, item), price=item.price, park=item.park, district=item.district,
        description=(item.description or "").strip(),
    )
    if item.demo:
        text += "\n" + m.render("listing_demo_note")
    if item.url or item.image:
        # one news card: the only kind of article a passive reply may carry
        description = text + "\n" + m.render("listing_details_footer")
        t.article = Article(title=item.title, description=description, url=item.url or "", image=item.image or "")
        return State.IDLE
    t.say_text(text)
    t.say("listing_details_footer")
    return State.IDLE


def by_location(t: Turn) -> State:
    t.hit("searches")
    found = nearest(t.kb.listings, t.incoming.lat, t.incoming.lng)[:PAGE]
    if not found:
        t.say("location_none", hotline=t.kb.park.contacts.hotline)
        return State.IDLE
    t.say("location_results")
    labels = []
    for i, (item, km) in enumerate(found, 1):
        t.say("location_line", digit=i, title=item.title, km=f"{km:.1f}", area=area_text(t, item), price=item.price)
        labels.append(item.title)
    t.offer([{"kind": "listing", "id": item.id} for item, _ in found], labels)
    t.say("listing_footer")
    t.data["search"] = {"filters": {}, "offset": 0, "ids": [item.id for item, _ in found]}
    return State.IDLE


def last_viewed(t: Turn) -> str | None:
    """The listing 「想了解这个」 means: the one last opened, or the only one just listed."""
    viewed = t.data.get("viewed") or []
    if viewed:
        return viewed[-1]
    listed = [c["id"] for c in t.data.get("choices") or [] if c.get("kind") == "listing"]
    return listed[0] if len(listed) == 1 else None


def just_viewed(t: Turn) -> str | None:
    """The listing whose details were shown in the last two replies (登记 right after means it)."""
    if t.data.get("viewed") and t.data.get("viewed_turn", -9) >= t.data.get("turn", 0) - 2:
        return t.data["viewed"][-1]
    return None


def listed_several(t: Turn) -> bool:
    return not (t.data.get("viewed")) and sum(
        1 for c in t.data.get("choices") or [] if c.get("kind") == "listing") > 1


def which_listing(t: Turn) -> State:
    t.say("which_listing")
    return State.IDLE
