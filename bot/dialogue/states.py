"""Every conversation state, in one place (cf. aiogram's StatesGroup).

The form has two states: ``FORM_ASKING`` asks for one field, the *requested field*, kept in the
stored form (``Turn.asking`` reads it); ``FORM_CONFIRM`` shows the summary. The fields and their
order are data (``bot/form_spec.py``), so a new field needs no new state.
"""
from __future__ import annotations

from enum import Enum


class State(str, Enum):
    IDLE = "idle"  # answering questions; a digit picks from the last numbered list
    SEARCH = "search"  # asked what property the user is looking for
    RESUME = "resume"  # asked whether to continue an unfinished inquiry
    FORM_ASKING = "form:asking"  # asking for the form's requested field
    FORM_CONFIRM = "form:confirm"

    @property
    def in_form(self) -> bool:
        """In the form: asking for a field or confirming."""
        return self.value.startswith("form:")
