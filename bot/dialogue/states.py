"""Every conversation state, in one place (cf. aiogram's StatesGroup).

The form's states are named after the slot they are asking for; ``FORM_ORDER`` is the order
the seed article's closing line gives: 需求、用途、税收、公司、联系人、手机号.
"""
from __future__ import annotations

from enum import Enum


class State(str, Enum):
    IDLE = "idle"  # answering questions; a digit picks from the last numbered list
    SEARCH = "search"  # asked what property the user is looking for
    RESUME = "resume"  # asked whether to continue an unfinished inquiry
    FORM_NEED = "form:need"
    FORM_INDUSTRY = "form:industry"
    FORM_TAX = "form:tax"
    FORM_COMPANY = "form:company"
    FORM_CONTACT = "form:contact"
    FORM_PHONE = "form:phone"
    FORM_CONFIRM = "form:confirm"

    @property
    def slot(self) -> str | None:
        return self.value.split(":", 1)[1] if self.value.startswith("form:") and self is not State.FORM_CONFIRM else None

    @property
    def in_form(self) -> bool:
        return self.value.startswith("form:")


FORM_ORDER = ("need", "industry", "tax", "company", "contact", "phone")
OPTIONAL_SLOTS = frozenset({"industry", "tax", "company"})
SLOT_STATE = {slot: State(f"form:{slot}") for slot in FORM_ORDER}
