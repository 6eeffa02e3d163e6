"""The soak's users: signed, encrypted webhook posts at a steady pace, forms, WeChat retries (see soak.py)."""
from __future__ import annotations

import http.client
import itertools
import random
import re
import threading
import time
import uuid

import xmltodict
from wechatpy.crypto import WeChatCrypto

from tests.support.wechat import AES_KEY, APP_ID, TOKEN, sign, text_xml

QUESTIONS = ["工研院是干嘛的", "高新区全国排第几", "国际客厅在哪", "有啥优惠政策不", "外资企业有多少家",
             "主导产业是什么", "海克斯康是做什么的", "你好", "明天会下雨吗", "菜单"]
SEARCHES = ["求租800平左右单层厂房", "有写字楼吗 出租", "求租厂房", "想买2000平的厂房", "有研发楼吗"]
LEAD = re.compile(r"L\d{8}-\d{4,}")


class Webhook:
    """Signed, encrypted posts to /wechat over one keep-alive connection; records status and latency."""

    def __init__(self, port: int, stats: "Stats"):
        self.port, self.stats = port, stats
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)

    def post(self, openid: str, text: str, msg_id: int) -> str | None:
        """The reply's text ("" for a non-text reply), or None for anything but HTTP 200."""
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        body = self.crypto.encrypt_message(text_xml(openid, text, msg_id), nonce, ts)
        encrypted = xmltodict.parse(body)["xml"]["Encrypt"]
        path = (f"/wechat?signature={sign(TOKEN, ts, nonce)}&timestamp={ts}&nonce={nonce}"
                f"&encrypt_type=aes&msg_signature={sign(TOKEN, ts, nonce, encrypted)}")
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=body.encode(), headers={"Content-Type": "text/xml"})
            response = self.conn.getresponse()
            data = response.read().decode("utf-8")
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            status, data = 0, ""
        self.stats.request(time.perf_counter() - started, status)
        if status != 200:
            return None
        if data == "success":
            return ""
        outer = xmltodict.parse(data)["xml"]
        inner = xmltodict.parse(self.crypto.decrypt_message(data, outer["MsgSignature"], outer["TimeStamp"],
                                                            outer["Nonce"]))["xml"]
        return inner.get("Content") or ""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.non200 = 0
        self.retry_mismatch = 0
        self.mismatches: list[tuple[str, str | None, str | None]] = []  # (sent, first answer, retry's)
        self.shown: set[str] = set()
        self.forms_abandoned = 0

    def request(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.non200 += status != 200


class Traffic:
    def __init__(self, port: int, stats: Stats, *, users: int, rate: float, connections: int, form_every: float,
                 store_down: str, deadline: float):
        self.port, self.stats, self.users = port, stats, users
        self.interval = connections / rate  # each connection's pace
        self.connections, self.form_every = connections, form_every
        self.store_down, self.deadline = store_down, deadline
        self.msg_ids = itertools.count(int(time.time() * 1000) * 1000)
        self.phones = itertools.count(random.randint(10_000_000, 50_000_000))
        self.lock = threading.Lock()
        self.run_id = uuid.uuid4().hex[:6]

    def next_id(self) -> int:
        with self.lock:
            return next(self.msg_ids)

    def say(self, hook: Webhook, openid: str, text: str, *, patient: bool = False) -> str | None:
        """One message; one in ten sent again with the same MsgId (both answers must match).

        Half of those retries go out while the first delivery is still being answered (on a
        connection of their own), as WeChat's do when a reply is slow; the other half after it.

        ``patient``: a "system busy" answer is followed by the same words a second later, up to
        a minute, as a person filling in a form would.
        """
        for _attempt in range(60 if patient else 1):
            msg_id = self.next_id()
            retry = random.random() < 0.1
            if retry and random.random() < 0.5:
                box: dict = {}
                side = threading.Thread(target=lambda: box.setdefault(
                    "again", Webhook(self.port, self.stats).post(openid, text, msg_id)))
                side.start()
                reply = hook.post(openid, text, msg_id)
                side.join(30)
                again = box.get("again")
            else:
                reply = hook.post(openid, text, msg_id)
                again = hook.post(openid, text, msg_id) if retry else None
            if retry:
                # a retry that arrives while the first is still being made may get "success" (no reply),
                # and either of two simultaneous deliveries may be the first; a delivery answered with
                # the hotline was not processed, so the other one processing it is right
                if reply == "" and again:
                    reply = again
                answered = {reply, again} - {None, "", self.store_down}
                if len(answered) > 1:
                    with self.stats.lock:
                        self.stats.retry_mismatch += 1
                        self.stats.mismatches.append((text, reply, again))
            if not patient or (reply is not None and reply != self.store_down):
                return reply
            time.sleep(1.0)
        return None

    def browse(self) -> None:
        hook = Webhook(self.port, self.stats)
        next_at = time.monotonic()
        while time.monotonic() < self.deadline:
            openid = f"soak-{self.run_id}-{random.randrange(self.users)}"
            if random.random() < 0.5:
                steps = random.sample(QUESTIONS, 2)
            else:
                steps = [random.choice(SEARCHES), "1", "更多"]
            for text in steps:
                next_at += self.interval
                time.sleep(max(0.0, next_at - time.monotonic()))
                if time.monotonic() >= self.deadline:
                    return
                self.say(hook, openid, text)

    def forms(self) -> None:
        hook = Webhook(self.port, self.stats)
        for n in itertools.count():
            start = time.monotonic()
            if start >= self.deadline:
                return
            openid = f"soak-form-{self.run_id}-{n}"
            phone = f"139{next(self.phones):08d}"
            self.say(hook, openid, f"我是海智源{n}号公司的王经理,想租2000平厂房做海洋生物,年税收300万左右,电话{phone}",
                     patient=True)
            done = self.say(hook, openid, "确认", patient=True)
            found = LEAD.search(done or "")
            with self.stats.lock:
                if found:
                    self.stats.shown.add(found.group(0))
                else:
                    self.stats.forms_abandoned += 1
            time.sleep(max(0.0, start + self.form_every - time.monotonic()))

    def run(self) -> None:
        threads = [threading.Thread(target=self.browse, daemon=True) for _ in range(self.connections)]
        threads.append(threading.Thread(target=self.forms, daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, self.deadline - time.monotonic()) + 120)
