"""The admin's pages: the lead list (search, filters, paging), one lead, and the forms that change things.

Every form posts back here with its CSRF token and answers with a redirect (303) to a page that
shows what happened at the top, in view (``#done``); bad input gets an error page and changes nothing.
"""
from __future__ import annotations

from ...leads.render import LISTING_TITLES

import io
import time
from dataclasses import replace
from datetime import datetime

from flask import Response, current_app, redirect, render_template, request, url_for

from ...leads.export import write_csv
from ...leads.followup import deadline, is_overdue
from ...store.lead_desk import NOTE_LIMIT
from ...store.lead_search import assignees, per_source, search
from ...store.leads import SHANGHAI, SLOTS, STATUSES
from .auth import check_csrf
from .common import (NUMBER, STREAM_ID, Refused, accounts, bp, change_lead, desk, error, kb, leads, m, query_from, status_arg,
                     stream_time, unanswered, who)
from .numbers import dashboard

EXPORT_LIMIT = 100_000
DONE = {"status": "admin_done_status", "requeue": "admin_done_requeue", "assign": "admin_done_assign",
        "note": "admin_done_note", "unanswered": "admin_done_unanswered"}


def _done() -> str:
    key = DONE.get(request.args.get("done", ""))
    if not key:
        return ""
    number = request.args.get("number", "")
    to = request.args.get("set")
    return m(key, number=number if NUMBER.fullmatch(number) else "",
             status=m(f"leads_status_{to}") if to in STATUSES else "")


def decorate(lead: dict, now: float | None = None) -> dict:
    """A lead as the pages show it: overdue or not, listings by title."""
    hours = kb().park.hours
    now = time.time() if now is None else now
    listings = []
    for item_id in lead.get("listings") or []:
        item = kb().listing_by_id.get(item_id)
        listings.append({"title": item.title, "url": item.url or ""} if item else {"title": "", "url": ""})
    return {**lead, "overdue": is_overdue(lead, hours, now),
            "due": deadline(hours, lead["created"]) if lead.get("created") else None, "listing_items": listings}


@bp.get("")
@bp.get("/")
def index():
    query = query_from(request.args)
    found, total = search(leads(), query)
    pages = max(1, -(-total // query.per_page))
    holder = current_app.extensions["parkbot.knowledge"]
    current = holder.current()
    args = {k: v for k, v in request.args.items() if k not in ("page", "done", "number", "set") and v}

    def page_url(page: int) -> str:
        return url_for("admin.index", **args, page=page)

    return render_template(
        "admin.html", query=query, leads=[decorate(lead) for lead in found], total=total, pages=pages,
        prev_url=page_url(query.page - 1) if query.page > 1 else "",
        next_url=page_url(query.page + 1) if query.page < pages else "",
        sources=[name for name, _ in per_source(leads()) if name], people=sorted(set(assignees(leads())) | set(accounts().names())),
        stats=leads().stats(), numbers=dashboard(),
        unanswered=unanswered().items(100), faqs=current.faqs,
        faq_titles={f.id: (f.questions[0] if f.questions else f.id) for f in current.faqs},
        dead=[{**d, "time": stream_time(d["id"])} for d in leads().dead_letters(100)],
        kb={"version": current.version, "loaded_at": _t(current.loaded_at), "error": holder.last_error,
            "error_at": _t(holder.last_error_at), "warnings": getattr(holder, "warnings", [])},
        done=_done(), export_url=url_for("admin.export", **{k: v for k, v in args.items() if k != "per_page"}),
    )


def _t(ts) -> str:
    from ...leads.render import format_time

    return format_time(ts, "%Y-%m-%d %H:%M:%S")


@bp.get("/leads/<number>")
def lead_detail(number: str):
    lead = leads().get(number) if NUMBER.fullmatch(number) else None
    if lead is None:
        return error(404, "admin_unknown_lead", number=number)
    # the listings' titles are shown with the listings themselves
    extra = sorted(name for name in lead["fields"] if name not in SLOTS and name != LISTING_TITLES)
    earlier = leads().get(lead["repeat_of"]) if lead.get("repeat_of") else None
    return render_template("admin_lead.html", lead=decorate(lead), extra=extra, notes=desk().notes(number),
                           history=desk().history(number), earlier=earlier, done=_done(),
                           people=sorted(set(assignees(leads())) | set(accounts().names())), note_limit=NOTE_LIMIT)


def _back(number: str, done: str, **extra):
    """Where a form returns: the lead's page, or the list (its filters kept), with the notice in view."""
    view = request.form.get("view")
    if view == "detail":
        return redirect(url_for("admin.lead_detail", number=number, done=done, **extra, _anchor="done"), 303)
    back = request.form.get("back", "")
    args = {}
    if back.startswith("?") and len(back) < 600:
        from urllib.parse import parse_qsl

        args = {k: v for k, v in parse_qsl(back[1:]) if k in ("q", "status", "source", "assignee", "from", "to",
                                                                "sort", "page", "per_page")}
    return redirect(url_for("admin.index", **args, done=done, number=number, **extra, _anchor="done"), 303)


@bp.post("/leads/<number>/status")
def change_status(number: str):
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    status = status_arg(request.form.get("status", ""), allow_all=False)
    return _change(number, "status", status=status, new_status=status)


@bp.post("/leads/<number>/assignee")
def change_assignee(number: str):
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    return _change(number, "assign", assignee=request.form.get("assignee", ""))


@bp.post("/leads/<number>/notes")
def add_note(number: str):
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    note = (request.form.get("note") or "").strip()
    if not note or len(note) > NOTE_LIMIT:
        raise Refused(400, "admin_bad_note", max=NOTE_LIMIT)
    return _change(number, "note", note=note)


def _change(number: str, done: str, *, new_status: str | None = None, **change):
    change_lead(number, "admin_bad_assignee", **change)
    return _back(number, done, **({"set": new_status} if new_status else {}))


@bp.post("/unanswered/state")
def unanswered_state():
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    key, state = request.form.get("key", ""), request.form.get("state", "")
    faq = request.form.get("faq") or None
    if state not in ("resolved", "dismissed", "open"):
        raise Refused(400, "admin_bad_status", status=state, choices="resolved, dismissed, open")
    if state == "resolved" and faq not in kb().faq_by_id:
        raise Refused(400, "admin_bad_faq", faq=faq or "")
    if not key or len(key) > 200 or not unanswered().set_state(key, state, who=who(), faq=faq):
        return error(404, "admin_unknown_question")
    return redirect(url_for("admin.index", done="unanswered", _anchor="done"), 303)


@bp.post("/dead/<entry_id>/requeue")
def requeue(entry_id: str):
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    if not STREAM_ID.fullmatch(entry_id) or not leads().requeue_dead_letter(entry_id):
        return error(404, "admin_unknown_dead")
    return redirect(url_for("admin.index", done="requeue", _anchor="done"), 303)


@bp.get("/leads.csv")
def export():
    query = replace(query_from(request.args), page=1, per_page=200)
    found: list[dict] = []
    while len(found) < EXPORT_LIMIT:
        batch, total = search(leads(), query)
        found += batch
        if len(found) >= total or not batch:
            break
        query = replace(query, page=query.page + 1)
    buffer = io.StringIO()
    write_csv(found, buffer, kb().messages)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M")
    status = query.status
    name = f"parkbot-leads-{status + '-' if status else ''}{stamp}.csv"
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
