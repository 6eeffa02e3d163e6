"""``/healthz``: is Redis reachable, which knowledge is being served, did an edit fail, can staff be reached."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..store import StoreUnavailable
from ..store.connection import get_redis, reachable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    holder = current_app.extensions["parkbot.knowledge"]
    kb = holder.current()
    redis_ok = reachable(get_redis(current_app))
    staff = {"state": "unknown", "channels": {}}
    if redis_ok:
        try:
            staff = current_app.extensions["parkbot.desk"].staff_channel()
        except StoreUnavailable:
            redis_ok = False
    body = {
        "status": "ok" if redis_ok and holder.last_error is None and staff["state"] != "failing" else "degraded",
        "redis": redis_ok,
        # can a person be told of a handoff now: ok, failing (deliveries failing for minutes) or none
        "staff_channel": staff,
        "knowledge": {
            "version": kb.version,
            "loaded_at": kb.loaded_at,
            "error": holder.last_error,
            "error_at": holder.last_error_at,
        },
    }
    return jsonify(body), 200 if redis_ok else 503
