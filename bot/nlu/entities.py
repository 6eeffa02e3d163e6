"""Typed slots from free text: a pure function of the text and the vocabulary.

Slots (only those the text states): type, deal, area_sqm, area_min, area_max, budget_wan,
district, tax_wan, phone, company, contact, industry; and refine (bigger, smaller, cheaper:
「有没有更大的」 said of the listings shown).

Numbers are claimed in a fixed order -- phone numbers, then areas (a number needs an area unit
to be an area), then money -- and each claimed span is blanked out, so an 11-digit phone
number or a 300万 tax figure can never be read as a floor area.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .normalize import Normalizer, alternation, starts_with, surface, written
from .numbers import NUMBER, NUMBER_CN, parse_number, tidy
from .vocab import Vocab

_CLAUSE = re.compile(r"[,，。;；!！?？\n、]")
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffa-z0-9()·&]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# mainland mobile: 1[3-9] + 9 digits; separators (space, dash) and a +86/86 prefix tolerated
_PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]{0,2})?(1[3-9](?:[\s-]{0,2}\d){9})(?!\d)")
# what a number (numbers.NUMBER) begins with: a digit, or a character of a Chinese numeral (the
# decimal point 点 included); tests/test_entities.py holds NUMBER to it
NUMBER_STARTS = r"\d" + NUMBER_CN + "点"
MAX_CHARS = 2000  # WeChat caps a text message at 2048 bytes; anything longer is not a real message


def _first(pattern: re.Pattern, text: str, table: dict[str, Any], skip: range | None = None):
    """Value of the earliest vocabulary word; a word mapped to False (胶州湾) only hides what is inside it."""
    for m in pattern.finditer(text):
        if skip is not None and m.start() in skip:
            continue
        value = table.get(m.group(0))
        if value:
            return value
    return None


class EntityExtractor:
    def __init__(self, vocab: Vocab, normalizer: Normalizer, names: Iterable[str] = ()):
        self.vocab = v = vocab
        prep = surface
        self._fold_typos = normalizer.fold_typos

        self._type_of: dict[str, str | bool] = {prep(w): t for t, words in v.types.items() for w in words}
        # a park's name hides the property words inside it: 中科研发城 is not a request for a lab
        for name in names:
            key = prep(name)
            if key and key not in self._type_of and any(w in key for w in list(self._type_of)):
                self._type_of[key] = False
        self._types = re.compile(alternation(self._type_of))
        self._deal_of: dict[str, str | bool] = {prep(w): d for d, words in v.deals.items() for w in words}
        self._deal_of.update((prep(w), False) for w in v.not_deals)
        self._deals = re.compile(alternation(self._deal_of))
        self._district_of: dict[str, str | bool] = {}
        for canon, shorts in v.districts.items():
            for w in (canon, *shorts):
                self._district_of[prep(w)] = canon
        for w in v.not_districts:
            self._district_of[prep(w)] = False  # matched, so it hides the district inside it
        self._districts = re.compile(alternation(self._district_of))
        self._refine_of: dict[str, str] = {prep(w): how for how, words in v.refine.items() for w in words}
        self._refine = re.compile(alternation(self._refine_of)) if self._refine_of else None

        units = {prep(u): f for u, f in v.area_units.items()}
        self._unit_factor = units
        self._land_units = frozenset(prep(u) for u in v.land_units)
        unit = f"(?:{alternation(units)})"
        more = f"(?:{alternation(v.vague_more)})?" if v.vague_more else ""
        join = alternation(v.range_joiners)
        lo_before, hi_before = alternation(v.lower_bounds.before), alternation(v.upper_bounds.before)
        lo_after, hi_after = alternation(v.lower_bounds.after), alternation(v.upper_bounds.after)
        bound_before = f"(?:(?P<lo>{lo_before})|(?P<hi>{hi_before}))?" if lo_before or hi_before else ""
        bound_after = f"(?:(?P<lo2>{lo_after})|(?P<hi2>{hi_after}))?" if lo_after or hi_after else ""
        # (?<!第) and the look-ahead keep 第三方 / 三方面 from reading as 3 ㎡
        not_word = "(?![面便式案法向位])"
        # each starts with a look-ahead for the characters its match can begin with (see starts_with)
        area_starts = "".join(sorted({re.escape(w[0]) for w in (*v.lower_bounds.before, *v.upper_bounds.before) if w}))
        self._range = re.compile(
            rf"(?=[{NUMBER_STARTS}])(?<!第)(?P<a>{NUMBER})\s*{more}\s*(?P<ua>{unit})?\s*(?:{join})\s*"
            rf"(?P<b>{NUMBER})\s*{more}\s*(?P<ub>{unit}){not_word}")
        self._area = re.compile(
            rf"(?=[\s{NUMBER_STARTS}{area_starts}])"
            rf"{bound_before}\s*(?<!第)(?P<n>{NUMBER})\s*{more}\s*(?P<u>{unit}){not_word}\s*{bound_after}")

        self._money_factor = {prep(k): f for k, f in v.money_units.items()}
        money_unit = alternation(self._money_factor)
        # 一个亿 / 两个亿: the measure word sits between numeral and unit
        self._money = re.compile(
            rf"(?=[{NUMBER_STARTS}])(?P<n>{NUMBER})\s*个?\s*{more}\s*(?P<u>{money_unit})?(?P<per>\s*(?:/|每))?")
        self._tax_cues = re.compile(alternation(map(prep, v.tax_cues)))
        self._budget_cues = re.compile(alternation(map(prep, v.budget_cues)))
        self._unknown = re.compile(alternation(map(prep, v.unknown)))
        self._unknown_words = {prep(w) for w in v.unknown}
        # what may surround an amount in a message that is only that amount (大概三百万左右)
        self._bare_words = (*v.approx, "每年", "一年", "年", "大约", "吧", "的")

        self._suffix = re.compile(alternation(map(prep, v.company_suffixes)))
        self._company_cues = sorted({prep(w) for w in v.company_cues}, key=len, reverse=True)
        self._not_names = sorted({prep(w) for w in v.company_not_names}, key=len, reverse=True)
        all_surnames = [*v.compound_surnames, *v.surnames.replace(" ", "")]
        surnames = alternation(all_surnames)
        plain = alternation(s for s in all_surnames if s not in set(v.ambiguous_surnames))
        self._contact_before = frozenset(v.contact_before)
        titles = alternation(v.contact_titles)
        # a single-character title (总, 董) followed by these is a word, not a title: 总价, 董事
        self._titled = re.compile(
            rf"{starts_with(all_surnames)}(?<![\d{NUMBER_CN}])(?P<name>(?:{surnames})(?:{titles}))(?![价投额面共计部体量结统裁事])")
        self._surname = re.compile(f"(?:{plain})")
        self._contact_cue = re.compile(rf"(?:{alternation(v.contact_cues)})[:\s]*")
        # 我姓王: the surname alone is the contact (with its title when one follows: 我姓王,王经理 reads 王经理 above)
        self._surname_cue = (re.compile(rf"(?:{alternation(map(prep, v.surname_cues))})\s*(?P<name>{surnames})"
                                        rf"(?![{_CJK.pattern[1:-1]}])") if v.surname_cues else None)
        self._name_stops = tuple(w for w in map(prep, v.name_stops) if w)
        self._industry_cue = re.compile(alternation(map(prep, v.industry_cues)))
        self._industry_stops = tuple(w for w in map(prep, v.industry_stops) if w)
        self._industry_trim = tuple(sorted((prep(w) for w in v.industry_trim), key=len, reverse=True))
        self._question_words = tuple(prep(w) for w in v.question_words)

    # ------------------------------------------------------------------ entry point
    def extract(self, text: str) -> dict[str, Any]:
        cased = written((text or "")[:MAX_CHARS])
        words = self._fold_typos(cased.lower())
        out: dict[str, Any] = {}
        s = self._phone(words, out)
        s, unit = self._areas(s, out)
        s = self._moneys(s, out)
        # names are reported as written (ABC科技, not abc科技) when the folding kept the length
        as_written = cased if len(cased) == len(s) else s
        company_span = self._company(s, out, as_written)
        self._contact(s, out, company_span, as_written)
        industry_span = self._industry(s, out)
        # vocabulary words are looked up before numbers were blanked: 20亩地 still says 亩地;
        # a word inside the usage phrase (医疗器械研发) is not the kind of property wanted
        for key, pattern, table, skip in (
            ("type", self._types, self._type_of, industry_span),
            ("deal", self._deals, self._deal_of, None),
            ("district", self._districts, self._district_of, None),
        ):
            value = _first(pattern, words, table, skip)
            if value:
                out[key] = value
        if "type" not in out and unit in self._land_units:
            out["type"] = "land"  # 30亩的地: only land is measured in 亩
        refine = self._refine.search(words) if self._refine else None
        if refine:
            out["refine"] = self._refine_of[refine.group(0)]
        return out

    # ------------------------------------------------------------------ numbers
    def _phone(self, s: str, out: dict) -> str:
        m = _PHONE.search(s)
        if not m:
            return s
        out["phone"] = re.sub(r"\D", "", m.group(1))
        return _blank(s, m.start(), m.end())

    def _sqm(self, number: str, unit: str) -> float | None:
        value = parse_number(number)
        if value is None or value <= 0:
            return None
        return value * self._unit_factor[unit]

    def _areas(self, s: str, out: dict) -> tuple[str, str | None]:
        """Claim the first area (a range, a bound or one value); return the text and its unit."""
        m = self._range.search(s)
        if m:
            ub = m.group("ub")
            ua = m.group("ua") or ub
            low, high = self._sqm(m.group("a"), ua), self._sqm(m.group("b"), ub)
            if low is not None and high is not None:
                # 1-2万平: the magnitude written once applies to both ends
                for unit, factor in (("亿", 1e8), ("万", 1e4), ("千", 1e3), ("百", 1e2)):
                    if m.group("b").endswith(unit) and not m.group("a").endswith(unit) and low * factor <= high:
                        low *= factor
                        break
                low, high = sorted((low, high))
                # a range states its ends only; the search takes the middle when it needs one
                out.update(area_min=_sqm_int(low), area_max=_sqm_int(high))
                return _blank(s, m.start(), m.end()), ub
        for m in self._area.finditer(s):
            value = self._sqm(m.group("n"), m.group("u"))
            if value is None:
                continue
            if m.group("lo") or m.group("lo2"):
                out["area_min"] = _sqm_int(value)
            elif m.group("hi") or m.group("hi2"):
                out["area_max"] = _sqm_int(value)
            else:
                out["area_sqm"] = _sqm_int(value)
            return _blank(s, m.start(), m.end()), m.group("u")
        return s, None

    def _moneys(self, s: str, out: dict) -> str:
        for m in self._money.finditer(s):
            number, unit = m.group("n"), m.group("u")
            value = parse_number(number)
            if value is None or m.group("per"):  # 1.8元/㎡/天 is a unit price, not a total
                continue
            has_magnitude = any(c in number for c in "万亿")
            if not unit and not has_magnitude:
                continue
            yuan = value * (self._money_factor.get(unit, 1) if unit else 1)
            wan = tidy(yuan / 1e4)
            slot = self._money_slot(s, m.start(), m.end())
            if slot is None and not self._looks_like_bare_answer(s, m):
                continue
            slot = slot or "tax_wan"
            out.setdefault(slot, wan)
            s = _blank(s, m.start(), m.end())
        if "tax_wan" not in out:
            for clause in _CLAUSE.split(s):
                if self._tax_cues.search(clause) and self._unknown.search(clause):
                    out["tax_wan"] = "unknown"
                    break
            else:
                # the whole message is 不确定 / 还不知道: the form's answer to the tax question
                if re.sub(r"[\W_]+", "", s) in self._unknown_words:
                    out["tax_wan"] = "unknown"
        return s

    def _money_slot(self, s: str, start: int, end: int) -> str | None:
        """tax_wan or budget_wan from the nearest cue in the same clause, else None."""
        left = max((m.end() for m in _CLAUSE.finditer(s, 0, start)), default=0)
        right_m = _CLAUSE.search(s, end)
        right = right_m.start() if right_m else len(s)
        best: tuple[int, str] | None = None
        for pattern, slot in ((self._tax_cues, "tax_wan"), (self._budget_cues, "budget_wan")):
            for cue in pattern.finditer(s, left, right):
                if cue.end() <= start:
                    distance = start - cue.end()
                elif cue.start() >= end:
                    distance = cue.start() - end + 1  # a cue before the number reads more naturally
                else:
                    continue
                if best is None or distance < best[0]:
                    best = (distance, slot)
        return best[1] if best else None

    def _looks_like_bare_answer(self, s: str, m: re.Match) -> bool:
        """A message that is only an amount ("300万", "大概三百万左右") answers the tax question."""
        rest = _blank(s, m.start(), m.end())
        rest = re.sub(r"[\W_]+", "", rest)
        for word in self._bare_words:
            rest = rest.replace(word, "")
        return not rest

    # ------------------------------------------------------------------ people and firms
    def _company(self, s: str, out: dict, written: str) -> range | None:
        taken = -1
        for m in self._suffix.finditer(s):
            if m.start() < taken:
                continue
            end = m.end()
            while True:  # 生命科技 + 有限公司: suffixes in a row belong to one name
                nxt = self._suffix.match(s, end)
                if not nxt:
                    break
                end = nxt.end()
            taken = end
            start = m.start()
            while start > 0 and _NAME_CHAR.match(s[start - 1]) and m.start() - start < 30:
                if any(s.endswith(cue, 0, start) for cue in self._company_cues):
                    break
                start -= 1
            name = s[start:m.start()]
            changed = True
            while changed and name:
                changed = False
                for word in self._not_names:
                    if name.startswith(word):
                        name, changed = name[len(word):], True
                        break
            if len(name) < 2 or name in self._not_names or any(q in name for q in self._question_words):
                continue
            start = m.start() - len(name)
            out["company"] = written[start:end]
            return range(start, end)
        return None

    def _contact(self, s: str, out: dict, company: range | None, written: str) -> None:
        for m in self._titled.finditer(s):
            if company is not None and m.start() in company:
                continue
            before = s[m.start() - 1] if m.start() else ""
            if before and _CJK.match(before) and before not in self._contact_before:
                continue
            out["contact"] = written[m.start("name"):m.end("name")]
            return
        for cue in self._contact_cue.finditer(s):
            at = cue.end()
            if company is not None and at in company:
                continue
            sm = self._surname.match(s, at)
            if not sm:
                continue
            end = sm.end()
            while end < len(s) and end - sm.end() < 2 and _CJK.match(s[end]):
                if any(s.startswith(stop, end) for stop in self._name_stops):
                    break
                end += 1
            if end - at >= 2:
                out["contact"] = written[at:end]
                return
        by_surname = self._surname_cue.search(s) if self._surname_cue else None
        if by_surname and (company is None or by_surname.start() not in company):
            out["contact"] = written[by_surname.start("name"):by_surname.end("name")]

    def _industry(self, s: str, out: dict) -> range | None:
        for cue in self._industry_cue.finditer(s):
            start = cue.end()
            while start < len(s) and s[start] in ": ":  # 行业:人工智能
                start += 1
            end = start
            while end < len(s) and end - start < 20 and (_CJK.match(s[end]) or s[end].isalnum()):
                if end > start and any(s.startswith(stop, end) for stop in self._industry_stops):
                    break
                end += 1
            phrase = s[start:end]
            for word in self._industry_trim:
                if phrase.endswith(word) and len(phrase) > len(word):
                    phrase = phrase[: -len(word)]
            if len(phrase) < 2 or any(q in phrase for q in self._question_words):
                continue
            if phrase in self._type_of or phrase.isdigit():
                continue
            out["industry"] = phrase
            return range(start, start + len(phrase))
        return None



def _blank(s: str, start: int, end: int) -> str:
    # blank with a clause mark: what was on either side of a claimed number is not one phrase
    return s[:start] + "," * (end - start) + s[end:]


def _sqm_int(value: float) -> int:
    return int(round(value))
