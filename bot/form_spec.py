"""The inquiry form as data: its fields, in order, and everything said about each.

One ``FormSpec`` is the only place the form's fields are named. The lead record's fields,
the fields 删除我的信息 erases, the labels staff read (WeCom, e-mail, CSV, admin page), the
「2/6」 numbering and the message keys ``kb check`` requires are all derived from it, so a new
field is a new ``Field`` here plus its sentences in ``knowledge/messages.yaml``.

A field's ``reader`` names how its value is read and checked (``bot/nlu/fields.py``):
``need`` (kind of space, size and what else was said), ``text`` (free text, 2–40 characters),
``amount`` (money in 万元: amounts, ranges, or "unknown"), ``company``, ``contact``, ``phone``.

This module imports nothing of the bot: the store, the staff notifications and the dialogue
all read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str  # lower-case ascii: the lead record's field and the message keys' suffix
    reader: str
    required: bool = False
    personal: bool = False  # erased by 删除我的信息
    # parts of the value kept as fields of their own on the lead (need: type, deal, area)
    lead_parts: tuple[str, ...] = ()
    # values of this field that are unambiguous in any message (a valid mobile, a company with its
    # legal suffix, an explicitly introduced name) fill it, when empty, whatever field was asked
    anywhere: bool = False

    @property
    def ask_key(self) -> str:
        return f"ask_{self.name}"

    @property
    def invalid_key(self) -> str:
        return f"invalid_{self.name}"

    @property
    def retry_key(self) -> str:
        return f"retry_{self.name}"

    @property
    def label_key(self) -> str:
        return f"field_{self.name}"

    @property
    def message_keys(self) -> tuple[str, ...]:
        return self.ask_key, self.invalid_key, self.retry_key, self.label_key


READERS = ("need", "text", "amount", "company", "contact", "phone")


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[Field, ...]
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"form fields named twice: {names}")
        for f in self.fields:
            if f.reader not in READERS:
                raise ValueError(f"field {f.name!r}: unknown reader {f.reader!r} (one of {', '.join(READERS)})")
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def lead_fields(self) -> tuple[str, ...]:
        """The lead record's field names, in the order staff read them."""
        return tuple(name for f in self.fields for name in (f.name, *f.lead_parts))

    @property
    def personal(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.personal)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def step(self, name: str) -> tuple[int, int]:
        """(position, count) for the 「2/6」 in front of a question."""
        return self.order.index(name) + 1, len(self.fields)

    def message_keys(self) -> tuple[str, ...]:
        return tuple(key for f in self.fields for key in f.message_keys)


# The order the seed article's closing line gives: 需求、用途、税收、公司、联系人、手机号.
FORM = FormSpec((
    Field("need", "need", required=True, lead_parts=("type", "deal", "area_sqm")),
    Field("industry", "text"),
    Field("tax", "amount", anywhere=True),  # when cued: 「年纳税500万」
    Field("company", "company", personal=True, anywhere=True),
    Field("contact", "contact", required=True, personal=True, anywhere=True),
    Field("phone", "phone", required=True, personal=True, anywhere=True),
))
