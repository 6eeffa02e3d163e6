"""The sentences the inquiry form says, declared for ``kb check``: the form's own, and each field's
from the form's specification."""
from __future__ import annotations

from ..form_spec import FORM, FormSpec
from ..knowledge.messages import declare

# sentences of the form itself; each field's own come from the specification
FORM_MESSAGES = (
    "form_start", "form_resume", "privacy_notice", "form_question", "ask_need_size", "confirm_header",
    "confirm_line", "confirm_footer", "confirm_missing", "confirm_hint", "field_skipped", "field_missing",
    "tax_amount", "tax_amount_yi", "tax_range", "tax_range_yi", "tax_unknown", "submitted", "callback_today",
    "callback_later", "weekdays", "form_cancelled", "form_dropped", "form_restarted", "need_area",
    "need_area_range", "need_area_min", "need_area_max", "need_area_unknown", "need_area_changed",
    "modify_which", "back_to_form", "form_thanks", "identity", "form_resume_offer", "form_noted", "form_changed", "form_already_filled",
    "form_skipped_required", "form_way_out", "form_way_out_skip", "form_not_an_answer", "form_too_short",
    "form_too_long", "form_no_words", "form_empty_answer", "need_no_type", "contact_unclear", "amount_unclear",
    "phone_wrong", "phone_missing", "type_factory", "type_land", "type_office", "type_apartment",
    "type_warehouse", "type_lab", "deal_rent", "deal_sale",
)

CONFIRM_BUTTONS = ("button_confirm", "button_modify", "button_cancel")  # for channels that draw buttons
declare(*CONFIRM_BUTTONS, owner="web chat buttons")


def required_message_keys(spec: FormSpec = FORM) -> tuple[str, ...]:
    """Every message key a form built from ``spec`` says (what ``kb check`` requires)."""
    return (*FORM_MESSAGES, *spec.message_keys())


declare(*required_message_keys(), owner="form")
declare(*(f"explain_{name}" for name in FORM.order), "explain_confirm", owner="form")  # 「什么意思?」
