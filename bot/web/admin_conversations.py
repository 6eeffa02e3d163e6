"""``/admin/conversations`` and ``/admin/api/handoffs|conversations``: staff take conversations over.

A sibling of the admin blueprint with the same door: ``Authorization: Bearer ADMIN_TOKEN``, or
the signed-in admin cookie — whose every POST must carry the session's CSRF token (form field
``csrf`` or header ``X-CSRF-Token``). The conversation page polls the JSON API every few
seconds so the user's messages appear as they arrive; its forms work without script too.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for

from ..leads.render import format_time
from ..store import StoreUnavailable
from ..takeover import OPENID, TEXT_BYTES, Desk, DeskError
from . import admin
from .admin import auth, common

bp = Blueprint("conversations", __name__, url_prefix="/admin", template_folder="templates")
POLL_SECONDS = 3
DONE = {"take": "desk_done_take", "send": "desk_done_send", "release": "desk_done_release"}


def _desk() -> Desk:
    return current_app.extensions["parkbot.desk"]


# --- the door: the admin page's own (token, named accounts, sessions); CSRF on a session's POSTs ---
@bp.before_request
def _gate():
    refused = auth._gate()
    if refused is not None:
        return refused
    if request.method == "POST" and not auth.check_csrf():
        return admin.error(400, "admin_csrf_bad")
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    # the conversation page polls with its own script; nothing else runs
    return common.admin_headers(response, (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"))


@bp.errorhandler(DeskError)
def _refused(exc: DeskError):
    return admin.error(exc.code, exc.key, **exc.values)


@bp.errorhandler(StoreUnavailable)
def _store_down(exc):
    return common._store_down(exc)


bp.context_processor(common._context)


@bp.app_context_processor
def _banner():
    """For every admin page (admin_base.html): the red banner and the waiting count in the menu."""
    def staff_alarm() -> str:
        try:
            state = _desk().staff_channel()
        except StoreUnavailable:
            return ""
        if state["state"] == "none":
            return admin.m("desk_alarm_none")
        if state["state"] == "failing":
            errors = "; ".join(f"{name}: {c['error']}" for name, c in state["channels"].items() if c["error"])
            return admin.m("desk_alarm_failing", error=errors or "-")
        return ""

    def handoffs_waiting() -> int:
        try:
            return _desk().takeovers.count("waiting")
        except StoreUnavailable:
            return 0

    return {"staff_alarm": staff_alarm, "handoffs_waiting": handoffs_waiting}


def _openid(openid: str) -> str:
    if not OPENID.fullmatch(openid):
        raise DeskError(404, "desk_unknown_user", openid=openid[:64])
    return openid


# --- pages ---------------------------------------------------------------------------------------
@bp.get("/conversations")
def handoffs_page():
    desk = _desk()
    wanted = request.args.get("openid", "").strip()
    if wanted:
        desk.check(_openid(wanted))
        return redirect(url_for("conversations.conversation_page", openid=wanted), 303)
    return render_template("admin_handoffs.html", handoffs=desk.handoffs(), recent=desk.takeovers.recent(100))


@bp.get("/conversations/<openid>")
def conversation_page(openid: str):
    conversation = _desk().conversation(_openid(openid))
    done = DONE.get(request.args.get("done", ""))
    return render_template("admin_conversation.html", c=conversation, done=admin.m(done) if done else "",
                           warning=request.args.get("warning", "")[:300], poll_seconds=POLL_SECONDS,
                           text_limit=TEXT_BYTES // 3, when=format_time)


@bp.post("/conversations/<openid>/takeover")
def take_form(openid: str):
    _desk().take(_openid(openid))
    return redirect(url_for("conversations.conversation_page", openid=openid, done="take", _anchor="reply"), 303)


@bp.post("/conversations/<openid>/messages")
def send_form(openid: str):
    _desk().send(_openid(openid), request.form.get("text", ""))
    return redirect(url_for("conversations.conversation_page", openid=openid, done="send", _anchor="reply"), 303)


@bp.post("/conversations/<openid>/release")
def release_form(openid: str):
    result = _desk().release(_openid(openid))
    return redirect(url_for("conversations.conversation_page", openid=openid, done="release",
                            warning=result["warning"] or None), 303)


# --- JSON API ------------------------------------------------------------------------------------
@bp.get("/api/handoffs")
def api_handoffs():
    return jsonify({"items": _desk().handoffs()})


@bp.get("/api/conversations/<openid>")
def api_conversation(openid: str):
    return jsonify(_desk().conversation(_openid(openid)))


@bp.post("/api/conversations/<openid>/takeover")
def api_take(openid: str):
    return jsonify({"openid": openid, **_desk().take(_openid(openid))})


@bp.post("/api/conversations/<openid>/messages")
def api_send(openid: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "text" not in body:
        raise DeskError(400, "desk_bad_json")
    entry = _desk().send(_openid(openid), body["text"])
    return jsonify({"openid": openid, "sent": {"t": entry["t"], "who": entry["who"], "text": entry["text"]}})


@bp.post("/api/conversations/<openid>/release")
def api_release(openid: str):
    return jsonify({"openid": openid, **_desk().release(_openid(openid))})
