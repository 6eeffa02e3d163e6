"""Reading one answer of the inquiry form as the value of the field that was asked.

Each reader takes the user's text and returns a ``Read``: the value (as it will be stored and
shown to staff, in the user's own words where the field is free text) or the problem with it
(a message key; the form says that sentence, then what would do). ``others`` finds the values
of other fields that are unambiguous in any message -- a valid mobile number, a company with
its legal suffix or introduced as the company, an introduced name -- and where they are, so
that the rest of the message is read for the asked field alone.

Pure functions over the text and the vocabulary (``knowledge/entities.yaml``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .normalize import written
from .numbers import NUMBER, parse_number

_CJK = r"\u4e00-\u9fff"
_PUNCT = " \t\r\n,，.。;；:：!！?？、~～…·'\"“”‘’()（）[]【】<>《》-—_/|"
# mainland mobile: 1[3-9] + 9 digits; spaces and dashes between digits, a +86 / 86 in front
PHONE = re.compile(r"(?<![\d])(?:\+?86[\s-]{0,2})?(1[3-9](?:[\s-]{0,2}\d){9})(?![\d])")
_PHONE_CUE = re.compile(r"(?:我的)?(?:手机号码|手机号|手机|联系电话|电话号码|电话|号码|联系方式|微信同号)[是为]?[:：\s]*$")
_CN_DIGITS = str.maketrans("零〇一二三四五六七八九幺", "001234567891")
_AFFIRM = frozenset("""好 好的 好嘞 好滴 好吧 好哒 嗯 嗯嗯 嗯呢 哦 噢 喔 是 是的 对 对的 对啊 可以 可以的 行 行的 中 ok okay
                       收到 知道了 明白 没问题 没错 没毛病 没有 没 有 不 不是 不用 不要 不了 无 谢谢 好的谢谢""".split())
_DECLINE = re.compile(r"保密|不方便|不想说|不想透露|先不说|不透露|暂不透露|不告诉|不便|不想填|先不填|不想给")
_UNKNOWN = re.compile(r"不确定|不知道|不清楚|说不好|不好说|说不准|待定|未知|没想好|还没算|没算过|没测算|还没测|"
                      r"看情况|要看|不一定|还没定|没定|估不出|算不出|保密|不方便|不透露|不想说")
# what an introduced company "name" begins with or holds when it only describes the company
_NOT_A_NAME = re.compile(r"^(?:一家|一个|一所|某|这家|那家|家|个|做|搞)|的")
_LEADING_FILLER = re.compile(r"^(?:嗯+|呃+|额+|那个|就是|这个)?[,，\s]*")
_TRAILING = re.compile(r"(?:吧|啊|呀|哈|呢|嘛|哦|啦|嘞|哟|了吧)+$")
_TITLES_EXTRA = ("工", "博士", "教授", "处长", "科长", "所长", "院长", "书记", "律师", "医生", "总工", "会计", "助理",
                 "秘书", "厂长", "董事", "行长", "局长", "组长", "队长", "专员")
_APPROX = re.compile(r"([一二两三四五六七八九])([二两三四五六七八九])([十百千]?)(?:个)?(万|亿)?")
_DIGIT_VALUE = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PLACE = {"": 1, "十": 10, "百": 100, "千": 1000}
_MONEY_UNIT = {"万元": 1e4, "万块": 1e4, "万": 1e4, "w": 1e4, "亿元": 1e8, "亿": 1e8}
_AMOUNT = re.compile(rf"(?P<n>{NUMBER})\s*个?\s*[多余来]?\s*(?P<u>万元|万块|万|亿元|亿|w)?(?![a-z])")
_AMOUNT_RANGE = re.compile(rf"(?P<a>{NUMBER})\s*(?P<ua>万元|万|亿元|亿|w)?\s*(?:-|~|—|–|到|至)\s*"
                           rf"(?P<b>{NUMBER})\s*(?P<ub>万元|万块|万|亿元|亿|w)?")
_CUED_TAX = re.compile(r"(?:年纳税额|年纳税|纳税额|纳税|年税收|税收|年税|缴税|交税)(?:额)?(?:每年|一年|大概|大约|约|预计|估计|能有|有|在|是|为|:|：|\s)*"
                       r"(?P<amount>[^,，。;；\s]{1,15})")
_USAGE_CUE = re.compile(r"(?:主要从事|从事|主营|主要做|专门做|我们做|是做|用来做|用于|用来|用途是|用途为|用途|行业是|行业为|行业|做|搞)[:：\s]*$")
_BARE_AMOUNT_WORDS = re.compile(r"左右|上下|大概|大约|约|差不多|吧|每年|一年|年纳税|纳税额?|年税收|税收|预计|估计|以上|以下|"
                                r"以内|多|万元|元|的|有个|应该|能有|可能")


@dataclass
class Read:
    value: Any = None
    detail: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # message key of what was wrong
    values: dict[str, Any] = field(default_factory=dict)  # for the problem's sentence

    @property
    def ok(self) -> bool:
        return self.problem is None and self.value is not None


def light(text: str) -> str:
    """Full-width letters, digits and spaces as ASCII; Chinese punctuation and ㎡ kept as typed."""
    return "".join(chr(ord(c) - 0xFEE0) if "\uff10" <= c <= "\uff5a" and c.isalnum() else
                   (" " if c == "\u3000" else c) for c in text or "")


def tidy_text(text: str) -> str:
    """The user's words as staff should read them: fillers and trailing particles off, nothing else changed."""
    s = light(text).strip().strip(_PUNCT)
    s = _LEADING_FILLER.sub("", s).strip().strip(_PUNCT)
    s = _TRAILING.sub("", s).strip().strip(_PUNCT)
    return re.sub(r"\s+", " ", s)


