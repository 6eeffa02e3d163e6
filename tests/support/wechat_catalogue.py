"""Every message type and event Tencent documents for Official Accounts, as WeChat sends them.

Written from the 公众号 developer documentation (接收普通消息, 接收事件推送, 自定义菜单事件推送,
模板消息 / 群发 / 发布能力 job reports, 客服会话控制, 订阅通知, 微信认证事件推送, 卡券事件推送,
电子发票, 扫一扫, 硬件设备, 门店, 摇一摇周边, 微信连Wi-Fi), one sample each, with the fields the
documentation shows. ``expected`` is what the bot must do with it: route / reply / silent.
"""
from __future__ import annotations

import itertools
import time

from tests.support.wechat import OFFICIAL

_ids = itertools.count(int(time.time() * 1000) + 7_000_000)


def envelope(openid: str, msg_type: str, body: str, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"{body}</xml>")


def _event(name: str, extra: str = "") -> tuple[str, str]:
    return "event", f"<Event><![CDATA[{name}]]></Event>{extra}"


def _msg_id() -> str:
    return f"<MsgId>{next(_ids)}</MsgId>"


# name -> (MsgType, body builder, expected action)
CATALOGUE: dict[str, tuple[str, callable, str]] = {}


def _add(name: str, expected: str, msg_type: str, body) -> None:
    CATALOGUE[name] = (msg_type, body if callable(body) else (lambda b=body: b), expected)


# 接收普通消息 --------------------------------------------------------------------------------
_add("text", "route", "text", lambda: f"<Content><![CDATA[你好]]></Content>{_msg_id()}")
_add("image", "reply", "image", lambda: "<PicUrl><![CDATA[http://mmbiz.qpic.cn/a.jpg]]></PicUrl>"
     f"<MediaId><![CDATA[media_id]]></MediaId>{_msg_id()}")
_add("voice", "route", "voice", lambda: "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format>"
     f"<Recognition><![CDATA[你好]]></Recognition>{_msg_id()}")
_add("video", "reply", "video", lambda: "<MediaId><![CDATA[media_id]]></MediaId>"
     f"<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>{_msg_id()}")
_add("shortvideo", "reply", "shortvideo", lambda: "<MediaId><![CDATA[media_id]]></MediaId>"
     f"<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>{_msg_id()}")
_add("location", "route", "location", lambda: "<Location_X>36.30</Location_X><Location_Y>120.30</Location_Y>"
     f"<Scale>20</Scale><Label><![CDATA[位置信息]]></Label>{_msg_id()}")
_add("link", "reply", "link", lambda: "<Title><![CDATA[公众平台官网链接]]></Title>"
     "<Description><![CDATA[公众平台官网链接]]></Description><Url><![CDATA[url]]></Url>" + _msg_id())

# 接收事件推送 --------------------------------------------------------------------------------
_add("subscribe", "route", *_event("subscribe"))
_add("subscribe via QR code", "route", *_event("subscribe", "<EventKey><![CDATA[qrscene_123123]]></EventKey>"
                                                            "<Ticket><![CDATA[TICKET]]></Ticket>"))
_add("unsubscribe", "silent", *_event("unsubscribe"))
_add("SCAN", "route", *_event("SCAN", "<EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"))
_add("LOCATION", "silent", *_event("LOCATION", "<Latitude>36.30</Latitude><Longitude>120.30</Longitude>"
                                                "<Precision>119.385040</Precision>"))
_add("CLICK", "route", *_event("CLICK", "<EventKey><![CDATA[EVENTKEY]]></EventKey>"))
_add("VIEW", "silent", *_event("VIEW", "<EventKey><![CDATA[www.qq.com]]></EventKey><MenuId>MENUID</MenuId>"))

# 自定义菜单事件推送 ---------------------------------------------------------------------------
_SCAN_INFO = ("<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
              "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>")
_PICS = ("<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]>"
         "</PicMd5Sum></item></PicList></SendPicsInfo>")
