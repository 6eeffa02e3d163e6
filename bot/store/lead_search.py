"""Finding leads: search, filters, sorting and paging, repeat inquiries, and counts for charts.

A search reads the slice of the time index its date range allows (the status index when a
status is given), fetches the few fields it filters on in one pipeline, and loads whole
leads only for the page it returns. An office's leads number in the thousands a year, so
this stays a few milliseconds without secondary indexes to keep in step.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta
from typing import TYPE_CHECKING, Iterable

from .lead_terms import SHANGHAI, STATUSES

if TYPE_CHECKING:
    from .leads import LeadStore

SORTS = ("-created", "created", "company", "status", "assignee")
PER_PAGE_MAX = 200
_FIELDS = ("number", "created", "status", "source", "assignee", "f:phone", "f:company", "f:contact")
_NOT_DIGIT = re.compile(r"\D")


def field_text(raw: str | None) -> str:
    """A lead field as stored (JSON-encoded) as the text a person reads."""
    if raw is None:
        return ""
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return "" if value is None else str(value)


def fold(text: str) -> str:
    """Full-width to half-width, case and spaces ignored: how staff type a search."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


@dataclass(frozen=True)
class Query:
    q: str = ""
    status: str | None = None
    source: str | None = None
    assignee: str | None = None  # "" = nobody assigned
    day_from: date | None = None
    day_to: date | None = None
    sort: str = "-created"
    page: int = 1
    per_page: int = 50

    def __post_init__(self):
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}; use one of {', '.join(SORTS)}")
        if self.page < 1 or not 1 <= self.per_page <= PER_PAGE_MAX:
            raise ValueError("page starts at 1 and per_page is 1 to 200")
        if self.day_from and self.day_to and self.day_from > self.day_to:
            raise ValueError("from is after to")


def day_bounds(day_from: date | None, day_to: date | None) -> tuple[str, str]:
    low = "-inf" if day_from is None else repr(datetime.combine(day_from, dtime(), SHANGHAI).timestamp())
    high = "+inf" if day_to is None else "(" + repr(
        datetime.combine(day_to + timedelta(days=1), dtime(), SHANGHAI).timestamp())
    return low, high


def _matches(row: dict, query: Query, q_fold: str, q_digits: str) -> bool:
    if query.source is not None and row["source"] != query.source:
        return False
    if query.assignee is not None and row["assignee"] != query.assignee:
        return False
    if not q_fold:
        return True
    if q_fold in fold(row["number"]) or q_fold in fold(row["company"]) or q_fold in fold(row["contact"]):
        return True
    return len(q_digits) >= 4 and q_digits in _NOT_DIGIT.sub("", row["phone"])


def _rows(store: LeadStore, numbers: list[str]) -> list[dict]:
    pipe = store.r.pipeline(transaction=False)
    for number in numbers:
        pipe.hmget(store.keys.lead(number), _FIELDS)
    rows = []
    for values in pipe.execute():
        if not values[0]:
            continue
        number, created, status, source, assignee, phone, company, contact = values
        try:
            created_at = float(created or 0)
        except ValueError:
            created_at = 0.0
        rows.append({"number": number, "created": created_at, "status": status or "new", "source": source or "",
                     "assignee": assignee or "", "phone": field_text(phone), "company": field_text(company),
                     "contact": field_text(contact)})
    return rows


def search(store: LeadStore, query: Query) -> tuple[list[dict], int]:
    """The page of leads ``query`` asks for, and how many match in all."""
    index = store.keys.lead_status(query.status) if query.status else store.keys.lead_index()
    low, high = day_bounds(query.day_from, query.day_to)
    start = (query.page - 1) * query.per_page
    simple = not query.q.strip() and query.source is None and query.assignee is None
    if simple and query.sort in ("-created", "created"):
        total = store.r.zcount(index, low, high)
        if query.sort == "-created":
            numbers = store.r.zrevrangebyscore(index, high, low, start=start, num=query.per_page)
        else:
            numbers = store.r.zrangebyscore(index, low, high, start=start, num=query.per_page)
        return _load(store, numbers), total
    numbers = store.r.zrevrangebyscore(index, high, low)
    q_fold = fold(query.q)
    q_digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", query.q))
    rows = [row for row in _rows(store, numbers) if _matches(row, query, q_fold, q_digits)]
    if query.sort == "created":
        rows.reverse()
    elif query.sort != "-created":
        field = query.sort
        # stable sort keeps newest first within equal values; empty values last
        rows.sort(key=lambda row: (row[field] == "", STATUSES.index(row[field]) if field == "status" else fold(row[field])))
    page = rows[start:start + query.per_page]
    return _load(store, [row["number"] for row in page]), len(rows)


def _load(store: LeadStore, numbers: Iterable[str]) -> list[dict]:
    pipe = store.r.pipeline(transaction=False)
    for number in numbers:
        pipe.hgetall(store.keys.lead(number))
    return [lead for lead in map(store._decode, pipe.execute()) if lead]


def per_day(store: LeadStore, today: date, days: int = 30) -> list[tuple[date, int]]:
    """Leads received on each of the last ``days`` days (Asia/Shanghai), oldest first."""
    pipe = store.r.pipeline(transaction=False)
    span = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    for day in span:
        pipe.zcount(store.keys.lead_index(), *day_bounds(day, day))
    return list(zip(span, pipe.execute()))


def per_source(store: LeadStore, day_from: date | None = None) -> list[tuple[str, int]]:
    """How many leads each source brought (most first); ``day_from`` limits it to recent ones."""
    low, high = day_bounds(day_from, None)
    counts: dict[str, int] = {}
    for row in _rows(store, store.r.zrevrangebyscore(store.keys.lead_index(), high, low)):
        counts[row["source"]] = counts.get(row["source"], 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def assignees(store: LeadStore) -> list[str]:
    """Everyone some lead is assigned to, for the filter's choices."""
    names = {row["assignee"] for row in _rows(store, store.r.zrevrange(store.keys.lead_index(), 0, -1))}
    return sorted(n for n in names if n)
