"""Reads ``knowledge/`` into one immutable :class:`Knowledge` value.

Loading never half-succeeds: either every file validates and the new value replaces the old,
or a :class:`KnowledgeError` lists every problem as ``file:line: message``.
"""
from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .consistency import consistency_problems
from .messages import Messages, placeholders
from .schema import (
    PolicyWeights,
    RerankWeights,
    CommandModel,
    FILE_MODELS,
    Campaign,
    OPTIONAL_FILES,
    Faq,
    Intents,
    Listing,
    Menu,
    Park,
    ParkEntry,
    Synonyms,
    TestsFile,
)
from .problems import KnowledgeError, Problem
from .yamlfile import Loc, YamlError, line_of, load_with_lines, parse_with_lines


class LineMaps(Mapping):
    """Each file's map from key path to line, for naming the line of a problem.

    A running bot asks for a line only when it reports a problem, yet the maps of 10 000 FAQ entries
    take some 19 MB of every worker: each file is kept as the text it was read from, compressed, and
    its map made again (from that same text, so the same lines) the first time it is asked for.
    """

    def __init__(self, texts: dict[str, str], made: dict[str, dict[Loc, int]] | None = None):
        self._packed = {name: zlib.compress(text.encode("utf-8"), 1) for name, text in texts.items()}
        self._made: dict[str, dict[Loc, int]] = dict(made or {})

    def forget(self) -> None:
        """Drop the maps made so far (they are made again when asked for)."""
        self._made = {}

    def __getitem__(self, name: str) -> dict[Loc, int]:
        made = self._made.get(name)
        if made is None:
            text = zlib.decompress(self._packed[name]).decode("utf-8")
            made = self._made[name] = parse_with_lines(text, Path(name))[1]
        return made

    def __iter__(self):
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    park: Park
    parks: list[ParkEntry]
    listings: list[Listing]
    faqs: list[Faq]
    synonyms: Synonyms
    menu: Menu
    intents: Intents
    messages: Messages
    tests: TestsFile
    version: str
    loaded_at: float
    # key path -> line, per file, for checks that run after validation
    lines: Mapping[str, dict[tuple, int]] = field(repr=False, compare=False, default_factory=dict)  # LineMaps
    campaigns: list[Campaign] = field(default_factory=list)  # campaigns.yaml: QR code scenes
    # the answer/suggest/decline model (answer_policy.yaml); empty weights = the matcher's own rule
    answer_policy: PolicyWeights = field(repr=False, compare=False, default_factory=PolicyWeights)
    # the command model (command_model.yaml); empty = commands are read by the word lists alone
    command_model: CommandModel = field(repr=False, compare=False, default_factory=CommandModel)
    # the front-runner re-ranker (rerank.yaml); empty = the matcher's own order
    rerank: RerankWeights = field(repr=False, compare=False, default_factory=RerankWeights)

    @cached_property
    def faq_by_id(self) -> dict[str, Faq]:
        return {f.id: f for f in self.faqs}

    @cached_property
    def park_by_name(self) -> dict[str, ParkEntry]:
        """Every park name and alias (the zone's own too) to its park entry."""
        out: dict[str, ParkEntry] = {}
        for park in self.parks:
            for name in park.names:
                out.setdefault(name, park)
        return out

    @cached_property
    def listing_by_id(self) -> dict[str, Listing]:
        return {item.id: item for item in self.listings}

    @cached_property
    def campaign_by_scene(self) -> dict[str, Campaign]:
        return {c.scene: c for c in self.campaigns}

    @cached_property
    def menu_by_key(self):
        return {item.key: item for item in self.menu.items}

    def line(self, file: str, *loc: Any) -> int:
        return line_of(self.lines.get(file, {}), tuple(loc))


def knowledge_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def knowledge_version(directory: Path) -> str:
    """The version of the files in ``directory``: a digest of their names and bytes."""
    digest = hashlib.sha1()
    for path in knowledge_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fingerprint(directory: Path) -> tuple:
    """Cheap change detector: names, sizes and mtimes of the YAML files."""
    out = []
    for path in knowledge_files(directory):
        st = path.stat()
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def _validation_problems(file: str, exc: ValidationError, lines: dict) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        where = ".".join(str(p) for p in loc) or "(top level)"
        problems.append(Problem(file, line_of(lines, loc), f"{where}: {err['msg']}"))
    return problems


