"""Listing search as pure functions over the loaded knowledge: filter, rank, nearest."""
from __future__ import annotations

import math
import re
from typing import Any, Iterable

from ..knowledge.schema import Listing

# what narrows a property type down to listings: the deal, the size, the place
NARROWING = ("deal", "area_sqm", "area_min", "area_max", "district")
SEARCH_KEYS = ("type", *NARROWING, "park")
AREA_KEYS = ("area_sqm", "area_min", "area_max")


def area_text(messages, item: Listing) -> str:
    """How big a listing is, in the knowledge's words (in mu for land given in mu)."""
    if item.area_sqm is None and item.area_mu is not None:
        return messages.render("area_mu", mu=f"{item.area_mu:g}", sqm=f"{item.area:,.0f}")
    return messages.render("area_sqm", sqm=f"{item.area:,.0f}")


def search_filters(entities: dict[str, Any], park_id: str | None) -> dict[str, Any]:
    filters = {k: entities[k] for k in SEARCH_KEYS if entities.get(k) not in (None, "")}
    if park_id:
        filters["park"] = park_id
    return filters


def _target_area(f: dict[str, Any]) -> float | None:
    if f.get("area_sqm"):
        return float(f["area_sqm"])
    lo, hi = f.get("area_min"), f.get("area_max")
    if lo and hi:
        return (float(lo) + float(hi)) / 2
    return float(lo or hi) if (lo or hi) else None


def _area_fits(item: Listing, f: dict[str, Any]) -> bool:
    area = item.area
    if f.get("area_min") and area < float(f["area_min"]) * 0.95:
        return False
    if f.get("area_max") and area > float(f["area_max"]) * 1.05:
        return False
    if f.get("area_sqm") and not (0.6 * float(f["area_sqm"]) <= area <= 1.6 * float(f["area_sqm"])):
        return False
    return True


def _fits(item: Listing, f: dict[str, Any], park_names: set[str]) -> bool:
    if f.get("type") and item.type != f["type"]:
        return False
    if f.get("deal") and item.deal != f["deal"]:
        return False
    if f.get("district") and item.district != f["district"]:
        return False
    if f.get("park") and item.park not in park_names:
        return False
    return _area_fits(item, f)


def _closeness(item: Listing, f: dict[str, Any]) -> float:
    target = _target_area(f)
    return abs(math.log(item.area / target)) if target else 0.0


def rank(listings: Iterable[Listing], filters: dict[str, Any], park_names: set[str]) -> tuple[list[Listing], bool]:
    """Listings that fit, best first; when none fit, the closest of the same type (second value True)."""
    available = [item for item in listings if item.available]
    exact = [item for item in available if _fits(item, filters, park_names)]
    if exact:
        return sorted(exact, key=lambda item: (_closeness(item, filters), item.id)), False
    relaxed = {k: v for k, v in filters.items() if k == "type"}
    near = [item for item in available if _fits(item, relaxed, park_names)]

    def score(item: Listing) -> tuple:
        misses = sum(1 for k in ("deal", "district") if filters.get(k) and getattr(item, k) != filters[k])
        return misses, _closeness(item, filters), item.id

    return sorted(near, key=score), True


_PRICE = re.compile(r"(\d+(?:\.\d+)?)\s*(.*)")


def price_value(price: str) -> tuple[float, str] | None:
    """A listing's price as (number, unit): 「1.1元/㎡/天」 -> (1.1, "元/㎡/天"); None when it has no number.
    Only prices in the same unit compare (a rent per day is no cheaper than a sale price per ㎡)."""
    m = _PRICE.search((price or "").replace(",", ""))
    return (float(m.group(1)), re.sub(r"\s+", "", m.group(2))) if m else None


def cheapest_first(items: list[Listing]) -> list[Listing]:
    """「有没有便宜的仓库」: each price unit's listings cheapest first (units in the order they came),
    listings without a price last."""
    units: dict[str, int] = {}
    keyed = []
    for item in items:
        value = price_value(item.price)
        rank_of_unit = units.setdefault(value[1], len(units)) if value else len(items)
        keyed.append(((rank_of_unit, value[0] if value else 0.0), item))
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]


def beyond(items: list[Listing], shown: list[Listing], how: str) -> list[Listing]:
    """Of ``items``, those bigger / smaller / cheaper than every listing ``shown``, nearest first."""
    if not shown:
        return []
    if how == "bigger":
        top = max(item.area for item in shown)
        return sorted((x for x in items if x.area > top), key=lambda x: (x.area, x.id))
    if how == "smaller":
        low = min(item.area for item in shown)
        return sorted((x for x in items if x.area < low), key=lambda x: (-x.area, x.id))
    prices = [p for p in map(price_value, (item.price for item in shown)) if p]
    cheaper = []
    for item in items:
        value = price_value(item.price)
        floor = min((v for v, unit in prices if value and unit == value[1]), default=None)
        if value and floor is not None and value[0] < floor:
            cheaper.append((value[0], item.id, item))
    return [item for _, _, item in sorted(cheaper)]


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) on a 6371 km sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def nearest(listings: Iterable[Listing], lat: float, lng: float) -> list[tuple[Listing, float]]:
    located = [(item, distance_km(lat, lng, item.location.lat, item.location.lng))
               for item in listings if item.available and item.location is not None]
    return sorted(located, key=lambda pair: (pair[1], pair[0].id))


# characters that frame a question about a listing rather than name what it asks (这套可以…吗, 有没有, 多少)
_FRAME = frozenset("这那个套间栋处里儿是吗呢啊呀吧么的了可以能不没有多少几什么怎样请问你们我它该还都就要会在给")
_PARTS = re.compile(r"[，。；;\n]+|,(?!\d)")
_NOISE = re.compile(r"[\s\W_]+")


def facts(lines: Iterable[str], question: str) -> list[str]:
    """The parts of a listing's details (its lines, its description's clauses) that share a word with a
    question about it: 「层高多少」 → 「层高8米」, 「可以办环评吗」 → 「可办环评」; none when the details do
    not say (「带装修吗」). Two characters of the question, neither a framing one, make a word."""
    q = _NOISE.sub("", question)
    words = {q[i:i + 2] for i in range(len(q) - 1) if q[i] not in _FRAME and q[i + 1] not in _FRAME}
    if not words:
        return []
    parts = [p.strip() for line in lines for p in _PARTS.split(line) if p.strip()]
    return [p for p in parts if any(w in p for w in words)]
