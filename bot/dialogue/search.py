"""Listing search in the conversation: ask, list (three at a time), details, nearest."""
from __future__ import annotations

from typing import Any

from ..knowledge.messages import declare
from ..knowledge.schema import Listing
from ..store.conversation_state import LastSearch
from .choices import picked
from .listings import (AREA_KEYS, NARROWING, area_text, beyond, cheapest_first, distance_km, facts, nearest, rank,
                       search_filters)
from .replies import Article
from .states import State
from .turn import Turn

declare("button_register", owner="web chat buttons")

PAGE = 3

declare(
    "search_ask", "search_results", "search_none", "search_alternatives", "listing_line", "listing_footer",
    "listing_more_footer", "search_no_more", "listing_details", "listing_demo_note", "listing_link",
    "listing_details_footer", "listing_gone", "search_all_types", "location_results", "location_line", "location_none",
    "location_type_results", "location_far", "location_what_any", "location_reported", "nearby_ask_location",
    "area_sqm", "area_mu", "type_factory", "type_land", "type_office", "type_apartment", "type_warehouse",
    "type_lab", "deal_rent", "deal_sale", "search_beyond", "search_beyond_none", "refine_bigger", "refine_smaller",
    "refine_cheaper", "search_what_any", "listing_asked", "listing_fact", "listing_fact_missing", owner="search",
)


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
        t.say("listing_line", digit=i, title=item.title, area=area_text(t.kb.messages, item), price=item.price, park=item.park,
              district=item.district)
        labels.append(item.title)
    t.offer([{"kind": "listing", "id": item.id} for item in page], labels)
    t.say("listing_more_footer" if offset + PAGE < len(items) else "listing_footer")


def run(t: Turn) -> State:
    park = t.park
    filters = search_filters(t.entities, park.id if park else None)
    if not filters and not t.is_("listings"):
        return ask(t)
    return _show(t, filters)


def _show(t: Turn, filters: dict[str, Any]) -> State:
    t.hit("searches")
    items, relaxed = rank(t.kb.listings, filters, _park_names(t, filters))
    if t.entities.get("refine") == "cheaper":  # 「有没有便宜的仓库」
        items = cheapest_first(items)
    t.data.search = LastSearch(filters=filters, ids=[item.id for item in items])
    if not items:
        t.say("search_none", hotline=t.kb.park.contacts.hotline)
        return State.IDLE
    if not filters:
        t.say("search_all_types")
    t.say("search_alternatives" if relaxed else "search_results", count=len(items))
    _list_page(t, items, 0)
    return State.IDLE


def _park_names(t: Turn, filters: dict[str, Any]) -> set[str]:
    park = next((p for p in t.kb.parks if p.id == filters.get("park")), None)
    return set(park.names) if park else set()


def refines_last_search(t: Turn) -> bool:
    """「城阳区的呢」「出售的呢」「有没有更大的」 right after listings were shown: the last search, changed.

    A new property type is a new search; a question the knowledge answers (「城阳区有什么政策」)
    is answered; a search by location is not narrowed (its order is the distance).
    """
    last = t.data.search
    if last is None or last.km is not None or t.reading.context not in ("list_shown", "listing_details"):
        return False
    e = t.entities
    if e.get("type") and e["type"] != last.filters.get("type"):
        return False
    if e.get("refine"):
        return True
    # 「租金怎么算」 names the deal already searched for: a question about it, not a new list
    new = search_filters(e, t.park.id if t.park else None)
    changes = any(new[k] != last.filters.get(k) for k in new if k != "type")
    return changes and not (t.reading.asks and t.match.status == "answer")


def refine(t: Turn) -> State:
    """The last search with what this message changes: a place, a deal, a size, or bigger/smaller/cheaper
    than the listings just shown."""
    last = t.data.search
    new = search_filters(t.entities, t.park.id if t.park else None)
    filters = dict(last.filters)
    if any(k in new for k in AREA_KEYS):
        filters = {k: v for k, v in filters.items() if k not in AREA_KEYS}
    filters.update(new)
    how = t.entities.get("refine")
    if not how:
        return _show(t, filters)
    t.hit("searches")
    loose = {k: v for k, v in filters.items() if k not in AREA_KEYS}  # 「更大的」 leaves the size asked behind
    items, relaxed = rank(t.kb.listings, loose, _park_names(t, loose))
    m = t.kb.messages
    what = m.render(f"refine_{how}")
    found = [] if relaxed else beyond(items, _shown(t), how)
    if not found:
        kind = filters.get("type")
        t.say("search_beyond_none", what=what, kind=m.render(f"type_{kind}") if kind else m.render("search_what_any"))
        return State.IDLE
    t.data.search = LastSearch(filters=loose, ids=[item.id for item in found])
    t.say("search_beyond", what=what, count=len(found))
    _list_page(t, found, 0)
    return State.IDLE


