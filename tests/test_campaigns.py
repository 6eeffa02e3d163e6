"""Campaign sources: a QR code's scene follows the user into every lead; QR codes made by the CLI."""
from __future__ import annotations

import re

import pytest

from bot import create_app
from bot.tools.kb_check import check
from bot.leads.export import write_csv
from bot.leads.render import Notice, wecom_markdown
from tests.conftest import KNOWLEDGE, make_config
from tests.support.capture_server import CaptureServer
from tests.support.wechat import event_xml, reply_text

LEAD_NUMBER = re.compile(r"L\d{8}-\d{4}")
INQUIRY = "我是海智源公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话13912345678"


def _lead(wechat, openid, leads) -> dict:
    wechat.say(openid, INQUIRY)
    return leads.get(LEAD_NUMBER.search(wechat.say(openid, "确认")).group(0))


@pytest.fixture
def leads(app):
    return app.extensions["parkbot.leads"]


@pytest.fixture
def kb(app):
    return app.extensions["parkbot.knowledge"].current()


def test_a_follow_through_a_campaign_code_gets_its_welcome_and_is_remembered(wechat, openid, app, kb):
    campaign = kb.campaign_by_scene["expo-booth"]
    text = reply_text(wechat.reply(wechat.post(event_xml(openid, "subscribe", "qrscene_expo-booth"))))
    assert campaign.welcome.strip() in text and kb.messages.render("menu_header") in text
    scenes = app.extensions["parkbot.profile"].scenes(openid)
    assert scenes["first"] == scenes["latest"] == "expo-booth"


def test_a_campaign_without_its_own_welcome_gets_the_usual_one(wechat, openid, kb):
    text = reply_text(wechat.reply(wechat.post(event_xml(openid, "subscribe", "qrscene_brochure"))))
    assert kb.messages.render("welcome", park=kb.park.name) in text


def test_a_scan_keeps_the_first_source_and_moves_the_latest(wechat, openid, app, kb, leads):
    wechat.post(event_xml(openid, "subscribe", "qrscene_expo-booth"))
    text = reply_text(wechat.reply(wechat.post(event_xml(openid, "SCAN", "brochure"))))
    assert kb.messages.render("scan_welcome", park=kb.park.name) in text
    scenes = app.extensions["parkbot.profile"].scenes(openid)
    assert (scenes["first"], scenes["latest"]) == ("expo-booth", "brochure")
    lead = _lead(wechat, openid, leads)
    assert (lead["source"], lead["first_source"], lead["channel"]) == ("园区宣传册", "招商展会展位", "wechat")


def test_without_a_code_the_source_is_the_channel(wechat, openid, leads):
    wechat.post(event_xml(openid, "subscribe"))
    lead = _lead(wechat, openid, leads)
    assert (lead["source"], lead["first_source"], lead["channel"]) == ("wechat", "", "wechat")


def test_a_scene_nobody_named_is_still_a_source(wechat, openid, leads, kb):
    wechat.post(event_xml(openid, "SCAN", "poster-2027"))
    lead = _lead(wechat, openid, leads)
    assert lead["source"] == kb.messages.render("campaign_unnamed", scene="poster-2027")


def test_staff_and_the_csv_see_the_source(wechat, openid, leads, kb):
    wechat.post(event_xml(openid, "subscribe", "qrscene_roadshow"))
    wechat.post(event_xml(openid, "SCAN", "brochure"))
    lead = _lead(wechat, openid, leads)
    notice = Notice(kind="lead", job="j", number=lead["number"], fields=lead["fields"], source=lead["source"],
                    channel=lead["channel"], first_source=lead["first_source"], created=lead["created"])
    markdown = wecom_markdown(notice, kb.messages)
    assert "来源: 园区宣传册" in markdown and "首次来源: 招商路演" in markdown and "渠道: 微信公众号" in markdown
    import csv
    import io

    out = io.StringIO()
    write_csv([lead], out, kb.messages)
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    cells = dict(zip(header, row))
    assert (cells["来源"], cells["渠道"], cells["首次来源"]) == ("园区宣传册", "微信公众号", "招商路演")


def test_leads_are_counted_and_filtered_by_source(wechat, openid, leads):
    a, b, c = openid + "a", openid + "b", openid + "c"
    wechat.post(event_xml(a, "subscribe", "qrscene_expo-booth"))
    wechat.post(event_xml(b, "subscribe", "qrscene_expo-booth"))
    first, second = _lead(wechat, a, leads), _lead(wechat, b, leads)
    plain = _lead(wechat, c, leads)
    counts = leads.count_by_source()
    assert counts["招商展会展位"] == 2 and counts["wechat"] == 1
    assert list(counts)[0] == "招商展会展位"  # most first
    assert [x["number"] for x in leads.list(source="招商展会展位")] == [second["number"], first["number"]]
    assert [x["number"] for x in leads.list(source="wechat")] == [plain["number"]]
    leads.set_status(first["number"], "contacted")
    assert [x["number"] for x in leads.list(source="招商展会展位", status="contacted")] == [first["number"]]
    assert leads.list(source="招商展会展位", limit=1)[0]["number"] == second["number"]
    assert leads.list(source="no such campaign") == []


