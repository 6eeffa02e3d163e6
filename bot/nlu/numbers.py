"""Numbers as people type them: 500, 1,000, 1.5万, 五百, 两千五, 一点二亿, 1万5."""
from __future__ import annotations

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
