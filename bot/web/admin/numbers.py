"""The numbers on the admin page: leads per day and per source as inline SVG bar charts, the
conversation funnel, and the form's funnel question by question (where prospects give up).

Charts are drawn on the server as SVG elements inside the page: no script, nothing fetched
from elsewhere (the page's CSP allows neither). Labels are text nodes, escaped like any text.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from ...dialogue.progress import CONFIRM
from ...form_spec import FORM
from ...store.lead_search import per_day, per_source
from ...store.leads import SHANGHAI
from .common import field_label, funnel, leads, m

FUNNEL_DAYS = 7
CHART_DAYS = 30
FORM_DAYS = 30
BAR_WIDTH, CHART_HEIGHT = 18, 120


def day_chart(counts) -> dict:
    """Bars for leads per day, oldest first; heights scaled to the busiest day."""
    top = max((n for _, n in counts), default=0)
    bars = []
    for i, (day, n) in enumerate(counts):
        height = round(CHART_HEIGHT * n / top) if top else 0
        bars.append({"x": i * (BAR_WIDTH + 4), "y": CHART_HEIGHT - height, "height": height, "count": n,
                     "label": f"{day.month}/{day.day}", "show_label": i % 5 == 0 or i == len(counts) - 1,
                     "title": m("admin_chart_day_title", day=f"{day.month}月{day.day}日", count=n)})
    return {"bars": bars, "width": len(counts) * (BAR_WIDTH + 4), "height": CHART_HEIGHT, "top": top,
            "total": sum(n for _, n in counts)}


def source_chart(counts) -> dict:
    """Horizontal bars, one per source, longest first."""
    top = max((n for _, n in counts), default=0)
    rows = []
    for i, (name, n) in enumerate(counts[:12]):
        rows.append({"y": i * 26, "width": round(300 * n / top) if top else 0, "count": n,
                     "label": name or m("admin_source_unknown"),
                     "title": m("admin_chart_source_title", source=name or m("admin_source_unknown"), count=n)})
    return {"rows": rows, "height": max(len(rows), 1) * 26}


def form_funnel() -> list[dict]:
    fields = (*FORM.order, CONFIRM)
    rows = funnel().fields(fields, FORM_DAYS)
    for row in rows:
        row["label"] = m("admin_form_confirm") if row["field"] == CONFIRM else field_label(row["field"])
    return rows


def dashboard() -> dict:
    today = datetime.fromtimestamp(time.time(), SHANGHAI).date()
    return {
        "per_day": day_chart(per_day(leads(), today, CHART_DAYS)),
        "per_source": source_chart(per_source(leads(), today - timedelta(days=CHART_DAYS - 1))),
        "funnel": funnel().counts(FUNNEL_DAYS), "funnel_days": FUNNEL_DAYS,
        "form": form_funnel(), "form_days": FORM_DAYS, "chart_days": CHART_DAYS,
    }
