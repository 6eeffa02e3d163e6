"""Named admin accounts and signing in: ``parkbot admin add``, ``ADMIN_USERS``, sessions that
expire, sign-in limited per name and returning to the page asked for — on real Redis."""
from __future__ import annotations

import time

import pytest

from bot import create_app
from tests.test_admin import TOKEN, login
from tests.test_admin_work import accounts, add, admin_app, leads, sign_in, web  # noqa: F401  (fixtures)


# --- named accounts and signing in ---------------------------------------------------------
def test_named_account_signs_in_and_is_named(web, accounts):
    sign_in(web, accounts)
    page = web.get("/admin/").get_data(as_text=True)
    assert "当前登录:李娜" in page
    wrong = web.post("/admin/login", data={"name": "李娜", "token": "wrong-password"})
    assert wrong.status_code == 401


def test_sign_in_returns_to_the_page_asked_for_and_never_elsewhere(web, leads):
    number = add(leads, "a")
    asked = web.get(f"/admin/leads/{number}?done=note")
    assert asked.status_code == 401
    assert f'name="next" value="/admin/leads/{number}?done=note"' in asked.get_data(as_text=True)
    back = web.post("/admin/login", data={"token": TOKEN, "next": f"/admin/leads/{number}"})
    assert back.status_code == 303 and back.headers["Location"] == f"/admin/leads/{number}"
    for evil in ("https://evil.example/", "//evil.example/admin", "/admin/../x", "/other", "javascript:alert(1)",
                 "/admin\\evil"):
        other = create_app(web.application.config).test_client()
        r = other.post("/admin/login", data={"token": TOKEN, "next": evil})
        assert r.status_code == 303 and r.headers["Location"] == "/admin/", evil


def test_sessions_expire(app_config, redis_client):
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN, "ADMIN_SESSION_AGE": 1})
    web = app.test_client()
    login(web)
    assert web.get("/admin/").status_code == 200
    time.sleep(2.1)
    assert web.get("/admin/").status_code == 401


def test_removed_account_is_signed_out(web, accounts):
    sign_in(web, accounts)
    assert web.get("/admin/").status_code == 200
    accounts.remove("李娜")
    assert web.get("/admin/").status_code == 401


def test_sign_in_is_rate_limited_per_name(web, accounts):
    accounts.add("王强", "correct-horse-9")
    codes = [web.post("/admin/login", data={"name": "王强", "token": f"guess-{i}"},
                      environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    # even the right password waits now
    right = web.post("/admin/login", data={"name": "王强", "token": "correct-horse-9"},
                     environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert right.status_code == 429 and "分钟后再试" in right.get_data(as_text=True)


@pytest.mark.parametrize("name, password, message", [
    ("", "long-enough-1", "1 to 32"), ("has space", "long-enough-1", "1 to 32"), ("x" * 33, "long-enough-1", "1 to 32"),
    ("a:b", "long-enough-1", "1 to 32"), ("ok", "short", "at least 8"),
])
def test_admin_add_refuses_bad_names_and_passwords(admin_app, accounts, name, password, message):
    result = admin_app.test_cli_runner().invoke(args=["admin", "add", name, "--password", password])
    assert result.exit_code != 0 and message in result.output
    assert accounts.names() == []


def test_admin_add_stores_a_hash_and_list_remove(admin_app, accounts, redis_client, keys):
    runner = admin_app.test_cli_runner()
    result = runner.invoke(args=["admin", "add", "李娜", "--password", "correct-horse-9"])
    assert result.exit_code == 0 and "added" in result.output
    stored = redis_client.hget(keys.shared("admin-users"), "李娜")
    assert stored and "correct-horse-9" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert "李娜" in runner.invoke(args=["admin", "list"]).output
    assert runner.invoke(args=["admin", "remove", "李娜"]).exit_code == 0
    assert runner.invoke(args=["admin", "remove", "李娜"]).exit_code != 0


def test_admin_users_from_the_environment(app_config, redis_client):
    from werkzeug.security import generate_password_hash

    users = f"周敏:{generate_password_hash('env-password-1')}"
    app = create_app({**app_config, "ADMIN_TOKEN": TOKEN, "ADMIN_USERS": users})
    web = app.test_client()
    assert web.post("/admin/login", data={"name": "周敏", "token": "env-password-1"}).status_code == 303
    assert "当前登录:周敏" in web.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("value", ["no-hash-here", "name:plainpassword", "bad name:x$y"])
def test_bad_admin_users_stop_start_up_naming_the_variable(app_config, redis_client, value):
    from bot import ConfigError

    with pytest.raises(ConfigError, match="ADMIN_USERS"):
        create_app({**app_config, "ADMIN_TOKEN": TOKEN, "ADMIN_USERS": value})


def test_an_unknown_name_is_checked_against_a_hash_made_like_every_password():
    """A wrong name costs as long as a wrong password only while the stand-in hash uses the same method."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from bot.store.accounts import _DUMMY

    assert _DUMMY.split("$")[0] == generate_password_hash("any password").split("$")[0]
    assert check_password_hash(_DUMMY, "parkbot-no-such-user")
