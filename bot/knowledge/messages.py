"""Every sentence the bot says lives in ``knowledge/messages.yaml``.

Code names a sentence by key; modules declare the keys they use with :func:`declare`, so
``parkbot kb check`` can report a key the admin deleted before the bot ever needs it.
"""
from __future__ import annotations

import string
from typing import Mapping

_DECLARED: dict[str, str] = {}


def declare(*keys: str, owner: str = "") -> None:
    for key in keys:
        _DECLARED.setdefault(key, owner)


def declared_keys() -> dict[str, str]:
    return dict(_DECLARED)


def placeholders(template: str) -> set[str]:
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}


class Messages:
    """Read-only sentences; ``render`` fills ``{placeholders}``."""

    def __init__(self, templates: Mapping[str, str]):
        self._templates = dict(templates)

    def __contains__(self, key: str) -> bool:
        return key in self._templates

    def keys(self):
        return self._templates.keys()

    def render(self, key: str, /, **values: object) -> str:
        template = self._templates[key]
        return template.format(**values) if values or "{" in template else template

    __call__ = render