_add("scancode_push", "silent", *_event("scancode_push", f"<EventKey><![CDATA[6]]></EventKey>{_SCAN_INFO}"))
_add("scancode_waitmsg", "reply", *_event("scancode_waitmsg", f"<EventKey><![CDATA[6]]></EventKey>{_SCAN_INFO}"))
_add("pic_sysphoto", "silent", *_event("pic_sysphoto", f"<EventKey><![CDATA[6]]></EventKey>{_PICS}"))
_add("pic_photo_or_album", "silent", *_event("pic_photo_or_album", f"<EventKey><![CDATA[6]]></EventKey>{_PICS}"))
_add("pic_weixin", "silent", *_event("pic_weixin", f"<EventKey><![CDATA[6]]></EventKey>{_PICS}"))
_add("location_select", "silent", *_event("location_select", (
    "<EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X>"
    "<Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[ 广州市海珠区 ]]></Label>"
    "<Poiname><![CDATA[]]></Poiname></SendLocationInfo>")))
_add("view_miniprogram", "silent", *_event("view_miniprogram", "<EventKey><![CDATA[pages/index/index]]></EventKey>"
                                                                "<MenuId>MENUID</MenuId>"))

# job reports of the account's own sends --------------------------------------------------------
_add("TEMPLATESENDJOBFINISH", "silent", *_event("TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID>"
                                                                          "<Status><![CDATA[success]]></Status>"))
_add("MASSSENDJOBFINISH", "silent", *_event("MASSSENDJOBFINISH", (
    "<MsgID>1988</MsgID><Status><![CDATA[sendsuccess]]></Status><TotalCount>100</TotalCount>"
    "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>")))
_add("PUBLISHJOBFINISH", "silent", *_event("PUBLISHJOBFINISH", (
    "<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>"
    "<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg]]></article_id></PublishEventInfo>")))
_add("subscribe_msg_popup_event", "silent", *_event("subscribe_msg_popup_event", (
    "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>"
    "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
    "</SubscribeMsgPopupEvent>")))
_add("subscribe_msg_change_event", "silent", *_event("subscribe_msg_change_event", (
    "<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>"
    "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>")))
_add("subscribe_msg_sent_event", "silent", *_event("subscribe_msg_sent_event", (
    "<SubscribeMsgSentEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>"
    "<MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus>"
    "</List></SubscribeMsgSentEvent>")))

# 客服会话控制 ---------------------------------------------------------------------------------
_add("kf_create_session", "silent", *_event("kf_create_session", "<KfAccount><![CDATA[test1@test]]></KfAccount>"))
_add("kf_close_session", "silent", *_event("kf_close_session", "<KfAccount><![CDATA[test1@test]]></KfAccount>"))
_add("kf_switch_session", "silent", *_event("kf_switch_session", (
    "<FromKfAccount><![CDATA[test1@test]]></FromKfAccount><ToKfAccount><![CDATA[test2@test]]></ToKfAccount>")))

# 微信认证事件推送 ------------------------------------------------------------------------------
_add("qualification_verify_success", "silent", *_event("qualification_verify_success",
                                                       "<ExpiredTime>1442401156</ExpiredTime>"))
_add("qualification_verify_fail", "silent", *_event("qualification_verify_fail", (
    "<FailTime>1442401122</FailTime><FailReason><![CDATA[by time]]></FailReason>")))
_add("naming_verify_success", "silent", *_event("naming_verify_success", "<ExpiredTime>1442401093</ExpiredTime>"))
_add("naming_verify_fail", "silent", *_event("naming_verify_fail", (
    "<FailTime>1442401061</FailTime><FailReason><![CDATA[by time]]></FailReason>")))
_add("annual_renew", "silent", *_event("annual_renew", "<ExpiredTime>1442401004</ExpiredTime>"))
_add("verify_expired", "silent", *_event("verify_expired", "<ExpiredTime>1442400900</ExpiredTime>"))

# 卡券事件推送 ---------------------------------------------------------------------------------
_CARD = "<CardId><![CDATA[po2VNuCuRo-8sxxxxxxxxxxx]]></CardId>"
_CODE = "<UserCardCode><![CDATA[12312312]]></UserCardCode>"
_add("card_pass_check", "silent", *_event("card_pass_check", _CARD + "<RefuseReason><![CDATA[非法代制]]></RefuseReason>"))
_add("card_not_pass_check", "silent", *_event("card_not_pass_check", _CARD))
_add("user_get_card", "silent", *_event("user_get_card", _CARD + "<IsGiveByFriend>0</IsGiveByFriend>" + _CODE
                                        + "<OuterId>0</OuterId><IsRestoreMemberCard>0</IsRestoreMemberCard>"))
