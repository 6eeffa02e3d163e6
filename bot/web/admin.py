"""``/admin``: leads, unanswered questions, funnel stats and dead letters for the office's admin.

Off (404 for every path under ``/admin``) unless ``ADMIN_TOKEN`` is set. Scripts send
``Authorization: Bearer <token>``; a person logs in once with the token through a form and gets
a signed, HttpOnly, SameSite=Strict cookie (its key is derived from the token, so changing the
token logs everybody out, and every worker can check it without shared state). Form posts carry
a per-session CSRF token. Every value a user typed reaches the page only through Jinja's
autoescaping and the CSV only through ``bot.leads.export`` (formula cells neutralised).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from datetime import datetime

import redis
from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..knowledge.messages import declare
from ..leads.export import write_csv
from ..leads.ratelimit import SharedRateLimit
from ..leads.render import LABEL_KEYS, LISTING_TITLES, format_time, label, one_line, value_text
from ..store.connection import get_keys, get_redis
from ..store.funnel import STAGES, Funnel
from ..store.leads import SHANGHAI, SLOTS, STATUSES

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static/admin", static_url_path="/static")

COOKIE = "parkbot_admin"
SESSION_AGE = 12 * 3600
LOGIN_LIMIT, LOGIN_WINDOW = 20, 600  # login attempts per client address
PAGE_LIMIT, API_LIMIT, EXPORT_LIMIT = 200, 1000, 100_000
FUNNEL_DAYS = 7
_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,40}")
_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")
DONE = {"status": "admin_done_status", "requeue": "admin_done_requeue"}

ADMIN_KEYS = (
    "admin_title", "admin_login_title", "admin_login_token", "admin_login_submit", "admin_login_required",
    "admin_login_wrong", "admin_login_throttled", "admin_logged_out", "admin_logout", "admin_unauthorized",
    "admin_csrf_bad", "admin_bad_status", "admin_unknown_lead", "admin_unknown_dead", "admin_bad_json",
    "admin_bad_limit", "admin_store_down", "admin_done_status", "admin_done_requeue",
    "admin_section_stats", "admin_section_funnel", "admin_section_leads", "admin_section_unanswered",
    "admin_section_dead", "admin_section_knowledge", "admin_stat_total", "admin_stat_outbox", "admin_stat_dead",
    "admin_funnel_stage", "admin_funnel_total", "admin_funnel_today", "admin_funnel_days",
    *(f"admin_funnel_{s}" for s in STAGES), "admin_filter_label", "admin_filter_all", "admin_export_csv",
    "admin_leads_empty", "admin_leads_shown", "admin_col_actions", "admin_change_status",
    "admin_back", "admin_detail_title", "admin_erased", "admin_none", "admin_unanswered_text",
    "admin_unanswered_count", "admin_unanswered_last", "admin_unanswered_empty", "admin_dead_time",
    "admin_dead_job", "admin_dead_channel", "admin_dead_attempts", "admin_dead_error", "admin_dead_requeue",
    "admin_dead_empty", "admin_kb_version", "admin_kb_loaded", "admin_kb_error", "admin_kb_ok",
    "admin_error_title",
)
declare(*ADMIN_KEYS, "leads_label_user", "leads_who_user", "leads_who_bot", "leads_label_number",
        "leads_label_time", "leads_label_status", "leads_label_source", "leads_label_listings",
        "leads_label_transcript", *LABEL_KEYS.values(), *(f"leads_status_{s}" for s in STATUSES), owner="admin")


# --- helpers ---------------------------------------------------------------------------
def _kb():
    return current_app.extensions["parkbot.knowledge"].current()


def m(key: str, /, **values) -> str:
    """A sentence from messages.yaml; the bare key if an admin deleted it (kb check reports that)."""
    messages = _kb().messages
    if key not in messages:
        return key
    try:
        return messages.render(key, **values)
    except (KeyError, IndexError, ValueError):
        return key


def _leads():
    return current_app.extensions["parkbot.leads"]


def _funnel() -> Funnel:
    return current_app.extensions["parkbot.funnel"]


def _token() -> str | None:
    return current_app.config.get("ADMIN_TOKEN") or None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _serializer() -> URLSafeTimedSerializer:
    secret = hmac.new(_token().encode("utf-8"), b"parkbot admin session v1", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(secret, salt="parkbot-admin-session")


def _session() -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=SESSION_AGE)
    except BadSignature:  # also an expired one
        return None
    return data if isinstance(data, dict) and isinstance(data.get("csrf"), str) else None


def _wants_json() -> bool:
    return request.path.startswith("/admin/api/") or request.path.endswith(".csv")


def _error(code: int, key: str, /, **values):
    message = m(key, **values)
    if _wants_json():
        return jsonify({"error": message}), code
    return render_template("admin_error.html", message=message), code


def _unauthorised(key: str):
    if _wants_json():
        response = jsonify({"error": m(key)})
    else:
        response = current_app.make_response(render_template("admin_login.html", message=m(key)))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="parkbot admin"'
    return response


class Refused(Exception):
    """Bad input: answered with ``key``'s sentence and ``code``; nothing was changed."""

    def __init__(self, code: int, key: str, **values):
        super().__init__(key)
        self.code, self.key, self.values = code, key, values