def is_affirm(text: str) -> bool:
    return re.sub(rf"[{re.escape(_PUNCT)}]+", "", written(text or "").lower()) in _AFFIRM


def is_unknown(text: str) -> bool:
    """不确定 / 还没定 / 看情况: the user cannot say yet."""
    return bool(_UNKNOWN.search(written(text or "")))


_YES = frozenset("""好 好的 好嘞 嗯 嗯嗯 是 是的 对 对的 对啊 没错 没错的 对没错 没问题 没毛病 可以 可以的 行 ok okay
                    确认 确定 正确 无误""".split())


def is_yes(text: str) -> bool:
    """好的 / 没错 / 对的: yes to the question asked."""
    return re.sub(rf"[{re.escape(_PUNCT)}]+", "", written(text or "").lower()) in _YES


def declines(text: str) -> bool:
    """暂时保密 / 不方便说: the user would rather not say; or the whole answer is 不知道 / 不清楚 / 还没定,
    which at an optional question means the same (「不知道」 is no company's name)."""
    s = written(text or "")
    if _DECLINE.search(s):
        return True
    core = re.sub(rf"[{re.escape(_PUNCT)}\s]+", "", _TRAILING.sub("", tidy_text(s)))
    return len(core) <= 6 and bool(_UNKNOWN.fullmatch(re.sub(r"^(?:我们|我|也|都|暂时|目前|现在|还)+", "", core)))


def approx_ranges(text: str) -> str:
    """一两百万 -> 100-200万, 两三千平 -> 2000-3000平: the approximate ranges people say as digits."""
    def repl(m: re.Match) -> str:
        low, high = _DIGIT_VALUE[m.group(1)], _DIGIT_VALUE[m.group(2)]
        if high <= low or not m.group(3) and not m.group(4):
            return m.group(0)
        place = _PLACE[m.group(3)]
        return f"{low * place}-{high * place}{m.group(4) or ''}"
    return _APPROX.sub(repl, text)


# --- other fields anywhere ------------------------------------------------------------
def find_phone(text: str) -> tuple[str, tuple[int, int]] | None:
    s = written(text)
    m = PHONE.search(s)
    if m is None:
        converted = s.translate(_CN_DIGITS)  # 一三九一二三四五六七八
        m = PHONE.search(converted)
        if m is None:
            return None
    start = m.start()
    cue = _PHONE_CUE.search(s[:start])
    if cue:
        start = cue.start()
    return re.sub(r"\D", "", m.group(1)), (start, m.end())