_add("user_gifting_card", "silent", *_event("user_gifting_card", _CARD + _CODE + "<IsReturnBack>0</IsReturnBack>"
                                            "<FriendUserName><![CDATA[oZI8Fj8L-xxxxxxxx]]></FriendUserName>"))
_add("user_del_card", "silent", *_event("user_del_card", _CARD + _CODE))
_add("user_consume_card", "silent", *_event("user_consume_card", _CARD + _CODE
                                            + "<ConsumeSource><![CDATA[FROM_API]]></ConsumeSource>"))
_add("user_pay_from_pay_cell", "silent", *_event("user_pay_from_pay_cell", _CARD + _CODE
                                                 + "<TransId><![CDATA[10022403432015000000000]]></TransId>"
                                                   "<Fee><![CDATA[10000]]></Fee>"))
_add("user_view_card", "silent", *_event("user_view_card", _CARD + _CODE))
_add("user_enter_session_from_card", "silent", *_event("user_enter_session_from_card", _CARD + _CODE))
_add("update_member_card", "silent", *_event("update_member_card", _CARD + _CODE
                                             + "<ModifyBonus>3</ModifyBonus><ModifyBalance>0</ModifyBalance>"))
_add("card_sku_remind", "silent", *_event("card_sku_remind", _CARD + "<Detail><![CDATA[the card's quantity is "
                                                                     "equal to 0]]></Detail>"))
_add("card_pay_order", "silent", *_event("card_pay_order", (
    "<OrderId><![CDATA[404091456]]></OrderId><Status><![CDATA[ORDER_STATUS_FINANCE_SUCC]]></Status>"
    "<CreateOrderTime>1472549305</CreateOrderTime><PayFinishTime>0</PayFinishTime>")))
_add("submit_membercard_user_info", "silent", *_event("submit_membercard_user_info", _CARD + _CODE))
_add("giftcard_pay_done", "silent", *_event("giftcard_pay_done", (
    "<PageId><![CDATA[abcd]]></PageId><OrderId><![CDATA[Z2y2rY74ksZX1ceuGbMzIvn8HBnnjnrF]]></OrderId>")))
_add("giftcard_send_to_friend", "silent", *_event("giftcard_send_to_friend", (
    "<PageId><![CDATA[abcd]]></PageId><OrderId><![CDATA[Z2y2rY74ksZX1ceuGbMzIvn8HBnnjnrF]]></OrderId>"
    "<IsReturnBack>false</IsReturnBack><IsChatRoom>false</IsChatRoom>")))
_add("giftcard_user_accept", "silent", *_event("giftcard_user_accept", (
    "<PageId><![CDATA[abcd]]></PageId><OrderId><![CDATA[Z2y2rY74ksZX1ceuGbMzIvn8HBnnjnrF]]></OrderId>")))

# 电子发票, 门店, 商户 ------------------------------------------------------------------------
_add("user_authorize_invoice", "silent", *_event("user_authorize_invoice", (
    "<SuccOrderId><![CDATA[1202933957956]]></SuccOrderId><FailOrderId><![CDATA[]]></FailOrderId>"
    "<AppId><![CDATA[wx1234567890abcdef]]></AppId><Source><![CDATA[web]]></Source>")))
_add("update_invoice_status", "silent", *_event("update_invoice_status", (
    "<Status><![CDATA[INVOICE_REIMBURSE_INIT]]></Status>" + _CARD + "<Code><![CDATA[030]]></Code>")))
_add("submit_invoice_title", "silent", *_event("submit_invoice_title", (
    "<title><![CDATA[样例公司抬头]]></title><tax_no><![CDATA[1486715661]]></tax_no>"
    "<title_type><![CDATA[InvoiceUserTitleBusinessType]]></title_type>")))
_add("poi_check_notify", "silent", *_event("poi_check_notify", (
    "<UniqId><![CDATA[123adb]]></UniqId><PoiId><![CDATA[123123]]></PoiId><Result><![CDATA[fail]]></Result>"
    "<Msg><![CDATA[xxxxxx]]></Msg>")))