def _status_arg(value: str | None, *, allow_all: bool = True) -> str | None:
    """``None`` for "all" (when allowed); refused for anything not a known status."""
    if allow_all and value in (None, "", "all"):
        return None
    if value not in STATUSES:
        raise Refused(400, "admin_bad_status", status=value, choices=", ".join(STATUSES))
    return value


def _limit_arg(default: int, maximum: int = API_LIMIT) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Refused(400, "admin_bad_limit", max=maximum)
    return int(raw)


def _iso(ts) -> str:
    try:
        return datetime.fromtimestamp(float(ts), SHANGHAI).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def _stream_time(entry_id: str) -> str:
    head = entry_id.split("-", 1)[0]
    return format_time(int(head) / 1000) if head.isdigit() else ""


# --- the gate ----------------------------------------------------------------------------
@bp.before_request
def _gate():
    if not _token():
        abort(404)
    g.admin, g.csrf = None, ""
    if request.endpoint in ("admin.static", "admin.login", "admin.login_form"):
        return None
    header = request.headers.get("Authorization")
    if header is not None:  # a script: the header alone decides
        scheme, _, given = header.strip().partition(" ")
        if scheme.lower() == "bearer" and given.strip() and _same(given.strip(), _token()):
            g.admin = "bearer"
            return None
        return _unauthorised("admin_login_wrong")
    session = None if request.path.startswith("/admin/api/") else _session()
    if session is None:
        return _unauthorised("admin_unauthorized" if _wants_json() else "admin_login_required")
    g.admin, g.csrf = "cookie", session["csrf"]
    return None


def _check_csrf() -> bool:
    """A cookie session's form must carry its CSRF token; a bearer request cannot be forged by a page."""
    if g.admin == "bearer":
        return True
    given = request.form.get("csrf", "")
    return bool(given) and bool(g.csrf) and _same(given, g.csrf)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    return response


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return _error(exc.code, exc.key, **exc.values)


@bp.errorhandler(redis.RedisError)
def _store_down(exc):
    current_app.logger.warning("admin: redis unavailable: %s", exc)
    return _error(503, "admin_store_down")


@bp.context_processor
def _context():
    return {"m": m, "csrf": g.get("csrf", ""), "statuses": STATUSES, "slots": SLOTS, "stages": STAGES,
            "time": format_time, "one_line": one_line, "label_keys": LABEL_KEYS,
            # lead fields as staff read them: Chinese labels, 厂房 not factory
            "field_label": lambda slot: label(_kb().messages, slot),
            "field_value": lambda slot, value: value_text(_kb().messages, slot, value)}


# --- login -------------------------------------------------------------------------------
@bp.get("/login")
def login_form():
    if _session() is not None:
        return redirect(url_for("admin.index"), 303)
    key = "admin_logged_out" if request.args.get("bye") else None
    return render_template("admin_login.html", message=m(key) if key else "", notice=bool(key))