class FieldReaders:
    """Readers built once per knowledge version (they need its surnames, titles and types)."""

    def __init__(self, vocab: Any, entities: Callable[[str], dict[str, Any]]):
        self.entities = entities
        compound = sorted(vocab.compound_surnames, key=len, reverse=True)
        singles = vocab.surnames.replace(" ", "")
        self._surname = f"(?:{'|'.join(map(re.escape, compound))}|[{singles}])"
        titles = sorted({*vocab.contact_titles, *_TITLES_EXTRA}, key=len, reverse=True)
        self._title = f"(?:{'|'.join(map(re.escape, titles))})"
        s, t = self._surname, self._title
        self._titled = re.compile(rf"(?:{s}{t}|[小老]{s})")
        self._contact_shapes = [
            re.compile(rf"[小老]{s}"), re.compile(rf"{s}{t}"), re.compile(rf"{s}[{_CJK}]{{1,2}}"),
            re.compile(rf"{s}某"), re.compile(s),
        ]
        self._english = re.compile(r"[A-Za-z][A-Za-z.'\- ]{0,29}")
        self._cued_contact = re.compile(
            rf"(?:我是|我叫|联系人[是为]?[:：]?|叫我|找)\s*(?P<name>[小老]{s}|{s}{t}|{s}[{_CJK}]{{1,2}}(?=[,，。\s]|$))")
        suffixes = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "集团", "股份")
        self._legal = re.compile(rf"[{_CJK}A-Za-z0-9()（）·&]{{2,30}}?(?:{'|'.join(suffixes)})")
        # a legal name ends in a suffix, so holds its last two characters: without any, it is not searched for
        self._legal_ends = tuple({x[-2:] for x in suffixes})
        # 「我是海智源公司的王经理」: a company introduced by who the speaker is, ending in 公司/集团/…
        self._company_intro = re.compile(
            rf"(?:我是|我们是|我们|来自|我在)(?P<name>[{_CJK}A-Za-z0-9]{{2,20}}?(?:公司|集团|企业|工作室|厂))(?=的|[,，。\s]|$)")
        # 「…公司的王经理」: a titled name right after the company it belongs to
        self._titled_after = re.compile(rf"(?:公司|集团|企业|单位|厂)的(?P<name>{s}{t}|[小老]{s})")
        self._company_cue = re.compile(r"(?:公司|企业|单位)(?:名称|名字|名)?(?:是|叫|为|:|：)\s*(?P<name>[^\s,，。;；]{2,30})")
        self._company_lead = re.compile(
            r"^(?:我们公司叫|我们公司是|我们公司名叫|我们公司|公司名称是|公司名称为|公司名称|公司名字叫|公司名字是|公司名叫|"
            r"公司名是|公司名|公司叫|公司是|单位是|单位名称是|我们是|我们叫|我在|我是|我司|来自|叫)[:：\s]*")
        self._industry_lead = re.compile(
            r"^(?:我们公司是做|我们公司做|我们是做|我们主要做|我们主要是做|我们做|我们搞|我们是搞|主要从事|从事|主营|主要做|主要是做|"
            r"专门做|是做|打算做|准备做|想做|计划做|做|搞|用于|用来做|用途是|用途为|用途:|行业是|行业为|行业:|属于)[:：\s]*")
        self._industry_trail = re.compile(r"(?:的|行业|方面|领域|这块|这一块|相关|之类|等)+$")
        self._contact_lead = re.compile(
            r"^(?:免贵姓|本人姓|我姓|姓|我叫|叫我|称呼我|我是|联系人是|联系人:|联系人：|联系人|我的名字是|名字是|名字叫|本人|找)[:：\s]*")
        self._contact_trail = re.compile(r"(?:就行了|就行|就好|就可以|即可|吧|哈|呀|啊|就是)+$")

    # ------------------------------------------------------------ other fields anywhere
    def others(self, text: str, skip: str | None = None) -> dict[str, tuple[Any, tuple[int, int]]]:
        """Unambiguous values of company, contact and phone in ``text``, with their spans."""
        s = written(text)
        out: dict[str, tuple[Any, tuple[int, int]]] = {}
        phone = find_phone(text)
        if phone and skip != "phone":
            out["phone"] = phone
        if skip != "company":
            m = self._legal.search(s) if any(end in s for end in self._legal_ends) else None
            cue = self._company_cue.search(s) or self._company_intro.search(s)
            if cue and _NOT_A_NAME.search(cue.group("name")):
                cue = None  # 「我们是一家做芯片设计的公司」 says what the company is, not its name
            if cue:
                out["company"] = (cue.group("name"), cue.span())
            elif m:
                name = self._company_lead.sub("", m.group(0))
                if len(name) >= 4:
                    out["company"] = (name, m.span())
        if skip != "tax":
            m = _CUED_TAX.search(s)
            if m:
                value = "unknown" if _UNKNOWN.search(m.group("amount")) else amount_wan(m.group("amount").lower())
                if value is not None:
                    out["tax"] = (value, m.span())
        if skip != "contact":
            m = self._cued_contact.search(s) or self._titled_after.search(s)
            if m:
                out["contact"] = (m.group("name"), m.span())
            else:
                for clause in re.finditer(r"[^\s,，。;；:：]+", s):
                    if self._titled.fullmatch(clause.group(0)):
                        out["contact"] = (clause.group(0), clause.span())
                        break
        return out

    def usage_in(self, text: str) -> tuple[str, tuple[int, int]] | None:
        """「租厂房做冷链仓储」: the usage a need's answer names after a cue (做, 从事, 用于…)."""
        phrase = self.entities(text).get("industry")
        if not phrase:
            return None
        s = written(text)
        at = s.lower().find(str(phrase).lower())
        if at < 0:
            return None
        end = at + len(phrase)
        cue = _USAGE_CUE.search(s[:at])
        tail = re.match(r"(?:的|行业|方面|领域|这块|相关)*", s[end:])
        return s[at:end], (cue.start() if cue else at, end + (tail.end() if tail else 0))

    # ------------------------------------------------------------ the asked field
    def read(self, reader: str, text: str) -> Read:
        return getattr(self, f"_read_{reader}")(text)

    def _common_refusal(self, text: str, core: str, low: int, high: int) -> Read | None:
        if is_affirm(core) or is_affirm(text):
            return Read(problem="form_not_an_answer", values={"text": tidy_text(text) or text.strip()})
        if not core:
            return Read(problem="form_empty_answer")
        if len(core) < low:
            return Read(problem="form_too_short", values={"low": low})
        if len(core) > high:
            return Read(problem="form_too_long", values={"high": high})
        if not re.search(rf"[{_CJK}A-Za-z]", core):
            return Read(problem="form_no_words")
        return None

    def _read_text(self, text: str) -> Read:
        core = tidy_text(text)
        core = self._industry_lead.sub("", core).strip()
        core = self._industry_trail.sub("", core).strip().strip(_PUNCT)
        refusal = self._common_refusal(text, core, 2, 40)
        if refusal is None and not re.sub(rf"{NUMBER}|[多余来个平米方亩㎡万元块左右上下约大概以上以内\s{re.escape(_PUNCT)}]",
                                          "", written(core)):
            refusal = Read(problem="form_not_an_answer", values={"text": core})  # 「两千平」 is a size, not a usage
        return refusal or Read(value=core)

    def _read_company(self, text: str) -> Read:
        core = tidy_text(text)
        m = re.search(r"(?:名字|名称)?叫\s*(?P<name>[^\s,，。]{2,})$", core)
        if m and not core.startswith(("叫", "公司叫", "我们公司叫")):
            core = m.group("name")
        core = self._company_lead.sub("", core).strip().strip(_PUNCT)
        refusal = self._common_refusal(text, core, 2, 50)
        return refusal or Read(value=core)

    def _read_contact(self, text: str) -> Read:
        core = tidy_text(text)
        by_surname = bool(re.match(r"^(?:免贵姓|本人姓|我姓|姓)", core))
        core = self._contact_lead.sub("", core).strip()
        core = self._contact_trail.sub("", core).strip().strip(_PUNCT)
        if is_affirm(core) or is_affirm(text):
            return Read(problem="form_not_an_answer", values={"text": core or text.strip()})
        if not core:
            return Read(problem="form_empty_answer")
        if by_surname:
            m = re.match(self._surname, core)
            if m:
                return Read(value=m.group(0))
        if self._english.fullmatch(core) and re.search(r"[A-Za-z]{2}", core):
            return Read(value=re.sub(r"\s+", " ", core))
        chinese = re.sub(r"\s+", "", core)
        if re.fullmatch(rf"[{_CJK}]{{1,6}}", chinese):
            for shape in self._contact_shapes:
                if shape.fullmatch(chinese):
                    return Read(value=chinese)
        return Read(problem="contact_unclear")

    def _read_phone(self, text: str) -> Read:
        found = find_phone(text)
        if found:
            return Read(value=found[0])
        if re.search(r"\d", written(text).translate(_CN_DIGITS)):
            return Read(problem="phone_wrong")
        if is_affirm(text):
            return Read(problem="form_not_an_answer", values={"text": tidy_text(text)})
        return Read(problem="phone_missing")

    def _read_amount(self, text: str) -> Read:
        s = written(text).lower()
        phone = find_phone(s)
        if phone:
            s = s[:phone[1][0]] + " " + s[phone[1][1]:]
        if _UNKNOWN.search(s):
            return Read(value="unknown")
        value = amount_wan(s)
        if value is not None:
            return Read(value=value)
        if is_affirm(text):
            return Read(problem="form_not_an_answer", values={"text": tidy_text(text)})
        return Read(problem="amount_unclear")

    def _read_need(self, text: str) -> Read:
        s = approx_ranges(written(text))
        e = self.entities(s)
        detail = {k: e[k] for k in ("type", "deal", "area_sqm", "area_min", "area_max") if e.get(k)}
        if "type" not in detail and re.search(r"(?:亩|平|平米|平方|㎡|m2)的?地(?![区址方点铁段产带处])|^地$|块地|买地|拿地", s):
            detail["type"] = "land"
        core = tidy_text(text)
        if "type" not in detail:
            if is_affirm(text):
                return Read(problem="form_not_an_answer", values={"text": core}, detail=detail)
            return Read(problem="need_no_type", detail=detail)
        return Read(value=core, detail=detail)

    def area(self, text: str) -> dict[str, Any]:
        """The size in an answer to 「大概需要多大面积?」: ㎡, a range, or nothing."""
        e = self.entities(approx_ranges(written(text)))
        return {k: e[k] for k in ("area_sqm", "area_min", "area_max") if e.get(k)}


