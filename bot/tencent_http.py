"""Calls to Tencent's JSON APIs (the WeChat API, the WeCom group robot).

Both answer failures inside HTTP 200 with ``{"errcode": n, "errmsg": ...}``; every call has a
timeout, and every way it can go wrong becomes one exception the caller chose, with a
message that says what happened (never the URL: it carries keys and tokens).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


class TencentError(Exception):
    """A call that did not succeed; ``errcode`` is Tencent's, or None for HTTP and network failures."""

    def __init__(self, message: str, *, errcode: int | None = None, errmsg: str = ""):
        super().__init__(message)
        self.errcode = errcode
        self.errmsg = errmsg


def call_json(session: requests.Session, method: str, url: str, *, timeout: float, label: str,
              error: type[Exception], **kwargs: Any) -> dict:
    """The JSON object of a successful call; ``error(message, errcode=..., errmsg=...)`` otherwise."""
    # loaded by the first call, not by every process that imports the error class (a web worker
    # that only answers messages never calls out)
    import requests

    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise error(f"{label}: no answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        raise error(f"{label}: request failed ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise error(f"{label}: HTTP {response.status_code}")
    try:
        result = response.json()
    except ValueError:
        raise error(f"{label}: malformed response (HTTP 200 but not JSON)") from None
    if not isinstance(result, dict):
        raise error(f"{label}: malformed response (not a JSON object)")
    errcode = result.get("errcode", 0)
    try:
        errcode = int(errcode)
    except (TypeError, ValueError):
        raise error(f"{label}: malformed errcode {errcode!r}") from None
    if errcode != 0:
        errmsg = str(result.get("errmsg", ""))[:300]
        raise error(f"{label}: errcode {errcode}: {errmsg}", errcode=errcode, errmsg=errmsg)
    return result
