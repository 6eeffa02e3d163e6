"""A realistic message mix for the webhook benchmark: simulated users, each on one visit.

Shares of messages, as an investment-promotion account sees them (most people ask one to
three questions; some look for premises; a few register a need, step by step):

* questions about the park -- every paraphrase in ``knowledge/faq.yaml`` and every labelled
  and held-out question in ``tests/data/nlu*.yaml``, lightly varied (a leading 请问/那个, a
  trailing particle, punctuation, full-width digits, a space), so nearly every one is new;
* out-of-scope and small talk (weather, jobs, other parks) from the same labelled sets;
* listing searches (the labelled ones, plus ones built from districts, property kinds and
  sizes), half followed by a digit that opens one of the listings found;
* greetings, most followed by a menu digit (1 园区介绍, 2 找房源);
* whole forms: 登记, the need, the use, the tax, the company, the contact, a phone number of
  the user's own, 确认 -- each in order, on one connection.

Each visit is one user's turns in order; visits are dealt to connections, so a user's turns
never overtake each other while many users are served at once.
"""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# share of visits of each kind; measured shares of messages are printed by the benchmark
VISITS = {"browse": 0.93, "form": 0.07}
# within a browse visit, what each next step is
STEPS = {"faq": 0.56, "oos": 0.10, "listing": 0.18, "greeting": 0.16}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
PREFIXES = ["", "", "", "请问", "你好,", "那个", "想问下", "您好 ", "问一下"]
ENDINGS = ["", "", "?", "?", "。", "!", "~", " "]
PARTICLES = ["", "", "", "呢", "啊", "呀"]
GREETINGS = ["你好", "您好", "在吗", "hi", "hello", "你好!", "您好,在吗", "早上好", "哈喽", "嗨"]
DISTRICTS = ["城阳区", "崂山区", "黄岛区", "李沧区", "即墨区", "胶州市", "高新区", ""]
KINDS = ["厂房", "仓库", "写字楼", "办公室", "土地", "工业用地", "标准厂房", "研发楼"]
DEALS = ["求租", "想租", "找", "有没有", "出租的", "想买", "出售的"]
NEEDS = ["想租{n}平米厂房", "求购{m}亩工业用地", "租{n}平办公室", "找{n}到{k}平的仓库", "买一块{m}亩的地建厂",
         "需要{n}平左右的研发楼", "租个{n}平的单层厂房"]
USES = ["海洋生物", "医疗器械", "人工智能", "新能源汽车零部件", "软件开发", "精密机械加工", "生物医药研发",
        "集成电路设计", "食品加工", "智能装备制造"]
TAXES = ["300万", "一千万左右", "五百万", "年税收大概200万", "1200万", "两三百万吧", "八十万"]
COMPANY = ["海智源", "蓝海", "青云", "华创", "鲁信", "恒远", "中科", "瑞泰", "金桥", "新锐"]
COMPANY_KIND = ["生命科技", "智能装备", "软件", "医疗器械", "新材料", "电子"]
CONTACTS = ["王经理", "李女士", "张总", "刘先生", "陈工", "赵经理", "孙女士", "周总"]


@dataclass
class Pools:
    questions: list[str]
    oos: list[str]
    listings: list[str]