def amount_wan(s: str) -> float | list[float] | None:
    """An amount of money in 万元: a number, a [low, high] range, or None."""
    s = approx_ranges(s)
    m = _AMOUNT_RANGE.search(s)
    if m and (m.group("ub") or re.search(r"[万亿]", m.group("b"))):
        high = _yuan(m.group("b"), m.group("ub"))
        low = _yuan(m.group("a"), m.group("ua"))
        if low is not None and high is not None:
            if not m.group("ua") and not re.search(r"[万亿]", m.group("a")):
                # 200到300万, 一千到两千万: the magnitude said once applies to both ends
                low *= _MONEY_UNIT[m.group("ub")] if m.group("ub") else (1e8 if m.group("b").endswith("亿") else 1e4)
            if low < high:
                return [_wan(low), _wan(high)]
    for m in _AMOUNT.finditer(s):
        token, unit = m.group("n"), m.group("u")
        if not unit and not re.search(r"[万亿]", token):
            continue
        yuan = _yuan(token, unit)
        if yuan:
            return _wan(yuan)
    bare = _BARE_AMOUNT_WORDS.sub("", s)
    bare = re.sub(rf"[{re.escape(_PUNCT)}]+", "", bare)
    if bare and re.fullmatch(NUMBER, bare):
        value = parse_number(bare)
        if value:
            return _wan(value * 1e4)  # 「300」 to the tax question means 300万
    return None


def _yuan(token: str, unit: str | None) -> float | None:
    value = parse_number(token)
    if value is None:
        return None
    return value * (_MONEY_UNIT.get(unit, 1) if unit else 1)


def _wan(yuan: float) -> float:
    wan = round(yuan / 1e4, 2)
    return int(wan) if wan == int(wan) else wan


def readers_for(nlu: Any) -> FieldReaders:
    """The readers of ``nlu``'s knowledge version, built when it loaded (or once, for another reader of text)."""
    built = getattr(nlu, "field_readers", None)
    return built if built is not None else _built_for(nlu)


@lru_cache(maxsize=4)
def _built_for(nlu: Any) -> FieldReaders:
    return FieldReaders(nlu.vocab, nlu.entities)
