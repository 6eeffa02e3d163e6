"""What a command says about the form: which field an edit names (「手机号错了」 → phone), the new value
given with it (「公司改成蓝海科技」 → 蓝海科技), and the check that no two intents, nor an intent and an
FAQ question, share a wording.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from .command_text import TRAILING, clean


class FieldWords:
    """The ``fields`` of intents.yaml: the words that name each form field in an edit."""

    def __init__(self, fields: Mapping[str, Iterable[str]], edit_phrases: Iterable[str]):
        self._fields = {slot: [clean(w) for w in words] for slot, words in fields.items()}
        # 修改, 改成, 写错了...: what stands between the field and the new value
        self._edit = sorted((p for p in edit_phrases if p), key=len, reverse=True)

    def field_word(self, cleaned: str) -> tuple[str, int, int] | None:
        """The longest field word in ``cleaned``: (field, where, length)."""
        best = None
        for slot, words in self._fields.items():
            for word in words:
                at = cleaned.find(word)
                if at >= 0 and (best is None or len(word) > best[2]):
                    best = (slot, at, len(word))
        return best

    def named(self, text: str) -> str | None:
        """Which form field ``修改手机号`` / ``手机号错了`` / ``改一下公司`` names, if any."""
        found = self.field_word(clean(text))
        return found[0] if found else None

    def after(self, text: str) -> str:
        """What follows the field word in 「公司改成蓝海科技」「手机号错了,是139…」: the new value, if one was given."""
        cleaned = clean(text)
        found = self.field_word(cleaned)
        rest = cleaned[found[1] + found[2]:] if found else cleaned
        for phrase in self._edit:
            rest = rest.replace(phrase, "")
        return TRAILING.sub("", rest.lstrip("是为成应该"))


def collisions(exact: Mapping[str, set[str]], rows: Iterable[Mapping[str, float]],
               faq_questions: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Paraphrases that read as another intent too, or are an FAQ question: (intent, text, other).

    Two intents plausible in the same context (``rows``) must not share a wording; an intent's
    paraphrase that is also an FAQ question makes that question a command.
    """
    rows = list(rows)
    out = []
    for name, words in exact.items():
        for word in sorted(words):
            for other, other_words in exact.items():
                if other <= name or word not in other_words:
                    continue
                if any(r.get(name, 0) > 0 and r.get(other, 0) > 0 for r in rows):
                    out.append((name, word, other))
    questions = {clean(q): faq_id for faq_id, q in faq_questions}
    for name, words in exact.items():
        for word in sorted(words):
            if word in questions:
                out.append((name, word, f"faq:{questions[word]}"))
    return out
