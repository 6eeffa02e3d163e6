"""The webhook reads a body once: what it builds from its own safe parse is what wechatpy's parser makes."""
from __future__ import annotations

import pytest
from wechatpy import parse_message

from bot.web.wxmsg import BadMessage, parse

HEAD = "<ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[ o-1 ]]></FromUserName><CreateTime>1</CreateTime>"
BODIES = [
    f"<xml>{HEAD}<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ 园区在哪 ]]></Content><MsgId>5</MsgId></xml>",
    f"<xml>{HEAD}<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><Recognition></Recognition><MsgId>6</MsgId></xml>",
    f"<xml>{HEAD}<MsgType>location</MsgType><Location_X>36.1</Location_X><Location_Y>120.3</Location_Y><Scale>15</Scale>"
    "<Label>青岛</Label><MsgId>7</MsgId></xml>",
    f"<xml>{HEAD}<MsgType>event</MsgType><Event>CLICK</Event><EventKey>menu_1</EventKey></xml>",
    f"<xml>{HEAD}<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>1</Latitude><Longitude>2</Longitude>"
    "<Precision>3</Precision></xml>",
    f"<xml>{HEAD}<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_expo</EventKey></xml>",
    f"<xml>{HEAD}<MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey></xml>",
    f"<xml>{HEAD}<MsgType>event</MsgType><Event>scancode_push</Event><EventKey>k</EventKey>"
    "<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>1</ScanResult></ScanCodeInfo></xml>",
    f"<xml>{HEAD}<MsgType>image</MsgType><PicUrl>u</PicUrl><MediaId>m</MediaId><MsgId>8</MsgId></xml>",
    f"<xml>{HEAD}<MsgType>shortvideo</MsgType><MediaId>m</MediaId><MsgId>9</MsgId><MsgId>10</MsgId></xml>",
]


@pytest.mark.parametrize("body", BODIES)
def test_parse_makes_what_wechatpy_makes(body):
    ours, theirs = parse(body), parse_message(body)
    assert type(ours) is type(theirs)
    assert dict(ours._data) == dict(theirs._data)
    assert (ours.source, ours.target) == (theirs.source, theirs.target) == ("o-1", "gh_1")


@pytest.mark.parametrize("body", [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]>'
    f"<xml>{HEAD}<MsgType>text</MsgType><Content>&a;</Content></xml>",
    f"<xml>{HEAD}<Content>no type</Content></xml>",
    "<xml><MsgType>text</MsgType><Content>nobody</Content></xml>",
    "<notxml/>",
])
def test_bodies_that_are_not_for_us_are_refused(body):
    with pytest.raises(BadMessage):
        parse(body)