def _shown(t: Turn) -> list[Listing]:
    """The listings the user is looking at: the one just opened, else the page just listed."""
    by_id = t.kb.listing_by_id
    if t.reading.context == "listing_details" and t.data.viewed and t.data.viewed[-1] in by_id:
        return [by_id[t.data.viewed[-1]]]
    ids = [c["id"] for c in t.data.choices if c.get("kind") == "listing"]
    return [by_id[i] for i in ids if i in by_id]


def more(t: Turn) -> State:
    search = t.data.search
    if search is None:
        return ask(t)
    items = [t.kb.listing_by_id[i] for i in search.ids if i in t.kb.listing_by_id]
    offset = search.offset + PAGE
    if offset >= len(items):
        t.say("search_no_more")
        return State.IDLE
    search.offset = offset
    if search.km is not None:  # a location's results page on with their distances
        _location_page(t, [(item, search.km.get(item.id, 0.0)) for item in items], offset)
    else:
        _list_page(t, items, offset)
    return State.IDLE


def details(t: Turn, listing_id: str) -> State:
    item = t.kb.listing_by_id.get(listing_id)
    if item is None:
        t.say("listing_gone")
        return State.IDLE
    _viewing(t, listing_id)
    m = t.kb.messages
    text = _details_text(t, item)
    if item.demo:
        text += "\n" + m.render("listing_demo_note")
    t.actions = [m.render("button_register")]  # channels with buttons: 登记 in one tap
    if item.url or item.image:
        # one news card: the only kind of article a passive reply may carry
        description = text + "\n" + m.render("listing_details_footer")
        t.article = Article(title=item.title, description=description, url=item.url or "", image=item.image or "")
        return State.IDLE
    t.say_text(text)
    t.say("listing_details_footer")
    return State.IDLE


def _viewing(t: Turn, listing_id: str) -> None:
    """The reply is about this listing: 「想了解这个」 or a question next means it."""
    viewed = t.data.viewed
    if listing_id in viewed:
        viewed.remove(listing_id)
    viewed.append(listing_id)
    del viewed[:-10]
    t.data.viewed_turn = t.data.turn


def _details_text(t: Turn, item: Listing) -> str:
    m = t.kb.messages
    return m.render(
        "listing_details", title=item.title, type=m.render(f"type_{item.type}"), deal=m.render(f"deal_{item.deal}"),
        area=area_text(t.kb.messages, item), price=item.price, park=item.park, district=item.district,
        description=(item.description or "").strip(),
    )


def pick_listing(t: Turn) -> State:
    """A listing picked by its digit from the list shown last."""
    return details(t, picked(t)["id"])


def by_location(t: Turn) -> State:
    """A location the user sent: the listings within the knowledge's radius, nearest first."""
    if t.services is not None and t.services.profile is not None:  # 「附近有…」 later means here
        t.services.profile.remember_location(t.incoming.openid, t.incoming.lat, t.incoming.lng, t.now)
    return _near(t, t.incoming.lat, t.incoming.lng)


def wants_nearby(t: Turn) -> bool:
    """「附近有厂房吗」: listings near the user; not 「园区附近有酒店吗」, nor near a park the message names."""
    wants_listings = any(t.entities.get(k) for k in ("type", *NARROWING)) or t.commands.mentions("property", t.text)
    return wants_listings and t.commands.mentions("nearby", t.text) and t.park is None


def nearby(t: Turn) -> State:
    """「附近有厂房吗」: near the location WeChat last reported for the user, or ask for one."""
    profile = t.services.profile if t.services is not None else None
    where = profile.last_location(t.incoming.openid) if profile is not None else None
    if where is None:
        t.say("nearby_ask_location", radius=f"{t.kb.park.nearby_km:g}")
        return State.IDLE
    return _near(t, where["lat"], where["lng"], kind=t.entities.get("type"), reported_at=where["at"])


def _location_page(t: Turn, found: list[tuple[Listing, float]], offset: int) -> None:
    page = found[offset:offset + PAGE]
    for i, (item, km) in enumerate(page, 1):
        t.say("location_line", digit=i, title=item.title, km=f"{km:.1f}", area=area_text(t.kb.messages, item), price=item.price)
    t.offer([{"kind": "listing", "id": item.id} for item, _ in page], [item.title for item, _ in page])
    t.say("listing_more_footer" if offset + PAGE < len(found) else "listing_footer")


def _far(t: Turn, lat: float, lng: float, kind: str | None) -> None:
    """Nothing within the radius: say so, how far the zone is, where it is and what it has."""
    park = t.kb.park
    points = [(p.location.lat, p.location.lng) for p in t.kb.parks if p.location is not None]
    points += [(x.location.lat, x.location.lng) for x in t.kb.listings if x.location is not None]
    km = min((distance_km(lat, lng, *p) for p in points), default=None)
    if km is None:
        t.say("location_none", hotline=park.contacts.hotline)
        return
    m = t.kb.messages
    t.say("location_far", park=park.name, km=f"{km:,.0f}", radius=f"{park.nearby_km:g}",
          what=m.render(f"type_{kind}") if kind else m.render("location_what_any"),
          address=park.address or park.full_name or park.name, parks="、".join(p.name for p in t.kb.parks),
          hotline=park.contacts.hotline)


