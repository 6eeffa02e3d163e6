"""Form values as people read them: the summary's lines and the lead record staff receive."""
from __future__ import annotations

from typing import Any

from ..form_spec import FormSpec
from .turn import Turn


def display(t: Turn, name: str, value: Any) -> str:
    m = t.kb.messages
    if value is None:
        return m.render("field_skipped")
    f = t.spec.by_name.get(name)
    if f is not None and f.reader == "amount":
        if value == "unknown":
            return m.render("tax_unknown")
        if isinstance(value, (list, tuple)):
            if float(value[0]) >= 10000:
                return m.render("tax_range_yi", low=_wan(float(value[0]) / 10000), high=_wan(float(value[1]) / 10000))
            return m.render("tax_range", low=_wan(value[0]), high=_wan(value[1]))
        wan = float(value)
        if wan >= 10000:
            return m.render("tax_amount_yi", yi=f"{wan / 10000:g}")
        return m.render("tax_amount", wan=_wan(wan))
    return str(value)


def _wan(value: Any) -> str:
    return f"{float(value):g}"


def lead_fields(t: Turn, slots: dict[str, Any], spec: FormSpec) -> dict[str, Any]:
    """The lead record's fields: each form field as staff read it, and the need's parts."""
    fields: dict[str, Any] = {}
    for f in spec.fields:
        value = slots.get(f.name)
        if value is not None:
            fields[f.name] = display(t, f.name, value) if f.reader == "amount" else value
        detail = slots.get(f"{f.name}_detail") or {}
        for part in f.lead_parts:
            if part == "area_sqm":
                fields[part] = detail.get("area_sqm") or detail.get("area_min") or detail.get("area_max")
            else:
                fields[part] = detail.get(part)
    return {k: v for k, v in fields.items() if v is not None}