_UNREADABLE = object()


def _read(path: Path, problems: list[Problem], lines_out: dict, texts: dict | None = None) -> Any:
    """The file's data (``_UNREADABLE`` after recording why), its lines kept for later checks."""
    try:
        data, lines = load_with_lines(path, texts)
    except YamlError as exc:
        problems.append(Problem(path.name, exc.line, exc.message))
        return _UNREADABLE
    lines_out[path.name] = lines
    return data


def _load_file(path: Path, model: type[BaseModel], problems: list[Problem], lines_out: dict, texts: dict | None = None):
    data = _read(path, problems, lines_out, texts)
    if data is _UNREADABLE:
        return None
    lines = lines_out[path.name]
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems.extend(_validation_problems(path.name, exc, lines))
        return None


def _load_messages(path: Path, problems: list[Problem], lines_out: dict, texts: dict | None = None) -> Messages | None:
    data = _read(path, problems, lines_out, texts)
    if data is _UNREADABLE:
        return None
    lines = lines_out[path.name]
    if not isinstance(data, dict):
        problems.append(Problem(path.name, 1, "messages.yaml must map keys to sentences"))
        return None
    ok = True
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(path.name, line_of(lines, (key,)), f"{key}: must be a non-empty sentence"))
            ok = False
            continue
        try:
            placeholders(value)
        except ValueError as exc:
            problems.append(Problem(path.name, line_of(lines, (key,)), f"{key}: bad placeholder ({exc})"))
            ok = False
    return Messages({k: v.strip("\n") for k, v in data.items()}) if ok else None


def _share_field_sets(models: list[BaseModel]) -> None:
    """One set of the fields given for all entries that give the same fields, not one per entry.

    pydantic keeps with each model the names of the fields the file gave (``model_fields_set``), a set of
    its own of ~200 bytes: 2 MB at 10 000 FAQ entries that nearly all name the same four or five. It is
    only read (``model_dump(exclude_unset=True)``) and copied by ``model_copy``; the knowledge is never
    assigned to after loading.
    """
    shared: dict[frozenset[str], set[str]] = {}
    for model in models:
        given = model.__pydantic_fields_set__
        object.__setattr__(model, "__pydantic_fields_set__", shared.setdefault(frozenset(given), given))


def load_knowledge(directory: str | Path) -> Knowledge:
    """Load and validate every file; raise :class:`KnowledgeError` on any problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    lines: dict[str, dict] = {}
    texts: dict[str, str] = {}
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), 1, "knowledge directory not found")])
    loaded: dict[str, Any] = {}
    for name, model in {**FILE_MODELS, **OPTIONAL_FILES}.items():
        path = directory / name
        if not path.exists():
            if name in FILE_MODELS:
                problems.append(Problem(name, 1, "file is missing"))
            else:
                loaded[name] = model()
            continue
        loaded[name] = _load_file(path, model, problems, lines, texts)
    messages_path = directory / "messages.yaml"
    messages = None
    if messages_path.exists():
        messages = _load_messages(messages_path, problems, lines, texts)
    else:
        problems.append(Problem("messages.yaml", 1, "file is missing"))
    if problems:
        raise KnowledgeError(problems)
    _share_field_sets([*loaded["faq.yaml"].faqs, *loaded["listings.yaml"].listings])

    kb = Knowledge(
        directory=directory,
        park=loaded["park.yaml"],
        parks=loaded["parks.yaml"].parks,
        listings=loaded["listings.yaml"].listings,
        faqs=loaded["faq.yaml"].faqs,
        synonyms=loaded["synonyms.yaml"],
        menu=loaded["menu.yaml"],
        intents=loaded["intents.yaml"],
        messages=messages,
        tests=loaded["tests.yaml"],
        version=knowledge_version(directory),
        loaded_at=time.time(),
        lines=LineMaps(texts, made=lines),
        campaigns=loaded["campaigns.yaml"].campaigns,
        answer_policy=loaded["answer_policy.yaml"],
        command_model=loaded["command_model.yaml"],
        rerank=loaded["rerank.yaml"],
    )
    problems = consistency_problems(kb)
    if problems:
        raise KnowledgeError(problems)
    kb.lines.forget()
    return kb
