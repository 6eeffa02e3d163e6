"""What the bot does with each message type and event WeChat sends an Official Account.

The policy is data: one row per documented ``MsgType`` (and, for ``event``, per ``Event``),
from Tencent's 公众号 documentation (接收普通消息, 接收事件推送, 自定义菜单事件推送, 模板消息,
群发, 客服会话, 订阅通知, 微信认证, 卡券, 发票, 扫一扫, 设备, 门店, 摇一摇, 连Wi-Fi, 发布能力).

- ``route``: the user did something: the conversation answers it (text, voice, location,
  follow, QR scan, menu click).
- ``reply``: the user sent something the bot cannot read (an image, a video…): a polite text.
- ``silent``: a notice nobody typed (delivery reports of the account's own sends, back-office
  notices, customer-service session events, the background LOCATION report, VIEW…). WeChat
  expects ``success``; the conversation is not loaded, not counted, not changed, and nothing
  enters the transcript. An event not in the table (a future one) is silent too.

A silent row may name an ``effect``: bookkeeping that needs no conversation (remembering the
reported location, erasing on unfollow, staff takeover). ``takeover`` / ``release`` on the
customer-service session events is where a staff takeover hooks in (``Engine.notice``).

Names are matched on the XML's own ``MsgType`` / ``Event`` (lower-cased), never on a parsing
library's renamed event classes: wechatpy renames a QR follow to ``subscribe_scan`` and 2.x
parses ``subscribe_msg_popup_event`` — which must never be taken for a follow.
"""
from __future__ import annotations

from dataclasses import dataclass

ROUTE, REPLY, SILENT = "route", "reply", "silent"


@dataclass(frozen=True)
class Policy:
    action: str  # route | reply | silent
    effect: str = ""  # for silent ones: location | erase | takeover | release


_ROUTE, _REPLY, _SILENT = Policy(ROUTE), Policy(REPLY), Policy(SILENT)

# MsgType -> policy (``event`` and the device types are looked up in EVENTS)
MESSAGES: dict[str, Policy] = {
    "text": _ROUTE,
    "voice": _ROUTE,  # with 语音识别 on, Recognition carries the words
    "location": _ROUTE,  # a location the user chose to send
    "image": _REPLY,
    "video": _REPLY,
    "shortvideo": _REPLY,
    "link": _REPLY,
    "file": _REPLY,
    "miniprogrampage": _REPLY,  # a mini-program card sent into the chat
    "device_text": _SILENT,  # 硬件设备 messages go to the device's service, not a conversation
    "device_event": _SILENT,
    "device_status": _SILENT,
}

# Event (lower-cased) -> policy
EVENTS: dict[str, Policy] = {
    # following, QR codes, the menu
    "subscribe": _ROUTE,  # EventKey qrscene_<scene> when followed through a parametric QR code
    "unsubscribe": Policy(SILENT, "erase"),
    "scan": _ROUTE,  # a follower scanned a parametric QR code; EventKey is the scene
    "click": _ROUTE,
    "view": _SILENT,  # a menu link opened in the browser: nothing to say into the chat
    "view_miniprogram": _SILENT,
    "scancode_push": _SILENT,  # the scan result is shown to the user by WeChat itself
    "scancode_waitmsg": _REPLY,  # the user waits for an answer about a code the bot cannot read
    "pic_sysphoto": _SILENT,  # the photo itself follows as an image message
    "pic_photo_or_album": _SILENT,
    "pic_weixin": _SILENT,
    "location_select": _SILENT,  # the location itself follows as a location message
    "location": Policy(SILENT, "location"),  # the background report (上报地理位置), every few seconds
    # delivery reports of the account's own sends
    "templatesendjobfinish": _SILENT,
    "masssendjobfinish": _SILENT,
    "publishjobfinish": _SILENT,
    "subscribe_msg_popup_event": _SILENT,  # 订阅通知: the user answered the subscribe pop-up
    "subscribe_msg_change_event": _SILENT,
    "subscribe_msg_sent_event": _SILENT,
    # customer-service (客服) sessions: staff took or left the chat
    "kf_create_session": Policy(SILENT, "takeover"),
    "kf_close_session": Policy(SILENT, "release"),
    "kf_switch_session": _SILENT,
    # back-office notices (微信认证)
    "qualification_verify_success": _SILENT,
    "qualification_verify_fail": _SILENT,
    "naming_verify_success": _SILENT,
    "naming_verify_fail": _SILENT,
    "annual_renew": _SILENT,
    "verify_expired": _SILENT,
    # cards and coupons (卡券)
    "card_pass_check": _SILENT,
    "card_not_pass_check": _SILENT,
    "user_get_card": _SILENT,
    "user_gifting_card": _SILENT,
    "user_del_card": _SILENT,
    "user_consume_card": _SILENT,
    "user_pay_from_pay_cell": _SILENT,
    "user_view_card": _SILENT,
    "user_enter_session_from_card": _SILENT,
    "update_member_card": _SILENT,
    "card_sku_remind": _SILENT,
    "card_pay_order": _SILENT,
    "submit_membercard_user_info": _SILENT,
    "giftcard_pay_done": _SILENT,
    "giftcard_send_to_friend": _SILENT,
    "giftcard_user_accept": _SILENT,
    # invoices (电子发票), shops, the merchant back office
    "user_authorize_invoice": _SILENT,
    "update_invoice_status": _SILENT,
    "submit_invoice_title": _SILENT,
    "merchant_order": _SILENT,
    "poi_check_notify": _SILENT,
    # 扫一扫 product scans
    "user_scan_product": _SILENT,
    "user_scan_product_enter_session": _SILENT,
    "user_scan_product_async": _SILENT,
    "user_scan_product_verify_action": _SILENT,
    # devices, 摇一摇, 连Wi-Fi, mini-program sessions
    "device_text": _SILENT,
    "bind": _SILENT,
    "unbind": _SILENT,
    "subscribe_status": _SILENT,
    "unsubscribe_status": _SILENT,
    "shakearoundusershake": _SILENT,
    "shakearoundlotterybind": _SILENT,
    "wificonnected": _SILENT,
    "user_enter_tempsession": _SILENT,
}


def policy_for(msg_type: str, event: str = "") -> Policy:
    """The policy for one inbound message by its XML ``MsgType`` and ``Event``.

    An unknown event (or device message) is silent: WeChat adds notices over time and none of
    them is the user talking. An unknown plain message type is something the user sent: reply.
    """
    msg_type = (msg_type or "").strip().lower()
    if msg_type == "event":
        return EVENTS.get((event or "").strip().lower(), _SILENT)
    if msg_type.startswith("device_"):
        return _SILENT
    return MESSAGES.get(msg_type, _REPLY)
