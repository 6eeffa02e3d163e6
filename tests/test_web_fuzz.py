"""Fuzzing the web surfaces beyond the webhook: the web chat's JSON API, the admin forms and the admin API.

Whatever arrives (any JSON, any form, any path parameter, any content type, with or without
credentials), the answer is never a 5xx and never a hang. The admin routes are read from the
app's URL map, so an endpoint added to the admin blueprint is fuzzed without touching this file.
"""
from __future__ import annotations

import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import create_app
from tests.conftest import make_config

ADMIN_TOKEN = "fuzz-admin-token-123"
HANG = 10.0  # seconds: far past any real answer; only a hang takes this long
SKIP_METHODS = {"HEAD", "OPTIONS"}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
TEXT = st.text(max_size=80) | st.sampled_from(["", " ", "new", "contacted", "closed", "all", "0", "-1", "1e9",
                                                "L20261130-0001", "0-0", "1-1", "<script>", "=1+1", "\x00", "../.."])
# names forms and queries here use, and names a new endpoint is likely to read, plus arbitrary ones
FIELD_NAMES = st.sampled_from(["status", "csrf", "view", "filter", "token", "note", "text", "assignee", "limit",
                               "number", "to", "done", "bye", "q", "page", "source", "event", "event_key"]) \
    | st.text(min_size=1, max_size=10)
FORM = st.dictionaries(FIELD_NAMES, TEXT, max_size=5)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain",
                                 "multipart/form-data", "application/json; charset=latin-1", ""])


def _within(action, what: str):
    """Run ``action`` in a thread; fail if it does not finish within ``HANG`` seconds."""
    box: dict = {}

    def run():
        try:
            box["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), f"{what} did not answer within {HANG:g} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def fuzz_app(redis_url, data_dir, prefix, redis_client):
    return create_app(make_config(redis_url, data_dir, prefix, ADMIN_TOKEN=ADMIN_TOKEN, BOT_WEB_CHAT=True))


# --- the web chat -----------------------------------------------------------------------------
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/chat/api/message", "/chat/api/event"]),
       body=JSON | st.fixed_dictionaries({"text": TEXT}) | st.fixed_dictionaries({"event": TEXT, "event_key": TEXT}),
       raw=st.none() | st.binary(max_size=200), content_type=CONTENT_TYPES, ajax=st.booleans(),
       fetch_site=st.sampled_from([None, "same-origin", "cross-site", "none"]))
def test_web_chat_api_never_fails(fuzz_app, path, body, raw, content_type, ajax, fetch_site):
    import json

    headers = {}
    if ajax:
        headers["X-Requested-With"] = "fetch"
    if fetch_site:
        headers["Sec-Fetch-Site"] = fetch_site
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    client = fuzz_app.test_client()
    response = _within(lambda: client.post(path, data=data, content_type=content_type, headers=headers), path)
    assert response.status_code < 500, (path, body, response.status_code)
    if response.status_code == 200:
        assert isinstance(response.get_json(), dict)


# --- the admin blueprint ----------------------------------------------------------------------
def admin_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, method, path parameters) for every route under /admin (the admin page's blueprints), read
    from the URL map."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            out.append((rule.rule, method, tuple(sorted(rule.arguments))))
    return out


def _seed(app) -> dict[str, list[str]]:
    """A lead, a handoff alert and a dead letter, so some fuzzed paths name things that exist."""
    leads = app.extensions["parkbot.leads"]
    number = leads.submit(form_id="fuzz-form", openid="fuzz-user", fields={"phone": "13912345678"},
                          listings=[], transcript=[], source="wechat")
    dead = leads.add_dead_letter({"job": f"lead:{number}", "channel": "wecom", "error": "HTTP 500",
                                  "payload": f'["kind", "lead", "job", "lead:{number}", "number", "{number}"]'})
    return {"number": [number], "entry_id": [dead]}


def _path(app, rule: str, values: dict[str, str]) -> str:
    adapter = app.url_map.bind("localhost")
    for candidate in app.url_map.iter_rules():
        if candidate.rule == rule:
            return adapter.build(candidate.endpoint, values, force_external=False)
    raise AssertionError(rule)


def _login(client) -> str:
    """A cookie session, and its CSRF token read from the admin page."""
    client.post("/admin/login", data={"token": ADMIN_TOKEN})
    page = client.get("/admin/").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else ""


def test_every_admin_route_is_fuzzed_and_never_fails(fuzz_app):
    routes = admin_routes(fuzz_app)
    # the routes this suite knows exist are among those found (discovery itself can fail)
    found = {(rule, method) for rule, method, _ in routes}
    assert {("/admin/api/leads", "GET"), ("/admin/api/leads/<number>", "PATCH"),
            ("/admin/api/conversations/<openid>/takeover", "POST"),
            ("/admin/leads/<number>/status", "POST"), ("/admin/login", "POST")} <= found
    existing = _seed(fuzz_app)
    cookie_client = fuzz_app.test_client()
    csrf = _login(cookie_client)
    assert csrf, "logging in with the admin token gave no session"
    counts: dict[tuple[str, str], int] = {}

    for rule, method, params in routes:
        param_value = st.sampled_from(existing.get(params[0], ["x"])) | TEXT.filter(bool) if params else st.none()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(values=st.fixed_dictionaries({p: param_value for p in params}), query=FORM, form=FORM, body=JSON,
               as_json=st.booleans(), auth=st.sampled_from(["bearer", "cookie", "cookie+csrf", "wrong", "none"]))
        def one(values, query, form, body, as_json, auth):
            client = cookie_client if auth.startswith("cookie") else fuzz_app.test_client()
            headers = {}
            if auth == "bearer":
                headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            elif auth == "wrong":
                headers["Authorization"] = "Bearer not-the-token"
            if auth == "cookie+csrf":
                form = {**form, "csrf": csrf}
            path = _path(fuzz_app, rule, values)
            kwargs = {"json": body} if as_json else {"data": form}
            response = _within(lambda: client.open(path, method=method, query_string=query, headers=headers,
                                                   **kwargs), f"{method} {path}")
            assert response.status_code < 500, (method, path, query, form if not as_json else body,
                                                 response.status_code)
            counts[(rule, method)] = counts.get((rule, method), 0) + 1

        one()
    assert all(counts.get((rule, method), 0) >= 10 for rule, method, _ in routes), counts