def load_pools(root: Path = ROOT) -> Pools:
    faq = yaml.safe_load((root / "knowledge/faq.yaml").read_text(encoding="utf-8"))["faqs"]
    questions = [str(q) for f in faq for q in f["questions"]]
    oos: list[str] = []
    listings: list[str] = []
    for path in sorted((root / "tests/data").glob("nlu*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions += [str(c["text"]) for c in data.get("faq", [])]
        oos += [str(t) for t in data.get("oos", [])]
        listings += [str(c["text"]) for c in data.get("listing", [])]
    return Pools(questions, oos, listings)


def vary(text: str, rng: random.Random) -> str:
    """The same question as another person would type it."""
    text = text.rstrip("??。!! ")
    if rng.random() < 0.3:
        text = rng.choice(PREFIXES) + text
    if rng.random() < 0.3 and not text.endswith(("吗", "呢", "啊", "呀", "吧")):
        text += rng.choice(PARTICLES)
    if rng.random() < 0.3:
        text = text.translate(FULL_WIDTH)
    if rng.random() < 0.1 and len(text) > 4:
        cut = rng.randint(2, len(text) - 2)
        text = text[:cut] + " " + text[cut:]
    return (text + rng.choice(ENDINGS)).strip() or text


def listing_search(pools: Pools, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return vary(rng.choice(pools.listings), rng)
    size = rng.choice([200, 300, 500, 800, 1000, 1500, 2000, 3000, 5000])
    return vary(f"{rng.choice(DEALS)}{rng.choice(DISTRICTS)}{size}平左右的{rng.choice(KINDS)}", rng)


def form_visit(user_number: int, rng: random.Random) -> list[tuple[str, str]]:
    n = rng.choice([300, 500, 800, 1000, 1500, 2000, 3000])
    need = rng.choice(NEEDS).format(n=n, k=n * 2, m=rng.choice([10, 20, 30, 50]))
    company = f"青岛{rng.choice(COMPANY)}{rng.choice(COMPANY_KIND)}有限公司"
    phone = f"13{user_number % 10**9:09d}"
    turns = [("form", "登记"), ("form", need), ("form", rng.choice(USES)), ("form", rng.choice(TAXES)),
             ("form", company), ("form", rng.choice(CONTACTS)), ("form", phone), ("form", "确认")]
    if rng.random() < 0.4:
        turns.insert(0, ("greeting", rng.choice(GREETINGS)))
    return turns


def browse_visit(pools: Pools, rng: random.Random) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 5])):
        step = rng.choices(list(STEPS), weights=list(STEPS.values()))[0]
        if step == "faq":
            turns.append(("faq", vary(rng.choice(pools.questions), rng)))
        elif step == "oos":
            turns.append(("oos", vary(rng.choice(pools.oos), rng)))
        elif step == "listing":
            turns.append(("listing", listing_search(pools, rng)))
            if rng.random() < 0.5:
                turns.append(("digit", rng.choice("123")))
        else:
            turns.append(("greeting", rng.choice(GREETINGS)))
            if rng.random() < 0.7:
                turns.append(("digit", rng.choice("12")))
    return turns


def conversations(count: int, connections: int, seed: int, tag: str) -> tuple[list[list[tuple[str, str, str]]], Counter]:
    """``connections`` streams of (openid, kind, text), about ``count`` messages each; users never
    repeat across tags (rounds), so a form always starts fresh."""
    rng = random.Random(seed)
    pools = load_pools()
    streams: list[list[tuple[str, str, str]]] = []
    shares: Counter = Counter()
    for c in range(connections):
        stream: list[tuple[str, str, str]] = []
        user = 0
        while len(stream) < count:
            user += 1
            openid = f"obench-{tag}-{c:03d}-{user:06d}"
            kind = rng.choices(list(VISITS), weights=list(VISITS.values()))[0]
            turns = form_visit(seed * 10**6 + c * 10**4 + user, rng) if kind == "form" else browse_visit(pools, rng)
            for what, text in turns:
                stream.append((openid, what, text))
                shares[what] += 1
        streams.append(stream)
    return streams, shares


def encrypt(streams, token: str, aes_key: str, app_id: str, first_id: int) -> list[list[tuple[str, bytes]]]:
    """Signed, encrypted WeChat POSTs (distinct MsgIds) for each stream."""
    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    from tests.support.wechat import sign, text_xml

    crypto = WeChatCrypto(token, aes_key, app_id)
    timestamp = str(int(time.time()))
    msg_id = first_id
    out = []
    for stream in streams:
        reqs = []
        for openid, _, text in stream:
            msg_id += 1
            nonce = uuid.uuid4().hex[:10]
            body = crypto.encrypt_message(text_xml(openid, text, msg_id=msg_id), nonce, timestamp)
            encrypted = xmltodict.parse(body)["xml"]["Encrypt"]
            query = (f"signature={sign(token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
                     f"&encrypt_type=aes&msg_signature={sign(token, timestamp, nonce, encrypted)}")
            reqs.append((f"/wechat?{query}", body.encode()))
        out.append(reqs)
    return out
