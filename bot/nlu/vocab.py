"""Typed model of ``knowledge/entities.yaml``: the words the understanding layer relies on.

The lists are language data an admin may need to extend (a new district short form, a new
filler word), so they live in YAML beside the other knowledge files, not in Python.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.knowledge.loader import KnowledgeError, Problem, _load_file
from bot.knowledge.schema import Deal, ListingType

FILE = "entities.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Bounds(_Strict):
    """Words that turn one number into a lower or upper bound."""

    before: list[str] = Field(default_factory=list)  # 不少于 500平
    after: list[str] = Field(default_factory=list)  # 500平以上


class Vocab(_Strict):
    # normalisation
    fillers: list[str] = Field(default_factory=list)
    particles: list[str] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)
    neutral: list[str] = Field(default_factory=list)

    # listing search
    types: dict[ListingType, list[str]]
    deals: dict[Deal, list[str]]
    not_deals: list[str] = Field(default_factory=list)
    districts: dict[str, list[str]]
    not_districts: list[str] = Field(default_factory=list)
    area_units: dict[str, float]
    land_units: list[str] = Field(default_factory=list)
    range_joiners: list[str]
    approx: list[str] = Field(default_factory=list)
    vague_more: list[str] = Field(default_factory=list)
    lower_bounds: Bounds = Field(default_factory=Bounds)
    upper_bounds: Bounds = Field(default_factory=Bounds)
    # 「有没有更大的」「便宜点的呢」 after a list: the last search again, bigger / smaller / cheaper
    refine: dict[Literal["bigger", "smaller", "cheaper"], list[str]] = Field(default_factory=dict)

    # follow-up questions (bot/nlu/topics.py): what 「它在哪」 may be about besides the parks, and
    # the words that stand for it
    subjects: dict[str, list[str]] = Field(default_factory=dict)
    pronouns: list[str] = Field(default_factory=list)

    # money: budget and tax
    money_units: dict[str, float]
    tax_cues: list[str]
    budget_cues: list[str]
    unknown: list[str]

    # the lead form
    company_suffixes: list[str]
    company_cues: list[str] = Field(default_factory=list)
    company_not_names: list[str] = Field(default_factory=list)
    contact_before: list[str] = Field(default_factory=list)
    contact_titles: list[str]
    contact_cues: list[str]
    surname_cues: list[str] = Field(default_factory=list)
    surnames: str
    ambiguous_surnames: str = ""
    compound_surnames: list[str] = Field(default_factory=list)
    name_stops: list[str] = Field(default_factory=list)
    industry_cues: list[str]
    industry_stops: list[str]
    industry_trim: list[str] = Field(default_factory=list)
    question_words: list[str] = Field(default_factory=list)

    @field_validator("area_units", "money_units")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if v <= 0 or not k]
        if bad:
            raise ValueError(f"units need a positive factor: {', '.join(bad)}")
        return value

    @field_validator("types", "deals", "districts")
    @classmethod
    def _words(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [k for k, words in value.items() if any(not w for w in words)]
        if empty:
            raise ValueError(f"empty word under {', '.join(empty)}")
        return value


def load_vocab(directory: str | Path) -> Vocab:
    """Read ``entities.yaml`` from the knowledge directory; raise KnowledgeError with file:line."""
    path = Path(directory) / FILE
    if not path.is_file():
        raise KnowledgeError([Problem(FILE, 1, f"file is missing (looked in {path.parent})")])
    problems: list[Problem] = []
    vocab = _load_file(path, Vocab, problems, {})
    if problems:
        raise KnowledgeError(problems)
    return vocab
