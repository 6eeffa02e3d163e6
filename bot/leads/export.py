"""Leads as CSV for staff who open it in Excel.

UTF-8 with a byte-order mark, or Excel guesses a legacy code page and mangles Chinese.
A cell that starts with ``= + - @`` (or a tab or carriage return, which Excel skips before
looking) would run as a formula: it gets a leading apostrophe, which Excel shows as text.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Iterable

from bot.knowledge.messages import Messages
from bot.sentences import LABEL_KEYS
from bot.store.leads import SLOTS, STATUSES

from .render import format_time, label, listings_text, one_line, source_label, value_text, who_label

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


class ExportError(Exception):
    """The CSV could not be written (path, permissions, disk); nothing was half-written in its place."""


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    stripped = text.lstrip(" ")
    if stripped.startswith(_FORMULA_START) or text.startswith(_FORMULA_START):
        return "'" + text
    return text


def header(messages: Messages) -> list[str]:
    return [messages.render("leads_label_number"), messages.render("leads_label_time"),
            messages.render("leads_label_status"), messages.render("leads_label_source"),
            messages.render("leads_label_channel"), messages.render("leads_label_first_source"),
            *(label(messages, s) for s in SLOTS),
            messages.render("leads_label_listings"), messages.render("leads_label_transcript")]


def row(lead: dict, messages: Messages) -> list[str]:
    status = lead.get("status", "")
    status_key = f"leads_status_{status}"
    transcript = "\n".join(
        f"{format_time(t.get('t'), '%m-%d %H:%M')} {who_label(messages, t.get('who', ''))}: {one_line(t.get('text'))}"
        for t in lead.get("transcript") or [])
    fields = lead.get("fields") or {}
    cells = [lead.get("number", ""), format_time(lead.get("created")),
             messages.render(status_key) if status_key in messages else status,
             source_label(messages, lead.get("source", "")), source_label(messages, lead.get("channel", "")),
             lead.get("first_source", ""),
             *(value_text(messages, s, fields.get(s)) for s in SLOTS),
             listings_text(fields, lead.get("listings") or []), transcript]
    return [neutralise(c) for c in cells]


def write_csv(leads: Iterable[dict], out: IO[str], messages: Messages) -> int:
    """Write to an open text stream; returns the number of leads."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header(messages)])
    count = 0
    for lead in leads:
        writer.writerow(row(lead, messages))
        count += 1
    return count


def export_csv(leads: Iterable[dict], path: str | Path, messages: Messages) -> int:
    """Write ``path`` (UTF-8 with BOM); the file appears whole or not at all."""
    path = Path(path)
    buffer = io.StringIO()
    count = write_csv(leads, buffer, messages)
    if path.is_dir():
        raise ExportError(f"cannot write CSV to {str(path)!r}: it is a directory")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            fh.write(buffer.getvalue())
        tmp.replace(path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise ExportError(f"cannot write CSV to {str(path)!r}: {exc.strerror or exc}") from None
    return count
