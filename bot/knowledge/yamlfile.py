"""YAML loading that remembers where every key came from.

pydantic reports an error as a path such as ``("faqs", 3, "answer")``; admins need
``faq.yaml:41``. Composing the YAML node tree first gives each path its line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]
_FAST = getattr(yaml, "CSafeLoader", None)  # PyYAML built with libyaml (the wheels are)


class YamlError(Exception):
    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path.name}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], loader: yaml.SafeLoader) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise YamlError(Path(node.start_mark.name), key_node.start_mark.line + 1, "a key must be plain text")
            if key in out:
                raise YamlError(Path(node.start_mark.name), key_node.start_mark.line + 1, f"duplicate key {key!r}")
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*loc, key), lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_with_lines(path: Path, texts: dict[str, str] | None = None) -> tuple[Any, dict[Loc, int]]:
    """Parse ``path``; return the data and a map from key path to 1-based line number.

    ``texts`` receives the text parsed, under the file's name (to make the map again later)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(path, 1, f"not UTF-8 text ({exc.reason})") from None
    if texts is not None:
        texts[path.name] = text
    return parse_with_lines(text, path)


def parse_with_lines(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    """:func:`load_with_lines` of a file's ``text``."""
    if _FAST is not None:
        # libyaml composes the node tree several times faster (seconds at 10 000 FAQ entries, at every
        # worker's start); the same constructors make the same values. A file it refuses, or whose
        # keys repeat, is read again below, so an admin sees the same message either way.
        fast = _FAST(text)
        try:
            node = fast.get_single_node()
            return (None, {}) if node is None else (_build(node, (), lines := {}, fast), lines)
        except (yaml.YAMLError, YamlError):
            pass
        finally:
            fast.dispose()
    loader = yaml.SafeLoader(text)
    loader.name = str(path)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        return _build(node, (), lines := {}, loader), lines
    except yaml.MarkedYAMLError as exc:
        problem_line = exc.problem_mark.line + 1 if exc.problem_mark else None
        if exc.context_mark is not None and exc.context:
            # e.g. an unclosed [ : the admin's mistake is where it opened, not where it was noticed
            where = f" (at line {problem_line})" if problem_line else ""
            raise YamlError(path, exc.context_mark.line + 1, f"{exc.context}: {exc.problem}{where}") from None
        raise YamlError(path, problem_line or 1, f"{exc.problem or exc.context}") from None
    finally:
        loader.dispose()


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of ``loc`` or, for a key that is missing, of its nearest parent."""
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)