@bp.post("/login")
def login():
    limiter = SharedRateLimit(get_redis(current_app))
    wait = limiter.take(get_keys(current_app).rate(f"admin-login:{request.remote_addr or '-'}"),
                        LOGIN_LIMIT, LOGIN_WINDOW, datetime.now().timestamp())
    if wait > 0:
        return render_template("admin_login.html", message=m("admin_login_throttled", minutes=int(wait // 60) + 1)), 429
    given = request.form.get("token", "")
    if not given or not _same(given, _token()):
        return render_template("admin_login.html", message=m("admin_login_wrong")), 401
    response = redirect(url_for("admin.index"), 303)
    response.set_cookie(COOKIE, _serializer().dumps({"csrf": secrets.token_urlsafe(32)}), max_age=SESSION_AGE,
                        path="/admin", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


@bp.post("/logout")
def logout():
    if not _check_csrf():
        return _error(400, "admin_csrf_bad")
    response = redirect(url_for("admin.login_form", bye=1), 303)
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


# --- the page ----------------------------------------------------------------------------
@bp.get("")
@bp.get("/")
def index():
    status = _status_arg(request.args.get("status"))
    store, holder = _leads(), current_app.extensions["parkbot.knowledge"]
    kb = holder.current()
    done = DONE.get(request.args.get("done", ""))
    number = request.args.get("number", "")
    done_values = {"number": number if _NUMBER.fullmatch(number) else "",
                   "status": m(f"leads_status_{request.args.get('to')}") if request.args.get("to") in STATUSES else ""}
    return render_template(
        "admin.html", status=status, leads=store.list(status, limit=PAGE_LIMIT), stats=store.stats(),
        funnel=_funnel().counts(FUNNEL_DAYS), funnel_days=FUNNEL_DAYS,
        unanswered=current_app.extensions["parkbot.unanswered"].top(100),
        dead=[{**d, "time": _stream_time(d["id"])} for d in store.dead_letters(100)],
        kb={"version": kb.version, "loaded_at": format_time(kb.loaded_at, "%Y-%m-%d %H:%M:%S"),
            "error": holder.last_error, "error_at": format_time(holder.last_error_at, "%Y-%m-%d %H:%M:%S")},
        done=m(done, **done_values) if done else "",
    )


@bp.get("/leads/<number>")
def lead_detail(number: str):
    lead = _leads().get(number) if _NUMBER.fullmatch(number) else None
    if lead is None:
        return _error(404, "admin_unknown_lead", number=number)
    extra = sorted(name for name in lead["fields"] if name not in SLOTS and name != LISTING_TITLES)
    return render_template("admin_lead.html", lead=lead, extra=extra)


@bp.post("/leads/<number>/status")
def change_status(number: str):
    if not _check_csrf():
        return _error(400, "admin_csrf_bad")
    status = request.form.get("status", "")
    _status_arg(status, allow_all=False)
    if not _NUMBER.fullmatch(number):
        return _error(404, "admin_unknown_lead", number=number)
    try:
        _leads().set_status(number, status)  # ValueError for a lead that does not exist
    except ValueError:
        return _error(404, "admin_unknown_lead", number=number)
    if request.form.get("view") == "detail":
        return redirect(url_for("admin.lead_detail", number=number), 303)
    back = request.form.get("filter") if request.form.get("filter") in STATUSES else None
    return redirect(url_for("admin.index", status=back, done="status", number=number, to=status,
                            _anchor=f"lead-{number}"), 303)


@bp.post("/dead/<entry_id>/requeue")
def requeue(entry_id: str):
    if not _check_csrf():
        return _error(400, "admin_csrf_bad")
    if not _STREAM_ID.fullmatch(entry_id) or not _leads().requeue_dead_letter(entry_id):
        return _error(404, "admin_unknown_dead")
    return redirect(url_for("admin.index", done="requeue", _anchor="dead"), 303)


@bp.get("/leads.csv")
def export():
    status = _status_arg(request.args.get("status"))
    buffer = io.StringIO()
    write_csv(_leads().list(status, limit=EXPORT_LIMIT), buffer, _kb().messages)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M")
    name = f"parkbot-leads-{status + '-' if status else ''}{stamp}.csv"
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- JSON API (bearer only) --------------------------------------------------------------
def _lead_json(lead: dict) -> dict:
    return {**lead, "created_at": _iso(lead.get("created"))}


@bp.get("/api/leads")
def api_leads():
    status = _status_arg(request.args.get("status"))
    leads = [_lead_json(lead) for lead in _leads().list(status, limit=_limit_arg(PAGE_LIMIT))]
    return jsonify({"leads": leads, "count": len(leads), "status": status})


@bp.get("/api/leads/<number>")
def api_lead(number: str):
    lead = _leads().get(number) if _NUMBER.fullmatch(number) else None
    if lead is None:
        return _error(404, "admin_unknown_lead", number=number)
    return jsonify(_lead_json(lead))


@bp.route("/api/leads/<number>/status", methods=["POST", "PUT", "PATCH"])
def api_set_status(number: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        return _error(400, "admin_bad_json")
    status = body["status"]
    _status_arg(status, allow_all=False)
    if not _NUMBER.fullmatch(number):
        return _error(404, "admin_unknown_lead", number=number)
    try:
        _leads().set_status(number, status)
    except ValueError:
        return _error(404, "admin_unknown_lead", number=number)
    return jsonify({"number": number, "status": status})


@bp.get("/api/unanswered")
def api_unanswered():
    items = [{**item, "last_seen_at": _iso(item["last_seen"])}
             for item in current_app.extensions["parkbot.unanswered"].top(_limit_arg(100))]
    return jsonify({"unanswered": items, "count": len(items)})


@bp.get("/api/stats")
def api_stats():
    holder = current_app.extensions["parkbot.knowledge"]
    kb = holder.current()
    return jsonify({**_leads().stats(), "funnel": _funnel().counts(FUNNEL_DAYS),
                    "knowledge": {"version": kb.version, "loaded_at": kb.loaded_at, "error": holder.last_error}})


@bp.get("/api/dead-letters")
def api_dead_letters():
    items = _leads().dead_letters(_limit_arg(100))
    return jsonify({"dead_letters": items, "count": len(items)})


@bp.post("/api/dead-letters/<entry_id>/requeue")
def api_requeue(entry_id: str):
    new_id = _leads().requeue_dead_letter(entry_id) if _STREAM_ID.fullmatch(entry_id) else None
    if not new_id:
        return _error(404, "admin_unknown_dead")
    return jsonify({"requeued": entry_id, "outbox_id": new_id})