# --- campaigns.yaml -----------------------------------------------------------------------------
def _kb_copy(tmp_path, campaigns: str):
    import shutil

    target = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, target)
    (target / "campaigns.yaml").write_text(campaigns, encoding="utf-8")
    return target


@pytest.mark.parametrize("text, message", [
    ("campaigns:\n  - scene: expo\n    name: 展会\n  - scene: expo\n    name: 另一个\n", "scene 'expo' is given twice"),
    ("campaigns:\n  - scene: has space\n    name: 展会\n", "campaigns.0.scene"),
    ("campaigns:\n  - scene: " + "x" * 65 + "\n    name: 展会\n", "campaigns.0.scene"),
    ("campaigns:\n  - scene: expo\n", "campaigns.0.name"),
    ("campaigns:\n  - scene: expo\n    name: 展会\n    welcom: 你好\n", "campaigns.0.welcom"),
])
def test_kb_check_refuses_bad_campaigns(tmp_path, text, message):
    problems = [str(p) for p in check(_kb_copy(tmp_path, text))]
    assert any(p.startswith("campaigns.yaml:") and message in p for p in problems), problems


def test_campaigns_yaml_is_optional(tmp_path):
    import shutil

    target = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, target)
    (target / "campaigns.yaml").unlink()
    assert check(target) == []


# --- parkbot qr create --------------------------------------------------------------------------
@pytest.fixture
def api_server():
    with CaptureServer(hang_seconds=1.0) as server:
        server.route("/cgi-bin/token", {"access_token": "TOKEN1", "expires_in": 7200})
        server.route("/cgi-bin/qrcode/create", {"ticket": "gQH47joAAAAAAAAAASxodHRw+/Oi8=",
                                                "expire_seconds": 0, "url": "http://weixin.qq.com/q/kZgfwMTm72WW"})
        yield server


@pytest.fixture
def qr_app(redis_url, data_dir, prefix, redis_client, api_server):
    return create_app(make_config(redis_url, data_dir, prefix, WECHAT_APP_SECRET="secret-not-printed",
                                  WECHAT_API_BASE_URL=api_server.url, HTTP_TIMEOUT=1.0))


def test_qr_create_makes_a_permanent_code_and_prints_its_ticket_url(qr_app, api_server):
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", "expo-booth"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRw%2B%2FOi8%3D"
    assert "招商展会展位" in result.output
    sent = api_server.ok_requests("/cgi-bin/qrcode/create")[-1]
    assert sent.json == {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "expo-booth"}}}
    assert sent.query["access_token"] == "TOKEN1"
    assert "secret-not-printed" not in result.output


def test_qr_create_for_an_unnamed_scene_says_so(qr_app):
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", "poster-2027"])
    assert result.exit_code == 0 and "not in campaigns.yaml" in result.output


@pytest.mark.parametrize("scene", ["", "has space", "x" * 65])
def test_qr_create_refuses_a_bad_scene_before_any_request(qr_app, api_server, scene):
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", scene])
    assert result.exit_code == 1 and "1 to 64 characters" in result.output
    assert not api_server.requests


def test_qr_create_reports_api_errors(qr_app, api_server):
    api_server.route("/cgi-bin/qrcode/create", {"errcode": 40013, "errmsg": "invalid appid"})
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", "expo-booth"])
    assert result.exit_code == 1 and "errcode 40013: invalid appid" in result.output
    api_server.route("/cgi-bin/qrcode/create", {"url": "http://weixin.qq.com/q/x"})
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", "expo-booth"])
    assert result.exit_code == 1 and "no ticket" in result.output
    api_server.fail_next(1, "500")
    result = qr_app.test_cli_runner().invoke(args=["qr", "create", "expo-booth"])
    assert result.exit_code == 1 and "HTTP 500" in result.output


def test_leads_list_filters_by_source_on_the_command_line(wechat, openid, leads, app):
    wechat.post(event_xml(openid, "subscribe", "qrscene_roadshow"))
    lead = _lead(wechat, openid, leads)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["leads", "list", "--source", "招商路演"])
    assert result.exit_code == 0 and lead["number"] in result.output and "招商路演" in result.output
    result = runner.invoke(args=["leads", "list", "--source", "招商路演X"])
    assert "no leads from 招商路演X" in result.output and "招商路演 (1)" in result.output


def test_the_terminal_chat_can_follow_through_a_campaign_code(app, openid, leads):
    result = app.test_cli_runner().invoke(args=["chat", "--user", openid],
                                          input="/subscribe expo-booth\n/scan brochure\n")
    assert result.exit_code == 0, result.output
    kb = app.extensions["parkbot.knowledge"].current()
    assert kb.campaign_by_scene["expo-booth"].welcome.strip()[:20] in result.output
    scenes = app.extensions["parkbot.profile"].scenes(openid)
    assert (scenes["first"], scenes["latest"]) == ("expo-booth", "brochure")
