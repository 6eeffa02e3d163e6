"""The Official Account API: an access_token shared by every process through Redis, and the menu.

WeChat invalidates the previous token whenever a new one is fetched, so processes that each
refreshed on their own would keep knocking each other's token out. Here exactly one process
refreshes (it holds a Redis lock); the others wait for the lock and read what it stored.

Error texts never contain a request URL: token requests carry the AppSecret in the query
string and every other call carries the token.
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import urlencode

from bot.store.keys import Keys
from bot.store.tokens import SharedToken, TokenBusy
from bot.tencent_http import TencentError, call_json

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
# the QR code image for a ticket: a public address on WeChat's web site, not an API call
SHOW_QR_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode"
QR_SCENE = re.compile(r"\S{1,64}")  # QR_LIMIT_STR_SCENE: a scene string of 1 to 64 characters
TOKEN_MARGIN = 300  # refresh five minutes before WeChat says the token expires
INVALID_TOKEN = {40001, 40014, 42001}  # invalid, malformed, expired: drop ours and fetch once more
MENU_LIMITS = {"top": 3, "sub": 5, "top_name": 16, "sub_name": 60}  # WeChat's limits, names in bytes

class WeChatAPIError(TencentError):
    """A WeChat API call that did not succeed."""


class WeChatAPI:
    def __init__(self, client: Any, keys: Keys, app_id: str, app_secret: str, *,
                 base_url: str = DEFAULT_BASE_URL, timeout: float = 5.0, lock_wait: float | None = None,
                 session: requests.Session | None = None, now: Callable[[], float] = time.time):
        if not app_id or not app_secret:
            raise WeChatAPIError("WECHAT_APP_ID and WECHAT_APP_SECRET are required for the WeChat API")
        self.r = client
        self.keys = keys
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # a waiter gives up a little after the refresher's own request would have timed out
        self.lock_wait = lock_wait if lock_wait is not None else 2 * timeout + 1
        if session is None:
            import requests  # when the API is first used, not when a worker starts

            session = requests.Session()
        self.session = session
        self.now = now
        self.tokens = SharedToken(client, keys, app_id, lock_wait=self.lock_wait)

    # access token ------------------------------------------------------------------
    @property
    def _token_key(self) -> str:
        return self.tokens.key

    def access_token(self) -> str:
        token = self.tokens.get()
        if token:
            return token
        try:
            with self.tokens.refreshing() as token:
                return token or self._fetch_token()  # the holder before us may have stored one
        except TokenBusy:
            raise WeChatAPIError(f"timed out after {self.lock_wait:g} s waiting for another process "
                                 "to refresh the access_token") from None

    def _fetch_token(self) -> str:
        """A new token from WeChat, stored for every process (the caller holds the refresh lock)."""
        data = self._request("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatAPIError("malformed /cgi-bin/token response: no access_token")
        try:
            expires_in = int(data.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200
        self.tokens.put(token, max(expires_in - TOKEN_MARGIN, 60))
        log.info("WeChat access_token refreshed (valid %d s)", expires_in)
        return token

    def forget_token(self, token: str) -> None:
        """Drop ``token`` if it is still the shared one (WeChat said it is no longer valid)."""
        self.tokens.forget(token)

    # calls ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: dict | None = None, body: Any = None) -> dict:
        data = None
        headers = {}
        if body is not None:
            # WeChat shows \\uXXXX escapes literally in menu names: send raw UTF-8
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        return call_json(self.session, method, self.base_url + path, params=params, data=data, headers=headers,
                         timeout=self.timeout, label=f"{method} {path}", error=WeChatAPIError)

    def call(self, method: str, path: str, *, params: dict | None = None, body: Any = None) -> dict:
        """An API call with the shared token; a token WeChat rejects is replaced once."""
        for attempt in (1, 2):
            token = self.access_token()
            try:
                return self._request(method, path, params={**(params or {}), "access_token": token}, body=body)
            except WeChatAPIError as exc:
                if exc.errcode in INVALID_TOKEN and attempt == 1:
                    self.forget_token(token)
                    continue
                raise
        raise AssertionError("unreachable")

    def send_text(self, openid: str, text: str) -> dict:
        """A customer-service text message (客服消息) to ``openid``; WeChat accepts it only within
        48 hours of the user's last message to the account."""
        return self.call("POST", "/cgi-bin/message/custom/send",
                         body={"touser": openid, "msgtype": "text", "text": {"content": text}})

    def push_menu(self, menu_buttons: Iterable[Any]) -> dict:
        """Create the Official Account menu (replacing the current one)."""
        return self.call("POST", "/cgi-bin/menu/create", body=menu_payload(menu_buttons))


    def create_qr(self, scene: str) -> dict:
        """A permanent parametric QR code for ``scene``: ``{"ticket", "url", "image"}``.

        ``image`` is the ticket's showqrcode address (the picture to print); ``url`` what the code holds.
        """
        if not isinstance(scene, str) or not QR_SCENE.fullmatch(scene):
            raise ValueError(f"a QR code scene is 1 to 64 characters without spaces, not {scene!r}")
        data = self.call("POST", "/cgi-bin/qrcode/create", body={
            "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}})
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            raise WeChatAPIError("malformed /cgi-bin/qrcode/create response: no ticket")
        return {"ticket": ticket, "url": str(data.get("url") or ""),
                "image": f"{SHOW_QR_URL}?{urlencode({'ticket': ticket})}"}


def _get(button: Any, name: str) -> Any:
    return button.get(name) if isinstance(button, dict) else getattr(button, name, None)


def _button(button: Any, top: bool) -> dict:
    name = str(_get(button, "name") or "").strip()
    limit = MENU_LIMITS["top_name" if top else "sub_name"]
    if not name:
        raise ValueError("every menu button needs a name")
    if len(name.encode("utf-8")) > limit:
        raise ValueError(f"menu button name {name!r} is longer than WeChat's {limit} bytes")
    subs = list(_get(button, "sub_button") or [])
    key, url = _get(button, "key"), _get(button, "url")
    if subs:
        if not top:
            raise ValueError(f"menu button {name!r}: WeChat allows only one level of sub_button")
        if len(subs) > MENU_LIMITS["sub"]:
            raise ValueError(f"menu button {name!r} has {len(subs)} sub_buttons; WeChat allows {MENU_LIMITS['sub']}")
        return {"name": name, "sub_button": [_button(b, top=False) for b in subs]}
    if key and url:
        raise ValueError(f"menu button {name!r} has both key and url; give one")
    if key:
        return {"type": "click", "name": name, "key": str(key)}
    if url:
        return {"type": "view", "name": name, "url": str(url)}
    raise ValueError(f"menu button {name!r} needs a key, a url or sub_buttons")


def menu_payload(menu_buttons: Iterable[Any]) -> dict:
    """``menu.yaml``'s ``wechat_menu`` as the body of /cgi-bin/menu/create."""
    buttons = list(menu_buttons or [])
    if not buttons:
        raise ValueError("menu.yaml has no wechat_menu buttons to push")
    if len(buttons) > MENU_LIMITS["top"]:
        raise ValueError(f"wechat_menu has {len(buttons)} buttons; WeChat allows {MENU_LIMITS['top']}")
    return {"button": [_button(b, top=True) for b in buttons]}


def from_config(client: Any, keys: Keys, config: Any) -> WeChatAPI:
    return WeChatAPI(client, keys, config.get("WECHAT_APP_ID"), config.get("WECHAT_APP_SECRET"),
                     base_url=config.get("WECHAT_API_BASE_URL") or DEFAULT_BASE_URL,
                     timeout=float(config.get("HTTP_TIMEOUT") or 5.0))