_add("merchant_order", "silent", *_event("merchant_order", (
    "<OrderId><![CDATA[13921485297950000000]]></OrderId><OrderStatus>2</OrderStatus>"
    "<ProductId><![CDATA[pDF3iYx7KDQVGzB7kDg6Tge5OKFo]]></ProductId><SkuInfo><![CDATA[10001:1000012]]></SkuInfo>")))

# 扫一扫, 摇一摇, 连Wi-Fi, 小程序 -------------------------------------------------------------
_PRODUCT = ("<KeyStandard><![CDATA[ean13]]></KeyStandard><KeyStr><![CDATA[6900873042720]]></KeyStr>"
            "<Country><![CDATA[中国]]></Country><Province><![CDATA[广东]]></Province><City><![CDATA[广州]]></City>"
            "<Sex>1</Sex><Scene>2</Scene>")
_add("user_scan_product", "silent", *_event("user_scan_product", _PRODUCT))
_add("user_scan_product_enter_session", "silent", *_event("user_scan_product_enter_session", _PRODUCT))
_add("user_scan_product_async", "silent", *_event("user_scan_product_async", _PRODUCT
                                                  + "<RegionCode><![CDATA[440105]]></RegionCode>"))
_add("user_scan_product_verify_action", "silent", *_event("user_scan_product_verify_action", (
    "<KeyStandard><![CDATA[ean13]]></KeyStandard><KeyStr><![CDATA[6900873042720]]></KeyStr>"
    "<Result><![CDATA[verify_ok]]></Result><ReasonMsg><![CDATA[]]></ReasonMsg>")))
_add("ShakearoundUserShake", "silent", *_event("ShakearoundUserShake", (
    "<ChosenBeacon><Uuid><![CDATA[uuid]]></Uuid><Major>major</Major><Minor>minor</Minor>"
    "<Distance>0.057</Distance></ChosenBeacon>")))
_add("WifiConnected", "silent", *_event("WifiConnected", (
    "<ConnectTime>0</ConnectTime><ExpireTime>0</ExpireTime><VendorId><![CDATA[3001224419]]></VendorId>"
    "<ShopId><![CDATA[PlaceId]]></ShopId><DeviceNo><![CDATA[DeviceNo]]></DeviceNo>")))
_add("user_enter_tempsession", "silent", *_event("user_enter_tempsession",
                                                 "<SessionFrom><![CDATA[sessionFrom]]></SessionFrom>"))

# 硬件设备 -------------------------------------------------------------------------------------
_DEVICE = ("<DeviceType><![CDATA[gh_abc]]></DeviceType><DeviceID><![CDATA[dev1]]></DeviceID>"
           "<SessionID>9394</SessionID><OpenID><![CDATA[oxyz]]></OpenID>")
_add("device_text", "silent", "device_text", lambda: _DEVICE + "<Content><![CDATA[MTIz]]></Content>" + _msg_id())
_add("device_event bind", "silent", "device_event", lambda: "<Event><![CDATA[bind]]></Event>" + _DEVICE
     + "<Content><![CDATA[]]></Content>")
_add("device_event unbind", "silent", "device_event", lambda: "<Event><![CDATA[unbind]]></Event>" + _DEVICE
     + "<Content><![CDATA[]]></Content>")
_add("device_event subscribe_status", "silent", "device_event",
     lambda: "<Event><![CDATA[subscribe_status]]></Event>" + _DEVICE + "<OpType>0</OpType>")
_add("device_event unsubscribe_status", "silent", "device_event",
     lambda: "<Event><![CDATA[unsubscribe_status]]></Event>" + _DEVICE + "<OpType>1</OpType>")

# not documented (yet): a future event is a notice, a future message type something the user sent
_add("a future event", "silent", *_event("some_event_added_next_year", "<Whatever>1</Whatever>"))


def xml_for(name: str, openid: str, created: int | None = None) -> str:
    msg_type, body, _ = CATALOGUE[name]
    return envelope(openid, msg_type, body(), created)


def names(expected: str) -> list[str]:
    return [name for name, (_, _, action) in CATALOGUE.items() if action == expected]