def _near(t: Turn, lat: float, lng: float, kind: str | None = None, reported_at: float | None = None) -> State:
    t.hit("searches")
    radius = t.kb.park.nearby_km
    found = [(item, km) for item, km in nearest(t.kb.listings, lat, lng)
             if km <= radius and (kind is None or item.type == kind)]
    if not found:
        _far(t, lat, lng, kind)
        t.data.search = None
        return State.IDLE
    if reported_at is not None:
        t.say("location_reported", when=_when(reported_at))
    if kind:
        t.say("location_type_results", type=t.kb.messages.render(f"type_{kind}"))
    else:
        t.say("location_results")
    _location_page(t, found, 0)
    t.data.search = LastSearch(filters={"type": kind} if kind else {}, ids=[item.id for item, _ in found],
                               km={item.id: round(km, 2) for item, km in found})
    return State.IDLE


def _when(ts: float) -> str:
    from datetime import datetime, timedelta, timezone

    return datetime.fromtimestamp(ts, timezone(timedelta(hours=8))).strftime("%m-%d %H:%M")


def last_viewed(t: Turn) -> str | None:
    """The listing 「想了解这个」 means: the one last opened, or the only one just listed."""
    viewed = t.data.viewed
    if viewed:
        return viewed[-1]
    listed = [c["id"] for c in t.data.choices if c.get("kind") == "listing"]
    return listed[0] if len(listed) == 1 else None


def just_viewed(t: Turn) -> str | None:
    """The listing whose details were shown in the last two replies (登记 right after means it)."""
    if t.data.viewed and t.data.viewed_turn is not None and t.data.viewed_turn >= t.data.turn - 2:
        return t.data.viewed[-1]
    return None


def listed_several(t: Turn) -> bool:
    return not t.data.viewed and sum(1 for c in t.data.choices if c.get("kind") == "listing") > 1


def which_listing(t: Turn) -> State:
    t.say("which_listing")
    return State.IDLE


def _named(t: Turn) -> tuple[int, str] | None:
    """The number a message names and the listing at it in the list shown lately (「第二个带装修吗」)."""
    n = t.commands.item_named(t.text)
    if n is None:
        return None
    data = t.data  # the numbered list shown last, however long ago, if it was one of listings
    listed = [c["id"] for c in data.choices if c.get("kind") == "listing"]
    return (n, listed[n - 1]) if len(listed) == len(data.choices) and 0 < n <= len(listed) else None


def named_listing(t: Turn) -> str | None:
    """The listing a message names by its number in the list shown lately (「第三个我中意」)."""
    named = _named(t)
    return named[1] if named else None


def asks_about_listed(t: Turn) -> bool:
    """「第二个带装修吗」: no command, about a listing of the list just shown."""
    return t.reading.intent is None and named_listing(t) is not None


def about_listed(t: Turn) -> State:
    """What is known of the listing asked about: what its details say of it, else all its details and who
    answers what they do not say."""
    digit, listing_id = _named(t)  # the route's condition found it
    item = t.kb.listing_by_id.get(listing_id)
    if item is not None and _say_facts(t, item):
        return State.IDLE
    state = details(t, listing_id)
    if item is not None:
        t.say("listing_asked", digit=digit)
    return state


def _say_facts(t: Turn, item: Listing) -> bool:
    found = facts(_details_text(t, item).splitlines()[1:], t.text)
    if found:
        _viewing(t, item.id)
        t.say("listing_fact", title=item.title, facts="，".join(found))
        if item.demo:
            t.say("listing_demo_note")
    return bool(found)


def asks_about_viewed(t: Turn) -> bool:
    """「层高多少」「这里可以办环评吗」 right after a listing's details (or an answer about it): a question
    that names no park and that the knowledge base does not answer outright."""
    asks = t.reading.asks or t.commands.mentions("asks_how", t.text)  # 「面积多大」 asks without a question word
    return (t.reading.context == "listing_details" and t.reading.intent is None and asks and t.park is None
            and t.match.status != "answer" and bool(t.data.viewed) and t.data.viewed[-1] in t.kb.listing_by_id)


def about_viewed(t: Turn) -> State:
    """What the details of the listing just shown say of what was asked, or that they do not say it."""
    item = t.kb.listing_by_id[t.data.viewed[-1]]
    if not _say_facts(t, item):
        _viewing(t, item.id)
        t.say("listing_fact_missing", title=item.title)
    return State.IDLE


def interest_listing(t: Turn) -> str | None:
    """The listing an interest means: the one named by its number, else the one last opened or listed alone."""
    return named_listing(t) or last_viewed(t)
