"""Numbers as people type them: 500, 1,000, 1.5万, 五百, 两千五, 一点二亿, 1万5."""
from __future__ import annotations

import re
from functools import lru_cache

import cn2an

_CN_DIGIT = "零〇一二两三四五六七八九十"
NUMBER_CN = _CN_DIGIT + "百千万亿"  # every character of a Chinese numeral but the decimal point
_CN_ALL = NUMBER_CN + "点"

# One number token. A Chinese numeral must contain a digit character, so 千万 (as in "千万别")
# or a lone 点 are not numbers. Arabic digits may carry Chinese magnitudes: 1.5万, 1万5.
# Atomic groups and "not inside another number" look-behinds: a number is read whole, once,
# from its first character, so a run of 2000 digits costs linear time, not cubic backtracking.
NUMBER = (
    r"(?:(?<![\d.,])(?>\d+(?:,\d{3})*(?:\.\d+)?(?:[百千万亿]+(?:\d+)?)?)"
    rf"|(?<![{_CN_ALL}])(?>[{_CN_ALL}]*[{_CN_DIGIT}][{_CN_ALL}]*))"
)


@lru_cache(maxsize=4096)
def parse_number(text: str) -> float | None:
    """Value of one number token, or None when it is not a well-formed number."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        # cn2an's "smart" mode reads Chinese numerals and Arabic digits mixed with 万/亿
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    # cn2an rejects a decimal Chinese numeral followed by a magnitude (一点二亿); split it off
    for unit, factor in (("亿", 1e8), ("万", 1e4)):
        if text.endswith(unit) and len(text) > 1:
            head = parse_number(text[: -len(unit)])
            return None if head is None else head * factor
    return None


def tidy(value: float) -> int | float:
    """Whole numbers as int (500 not 500.0); others rounded to two decimals."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


_ORDINAL_CN = {c: i for i, c in enumerate("一二三四五六七八九十", 1)}
_PICK_VERB = r"(?:我)?(?:就|选|要|看|看看|看下|看一下|打开|点|想看|想了解|了解一下|了解)?"
_PICK_TAIL = r"(?:吧|呢|啊|呀)?(?:怎么样|咋样|如何|不错|可以|详情|具体说说|介绍一下|说说)?(?:吧|呢|啊|呀)?"
_PICK_WORDS = (  # 第一个 / 看看第2套 / 第三个怎么样 / 我要1号 / 选3 / 一号 / 一
    re.compile(rf"{_PICK_VERB}第(?P<n>\d{{1,2}}|十[一二三四五六七八九]|[一二三四五六七八九十])"
               rf"(?:个|套|家|条|项|号|间|处)?(?:房源|厂房|写字楼|办公室|地块|仓库)?{_PICK_TAIL}"),
    re.compile(rf"{_PICK_VERB}(?P<n>\d{{1,2}}|[一二三四五六七八九])号?{_PICK_TAIL}"),
)


@lru_cache(maxsize=4096)
def picked_number(cleaned: str) -> int | None:
    """Which item of a numbered list a whole message picks: 2, 第二个, 看看第2套, 我要1号, 一号.

    ``cleaned`` is the message without spaces and punctuation. Only a message that is nothing but
    the pick counts: 「第一次来青岛」 and 「要5个车位」 pick nothing.
    """
    for pattern in _PICK_WORDS:
        m = pattern.fullmatch(cleaned)
        if m:
            n = m.group("n")
            if n.isdigit():
                return int(n)
            return 10 + _ORDINAL_CN[n[1]] if len(n) == 2 else _ORDINAL_CN[n]
    return None
