"""``/admin/api/…``: JSON for scripts and CRMs (bearer ``ADMIN_TOKEN``, or a signed-in session).

Errors are ``{"error": "…"}`` with a 4xx status; a refused change changes nothing. A session
(a page's own script) must send its CSRF token in ``X-CSRF-Token`` to change anything.
"""
from __future__ import annotations

import time

from flask import current_app, jsonify, request

from ...store.lead_desk import NOTE_LIMIT
from ...store.lead_search import search
from ...store.leads import STATUSES
from .auth import check_csrf
from .common import NUMBER, STREAM_ID, Refused, bp, change_lead, desk, error, iso, leads, limit_arg, query_from, unanswered
from .numbers import FUNNEL_DAYS
from .pages import decorate

PATCH_FIELDS = ("status", "assignee", "note")
LEAD_FIELDS = ("need", "type", "deal", "area_sqm", "industry", "tax", "company", "contact", "phone")


def lead_json(lead: dict, now: float | None = None) -> dict:
    """A lead for a CRM: its fields at the top level (need, company, phone…) beside the bookkeeping."""
    shown = decorate(lead, now)
    fields = lead.get("fields") or {}
    out = {name: fields.get(name) for name in LEAD_FIELDS}
    out.update({name: value for name, value in fields.items() if name not in out})
    out.update({
        "number": lead["number"], "created": iso(lead.get("created")), "created_ts": lead.get("created"),
        "status": lead["status"], "source": lead.get("source", ""), "assignee": lead.get("assignee", ""),
        "listings": [{"id": item_id, "title": item["title"], "url": item["url"]}
                     for item_id, item in zip(lead.get("listings") or [], shown["listing_items"])],
        "repeat_of": lead.get("repeat_of") or None, "overdue": shown["overdue"], "erased": lead.get("erased", False),
        "fields": fields,
    })
    return out


@bp.get("/api/leads")
def api_leads():
    query = query_from(request.args, per_page=50)
    found, total = search(leads(), query)
    now = time.time()
    return jsonify({"items": [lead_json(lead, now) for lead in found], "total": total, "page": query.page,
                    "per_page": query.per_page})


def _lead_or_404(number: str):
    return leads().get(number) if NUMBER.fullmatch(number) else None


def _detail(lead: dict) -> dict:
    number = lead["number"]
    return {**lead_json(lead), "transcript": lead.get("transcript") or [], "notes": desk().notes(number),
            "history": desk().history(number)}


@bp.get("/api/leads/<number>")
def api_lead(number: str):
    lead = _lead_or_404(number)
    if lead is None:
        return error(404, "admin_unknown_lead", number=number)
    return jsonify(_detail(lead))


@bp.patch("/api/leads/<number>")
def api_change_lead(number: str):
    if not check_csrf():
        return error(403, "admin_csrf_bad")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body or any(k not in PATCH_FIELDS for k in body):
        raise Refused(400, "admin_bad_patch", fields=", ".join(PATCH_FIELDS))
    change = {}
    if "status" in body:
        if body["status"] not in STATUSES:
            raise Refused(400, "admin_bad_status", status=body["status"], choices=", ".join(STATUSES))
        change["status"] = body["status"]
    if "assignee" in body:
        value = body["assignee"]
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value.strip()) > 32 or any(c in value for c in "\r\n\t"):
            raise Refused(400, "admin_bad_assignee")
        change["assignee"] = value
    if "note" in body:
        note = body["note"]
        if not isinstance(note, str) or not note.strip() or len(note.strip()) > NOTE_LIMIT:
            raise Refused(400, "admin_bad_note", max=NOTE_LIMIT)
        change["note"] = note
    if _lead_or_404(number) is None:
        return error(404, "admin_unknown_lead", number=number)
    change_lead(number, "admin_bad_patch", {"fields": ", ".join(PATCH_FIELDS)}, **change)
    return jsonify(_detail(leads().get(number)))


@bp.route("/api/leads/<number>/status", methods=["POST", "PUT"])
def api_set_status(number: str):
    """Kept for scripts written against the first API; PATCH /api/leads/<number> does more."""
    if not check_csrf():
        return error(403, "admin_csrf_bad")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        return error(400, "admin_bad_json")
    if body["status"] not in STATUSES:
        raise Refused(400, "admin_bad_status", status=body["status"], choices=", ".join(STATUSES))
    change_lead(number, "admin_bad_status", {"status": body["status"], "choices": ", ".join(STATUSES)},
                status=body["status"])
    return jsonify({"number": number, "status": body["status"]})


@bp.get("/api/unanswered")
def api_unanswered():
    state = request.args.get("state")
    if state not in (None, "", "open", "covered", "resolved", "dismissed"):
        raise Refused(400, "admin_bad_status", status=state, choices="open, covered, resolved, dismissed")
    items = [{"text": item["text"], "count": item["count"], "last_seen": iso(item["last_seen"]),
              "state": item["state"], "faq": item["faq"] or None, "answered_by": item["answered_by"],
              "count_7d": item["count_7d"],
              "count_30d": item["count_30d"]}
             for item in unanswered().items(limit_arg(100), state or None)]
    return jsonify({"items": items})


@bp.get("/api/stats")
def api_stats():
    holder = current_app.extensions["parkbot.knowledge"]
    kb = holder.current()
    return jsonify({**leads().stats(), "funnel": current_app.extensions["parkbot.funnel"].counts(FUNNEL_DAYS),
                    "knowledge": {"version": kb.version, "loaded_at": kb.loaded_at, "error": holder.last_error,
                                  "warnings": holder.warnings}})


@bp.get("/api/dead-letters")
def api_dead_letters():
    items = leads().dead_letters(limit_arg(100))
    return jsonify({"dead_letters": items, "count": len(items)})


@bp.post("/api/dead-letters/<entry_id>/requeue")
def api_requeue(entry_id: str):
    if not check_csrf():
        return error(403, "admin_csrf_bad")
    new_id = leads().requeue_dead_letter(entry_id) if STREAM_ID.fullmatch(entry_id) else None
    if not new_id:
        return error(404, "admin_unknown_dead")
    return jsonify({"requeued": entry_id, "outbox_id": new_id})
