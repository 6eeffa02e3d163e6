"""What every part of ``/admin`` shares: the blueprint, sentences, stores, errors, argument checks.

Off (404 for every path under ``/admin``) unless ``ADMIN_TOKEN`` is set. Every value a user
typed reaches a page only through Jinja's autoescaping, the CSV only through
``bot.leads.export`` (formula cells neutralised), and JSON only as JSON strings.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from ...leads.render import LABEL_KEYS, format_time, one_line
from ...store import StoreUnavailable
from ...store.accounts import Accounts
from ...store.connection import get_keys, get_redis
from ...store.funnel import STAGES, Funnel
from ...store.lead_desk import ChangeError, LeadDesk
from ...store.lead_search import PER_PAGE_MAX, SORTS, Query
from ...store.leads import SHANGHAI, SLOTS, STATUSES

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates",
               static_folder="../static/admin", static_url_path="/static")

NUMBER = re.compile(r"[A-Za-z0-9_-]{1,40}")
STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")
Q_LIMIT = 100
UNASSIGNED = "-"  # the assignee filter's value for leads nobody has taken

def kb():
    return current_app.extensions["parkbot.knowledge"].current()


def m(key: str, /, **values) -> str:
    """A sentence from messages.yaml; the bare key if an admin deleted it (kb check reports that)."""
    messages = kb().messages
    if key not in messages:
        return key
    try:
        return messages.render(key, **values)
    except (KeyError, IndexError, ValueError):
        return key


def leads():
    return current_app.extensions["parkbot.leads"]


def desk() -> LeadDesk:
    return LeadDesk(get_redis(current_app), get_keys(current_app))


def funnel() -> Funnel:
    return current_app.extensions["parkbot.funnel"]


def unanswered():
    return current_app.extensions["parkbot.unanswered"]


def accounts() -> Accounts:
    return Accounts(get_redis(current_app), get_keys(current_app), current_app.config.get("ADMIN_USER_HASHES"))


def wants_json() -> bool:
    return request.path.startswith("/admin/api/") or request.path.endswith(".csv")


def error(code: int, key: str, /, **values):
    message = m(key, **values)
    if wants_json():
        return jsonify({"error": message}), code
    return render_template("admin_error.html", message=message), code


class Refused(Exception):
    """Bad input: answered with ``key``'s sentence and ``code``; nothing was changed."""

    def __init__(self, code: int, key: str, **values):
        super().__init__(key)
        self.code, self.key, self.values = code, key, values


def change_lead(number: str, refused_key: str, refused_values: dict | None = None, /, **change) -> None:
    """Change a lead's status, assignee or notes as the signed-in person (pages and API alike):
    an unknown lead is a 404, a change the desk refuses a 400 saying ``refused_key``."""
    if not NUMBER.fullmatch(number):
        raise Refused(404, "admin_unknown_lead", number=number)
    try:
        desk().change(number, who=who(), **change)
    except LookupError:
        raise Refused(404, "admin_unknown_lead", number=number) from None
    except ChangeError:
        raise Refused(400, refused_key, **(refused_values or {})) from None


def who() -> str:
    """The name history and notes record for the person (or script) making this request."""
    return g.get("admin_name") or m("admin_who_token")


def status_arg(value: str | None, *, allow_all: bool = True) -> str | None:
    if allow_all and value in (None, "", "all"):
        return None
    if value not in STATUSES:
        raise Refused(400, "admin_bad_status", status=value, choices=", ".join(STATUSES))
    return value


def limit_arg(default: int, maximum: int = 1000) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Refused(400, "admin_bad_limit", max=maximum)
    return int(raw)


def _date(name: str, raw: str | None) -> date | None:
    if raw in (None, ""):
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise Refused(400, "admin_bad_date", field=name, value=raw) from None


def _positive(raw: str | None, default: int, key: str, maximum: int) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Refused(400, key, max=maximum)
    return int(raw)


def query_from(args, *, per_page: int = 25) -> Query:
    """The lead search a page or an API call asks for; ``Refused`` names the bad parameter."""
    q = (args.get("q") or "").strip()
    if len(q) > Q_LIMIT:
        raise Refused(400, "admin_bad_query", max=Q_LIMIT)
    source = args.get("source")
    if source is not None and len(source) > 64:
        raise Refused(400, "admin_bad_source")
    assignee = args.get("assignee")
    if assignee is not None and len(assignee) > 32:
        raise Refused(400, "admin_bad_assignee")
    sort = args.get("sort") or "-created"
    if sort not in SORTS:
        raise Refused(400, "admin_bad_sort", choices=", ".join(SORTS))
    day_from, day_to = _date("from", args.get("from")), _date("to", args.get("to"))
    if day_from and day_to and day_from > day_to:
        raise Refused(400, "admin_bad_range")
    return Query(q=q, status=status_arg(args.get("status")), source=source or None,
                 assignee=None if assignee in (None, "") else ("" if assignee == UNASSIGNED else assignee),
                 day_from=day_from, day_to=day_to, sort=sort,
                 page=_positive(args.get("page"), 1, "admin_bad_page", 100_000),
                 per_page=_positive(args.get("per_page"), per_page, "admin_bad_per_page", PER_PAGE_MAX))


def iso(ts) -> str:
    try:
        return datetime.fromtimestamp(float(ts), SHANGHAI).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def stream_time(entry_id: str) -> str:
    head = entry_id.split("-", 1)[0]
    return format_time(int(head) / 1000) if head.isdigit() else ""


def field_label(slot: str) -> str:
    """需求, 物业类型…: the form's own label where it has one, the staff label otherwise."""
    messages = kb().messages
    if f"field_{slot}" in messages:
        return m(f"field_{slot}")
    key = LABEL_KEYS.get(slot, f"leads_label_{slot}")
    return m(key) if key in messages else slot


def field_value(slot: str, value) -> str:
    """A lead's value as staff read it: 厂房 for factory, 租赁 for rent."""
    if slot in ("type", "deal") and isinstance(value, str) and f"{slot}_{value}" in kb().messages:
        return m(f"{slot}_{value}")
    return one_line(value)


NO_SCRIPT = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")


def admin_headers(response: Response, csp: str = NO_SCRIPT) -> Response:
    """What every admin response carries: never cached, never framed, only our own styles (and scripts
    where a page needs its own)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = csp
    return response


@bp.after_request
def _headers(response: Response) -> Response:
    return admin_headers(response)


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return error(exc.code, exc.key, **exc.values)


@bp.errorhandler(StoreUnavailable)
def _store_down(exc):
    current_app.logger.warning("admin: redis unavailable: %s", exc)
    return error(503, "admin_store_down")


@bp.context_processor
def _context():
    return {"m": m, "csrf": g.get("csrf", ""), "statuses": STATUSES, "slots": SLOTS, "stages": STAGES,
            "time": format_time, "one_line": one_line, "label_keys": LABEL_KEYS, "field_label": field_label,
            "field_value": field_value, "admin_name": g.get("admin_name"), "unassigned": UNASSIGNED}
