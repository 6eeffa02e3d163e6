"""The WeCom robot channel against a real local HTTP server: payload, escaping, size, errors."""
from __future__ import annotations

import re

import pytest

from bot.leads.channels import DeliveryError, build_channels
from bot.leads.channels.wecom import WeComChannel
from bot.leads.render import Notice, escape_markdown, mask_phone, wecom_markdown
from tests.support.capture_server import CaptureServer, server  # noqa: F401  (fixture)
from tests.support.staff import FIELDS, TRANSCRIPT, messages

HOSTILE = [
    "[点我](http://evil.example/x)",
    '<font color="warning">紧急</font>',
    "<@all>",
    "# 标题",
    "**粗**",
    "第一行\n## 第二行\r\n> 引用\u2028- 列表",
    "![img](http://evil.example/i.png)",
    "`code` _em_ ~~del~~ a&b <a href=x>",
    "http://evil.example www.evil.example",
]


def lead_notice(**fields) -> Notice:
    return Notice(kind="lead", job="lead:L20261118-0001", number="L20261118-0001",
                  fields={**FIELDS, **fields}, listings=["scc-a3-12f"], transcript=TRANSCRIPT,
                  source="wechat", created=1_795_000_000.0, openid="o-user")


def channel(server, timeout=1.0):
    return WeComChannel(server.url + "/cgi-bin/webhook/send?key=secret-key", messages, timeout=timeout)


def test_sends_markdown_with_every_field_and_the_unmasked_phone(server):
    channel(server).send(lead_notice())
    [req] = server.requests
    assert (req.method, req.path, req.query) == ("POST", "/cgi-bin/webhook/send", {"key": "secret-key"})
    assert req.json["msgtype"] == "markdown"
    content = req.json["markdown"]["content"]
    for value in ("L20261118-0001", "租2000平厂房", "2000", "海洋生物", "300万", "海智源公司", "王经理",
                  "13912345678", "scc-a3-12f", "我想租2000平厂房", "微信公众号", "2026-11-18 19:06"):
        assert value in content
    assert content.startswith("## 新投资线索 L20261118-0001")


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_cannot_form_markup(text):
    content = wecom_markdown(lead_notice(company=text, need=text),
                             messages()) + "\n" + wecom_markdown(
        Notice(kind="handoff", job="handoff:1", transcript=[{"t": 1, "who": "user", "text": text}]), messages())
    escaped = escape_markdown(text)
    assert "\n" not in escaped and "\r" not in escaped and "\u2028" not in escaped
    for bad in ("[", "]", "(", ")", "<", ">", "&", "*", "#", "`", "_", "~", "://", "www."):
        assert bad not in escaped
    assert escaped in content
    # nothing of ours was displaced: every line still starts with our own markup
    for line in content.splitlines():
        assert re.match(r"(## |> |\*\*|请尽快|……)", line), line
    assert "<@all>" not in content and "<font" not in content and "](http" not in content


def test_newlines_in_values_collapse_to_one_line():
    content = wecom_markdown(lead_notice(need="a\nb\r\nc\td", area_sqm=2000.0, company=None), messages())
    assert "**需求**: a b c d" in content
    assert "**面积（㎡）**: 2000\n" in content and "**公司**: 未填写" in content


def test_content_is_capped_at_4096_bytes_on_a_character_boundary():
    long_turns = [{"t": 1_795_000_000 + i, "who": "user", "text": f"第{i}句" + "很长的话" * 120} for i in range(20)]
    notice = Notice(kind="lead", job="j", number="L1", fields={k: "字" * 500 for k in FIELDS},
                    transcript=long_turns, source="wechat", created=1.0)
    content = wecom_markdown(notice, messages())
    # cut as close to the cap as whole characters allow (a CJK character is 3 bytes), not far short of it
    assert 4096 - 4 < len(content.encode("utf-8")) <= 4096
    assert "\ufffd" not in content  # no character was split into a broken one
    assert "内容过长" in content

    # a shorter lead keeps its newest turns and drops the oldest
    notice = Notice(kind="lead", job="j", number="L1", fields=dict(FIELDS), transcript=long_turns, created=1.0)
    content = wecom_markdown(notice, messages())
    assert len(content.encode("utf-8")) <= 4096
    assert "第19句" in content and "第0句" not in content and "13912345678" in content


def test_content_that_fits_is_not_truncated():
    content = wecom_markdown(lead_notice(), messages())
    assert "内容过长" not in content


@pytest.mark.parametrize("mode, error", [
    ("500", "HTTP 500"),
    ("errcode", "errcode 45009"),
    ("non_json", "malformed response"),
    ("hang", "no answer within"),
    ("close", "request failed"),
])
def test_failures_raise_delivery_error_without_the_webhook_key(server, mode, error):
    server.fail_next(1, mode)
    with pytest.raises(DeliveryError, match=error) as info:
        channel(server, timeout=0.3).send(lead_notice())
    assert "secret-key" not in str(info.value)
    if mode == "errcode":
        assert info.value.errcode == 45009


def test_json_without_errcode_is_a_failure(server):
    server.route("/cgi-bin/webhook/send", {"ok": True})
    with pytest.raises(DeliveryError, match="no errcode"):
        channel(server).send(lead_notice())


def test_unreachable_robot_is_a_failure():
    with CaptureServer() as s:
        url = s.url
    with pytest.raises(DeliveryError, match="request failed"):
        WeComChannel(url + "/send?key=k", messages, timeout=0.5).send(lead_notice())


def test_mask_phone_for_logs():
    assert mask_phone("call 13912345678 now") == "call 139****5678 now"
    assert mask_phone("13912345678") == "139****5678"
    assert "12345678901234" not in mask_phone("id 12345678901234")
    assert mask_phone("139 1234 5678 and 139-1234-5678") == "139****5678 and 139****5678"
    assert mask_phone("+86 053288886666") == "+86 ********6666"
    assert mask_phone("L20261118-0001 at 2026-11-18") == "L20261118-0001 at 2026-11-18"  # logs keep these


def test_build_channels_follows_the_settings(server):
    assert build_channels({}, messages) == []
    channels = build_channels({"NOTIFY_WECOM_WEBHOOK": server.url + "/s?key=supersecret", "HTTP_TIMEOUT": 2,
                               "NOTIFY_EMAIL_TO": ["a@example.com"], "SMTP_URL": "smtp://127.0.0.1:2525"},
                              messages)
    assert [c.name for c in channels] == ["wecom", "email"]
    assert channels[0].timeout == 2 and channels[0].rate_limit == (20, 60.0)
    assert channels[0].rate_key.startswith("wecom:") and "supersecret" not in channels[0].rate_key
