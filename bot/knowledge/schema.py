"""Typed models of the files in ``knowledge/``.

The models are the admin's contract: an edit that does not fit them is refused by
``parkbot kb check`` and by the live reload, with the file and line of the offending key.
"""
from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SQM_PER_MU = 666.7

ListingType = Literal["factory", "land", "office", "apartment", "warehouse", "lab"]
Deal = Literal["rent", "sale"]
MenuAction = Literal["intro", "search", "lead", "handoff", "faq"]


class Strict(BaseModel):
    """Unknown keys are typos an admin wants to hear about."""

    # an unquoted 88 or 4000123021 in YAML is a number; where text is expected it means the text
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


class Open(BaseModel):
    """Files that travel between deployments may carry extra keys."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, coerce_numbers_to_str=True)


class Contacts(Strict):
    hotline: str
    mobile: str | None = None
    wechat: str | None = None
    person: str | None = None
    services: str | None = None


class Hours(Strict):
    text: str
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    open: time = time(9, 0)
    close: time = time(17, 30)
    timezone: str = "Asia/Shanghai"
    holidays: list[date] = Field(default_factory=list)
    # a lead still 新 this many working hours after it came in: one reminder to staff, marked overdue
    follow_up_hours: float = Field(4, gt=0, le=240)

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(d < 1 or d > 7 for d in value):
            raise ValueError("weekdays are ISO numbers 1 (Monday) to 7 (Sunday), at least one")
        return value

    @model_validator(mode="after")
    def _open_before_close(self) -> "Hours":
        if self.open >= self.close:
            raise ValueError("open must be earlier than close")
        return self


class GeoPoint(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class Fact(Strict):
    id: str
    text: str


class Takeover(Strict):
    """A person answering on the admin page (``park.yaml`` → ``takeover``)."""

    # a taken conversation without a staff reply for this long goes back to the bot
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)


class Park(Strict):
    """The zone itself (``park.yaml``)."""

    name: str
    full_name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    profile: str
    industries: list[str] = Field(default_factory=list)
    contacts: Contacts
    hours: Hours
    takeover: Takeover = Field(default_factory=Takeover)
    facts: list[Fact] = Field(default_factory=list)
    address: str | None = None  # where the zone is, for people far from it
    nearby_km: float = Field(default=50, gt=0, le=2000)  # 「附近」: listings within this distance of the user


class ParkEntry(Strict):
    """One park or project inside or near the zone (``parks.yaml``)."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    district: str | None = None
    summary: str
    location: GeoPoint | None = None

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Listing(Open):
    id: str
    park: str
    title: str
    type: ListingType
    deal: Deal
    area_sqm: float | None = Field(default=None, gt=0)
    area_mu: float | None = Field(default=None, gt=0)
    price: str
    district: str
    location: GeoPoint | None = None
    url: str | None = None
    image: str | None = None
    available: bool = True
    demo: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _has_area(self) -> "Listing":
        if self.area_sqm is None and self.area_mu is None:
            raise ValueError("give area_sqm (or area_mu for land)")
        return self

    @property
    def area(self) -> float:
        """Area in square metres, whichever unit the admin wrote."""
        if self.area_sqm is not None:
            return self.area_sqm
        return round(self.area_mu * SQM_PER_MU)


class Faq(Strict):
    id: str
    questions: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    answer: str
    follow_ups: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise ValueError("id must be lower-case ascii letters, digits and dashes")
        return value


class Synonyms(Strict):
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    typos: dict[str, list[str]] = Field(default_factory=dict)
    # places and parks that are not ours: a question about them is not answered with our entry
    elsewhere: list[str] = Field(default_factory=list)
    # more of them, used only to hold back an answer (not as an input of the fitted answer model)
    other_parks: list[str] = Field(default_factory=list)
    # words that address this office (你们, 贵园): a question naming another place that says one asks about ours
    to_us: list[str] = Field(default_factory=list)
    # words of subjects the knowledge does not cover (相对论, 股价): a question using one is not answered
    other_topics: list[str] = Field(default_factory=list)

    @field_validator("to_us", "other_topics")
    @classmethod
    def _whole_words(cls, words: list[str], info) -> list[str]:
        # one character (你, 学, 票) is in nearly every message: the rule would hold back every question
        what = {"to_us": "a word that addresses us", "other_topics": "a word of another subject"}[info.field_name]
        for word in words:
            if len(word) < 2 or re.search(r"\s", word):
                raise ValueError(f"{word!r}: {what} has at least two characters and no spaces")
        return words


class MenuItem(Strict):
    digit: int = Field(ge=1, le=9)
    key: str
    title: str
    action: MenuAction
    faq: str | None = None  # with action: faq

    @model_validator(mode="after")
    def _faq_needs_id(self) -> "MenuItem":
        if self.action == "faq" and not self.faq:
            raise ValueError("action faq needs a faq id")
        return self


class WechatButton(Strict):
    name: str
    key: str | None = None
    url: str | None = None
    sub_button: list["WechatButton"] = Field(default_factory=list)


class Menu(Strict):
    items: list[MenuItem] = Field(min_length=1)
    wechat_menu: list[WechatButton] = Field(default_factory=list)


class Phrases(Strict):
    """How a command is recognised: paraphrases matched like FAQ questions (``examples``), the whole
    message being one of ``exact``, or the message containing one of ``contains``."""

    examples: list[str] = Field(default_factory=list)
    exact: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    # words that signal the intent when they make up most of a short message (「能让经理回个电话吗」)
    keywords: list[str] = Field(default_factory=list)
    # longer words that merely contain the intent's words (人工智能 is no call for 人工): a message
    # with one of these is that intent only if it is one of ``exact`` or ``examples`` as a whole
    not_in: list[str] = Field(default_factory=list)


# the question words when intents.yaml names none (a bare knowledge value in tests)
QUESTION_WORDS = (r"[?？]|吗|呢|什么|哪|怎么|怎样|多少|多久|几[个家年天]|啥|咋|是不是|有没有|能不能|可不可以|为何|为什么"
                  r"|行不行")

IntentName = Literal[
    "greeting", "lead", "handoff", "cancel", "confirm", "affirm", "deny", "restart", "skip", "more",
    "forget_me", "interest", "modify", "thanks", "bye", "identity", "explain", "listings",
]
ContextName = Literal["idle", "list_shown", "listing_details", "resume", "prompt", "confirm"]


class Intents(Strict):
    intents: dict[IntentName, Phrases]
    # words after 修改/改 that name a form field, e.g. 手机号 -> phone
    fields: dict[str, list[str]] = Field(default_factory=dict)
    # words that carry no command of their own (好的, 那, 就): left out when measuring what a command covers
    neutral: list[str] = Field(default_factory=list)
    # how plausible each intent is in each conversation context (0..1; an intent left out is not a command there)
    contexts: dict[ContextName, dict[IntentName, float]] = Field(default_factory=dict)
    # words that say what a message is about without being a command (附近 → nearby), found anywhere in it
    words: dict[str, list[str]] = Field(default_factory=dict)
    # signs (emoji) that people send instead of a word (👌 → 好的): read as that word
    signs: dict[str, str] = Field(default_factory=dict)
    # a command word typed with a same-sounding character (在见 → 再见): folded only where the clause
    # it stands in then reads wholly as a command, never in FAQ matching
    homophones: dict[str, list[str]] = Field(default_factory=dict)
    # what makes a message a question rather than a value or a command (吗, 什么, ?...): a regular
    # expression, searched in the message's surface form; one list for commands, FAQ matching and
    # the form's answers alike
    question: str = QUESTION_WORDS

    @field_validator("fields")
    @classmethod
    def _form_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from ..form_spec import FORM  # the form's fields are named in its specification

        unknown = sorted(set(value) - set(FORM.order))
        if unknown:
            raise ValueError(f"not a field of the form: {', '.join(unknown)} (fields: {', '.join(FORM.order)})")
        return value

    @field_validator("question")
    @classmethod
    def _a_pattern(cls, value: str) -> str:
        import re

        if not value.strip():
            raise ValueError("the question words are empty: every message would be no question")
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc}): write the words as 吗|什么|怎么 ...") from None
        if compiled.search(""):
            raise ValueError("the question words match an empty message: every message would be a question")
        return value

    @field_validator("signs")
    @classmethod
    def _one_sign_each(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(sign for sign, word in value.items() if len(sign) != 1 or not str(word).strip())
        if bad:
            raise ValueError(f"each sign is one character standing for a word: {', '.join(bad)}")
        return value


class PolicyWeights(Strict):
    """answer_policy.yaml: the answer/suggest/decline model, written by `parkbot kb fit-policy`."""

    features: list[str] = Field(default_factory=list)
    mean: list[float] = Field(default_factory=list)
    scale: list[float] = Field(default_factory=list)
    weights: list[float] = Field(default_factory=list)
    bias: float = 0.0
    answer_at: float = 0.5
    suggest_at: float = 0.2
    rerank_digest: str = ""  # the re-ranker it was fitted with (kb check warns when rerank.yaml changed since)
    trained_on: dict[str, int] = Field(default_factory=dict)


class RerankWeights(Strict):
    """rerank.yaml: the front-runner re-ranker (bot/nlu/rerank.py), written by `parkbot kb fit-rerank`."""

    features: list[str] = Field(default_factory=list)
    scale: list[float] = Field(default_factory=list)
    weights: list[float] = Field(default_factory=list)
    trained_on: dict[str, int] = Field(default_factory=dict)
    counted: list[str] = Field(default_factory=list)  # file names of the labelled sets whose questions are in counts
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)  # entry id -> bigram -> labelled questions with it


class CommandModel(Strict):
    """command_model.yaml: the command model's counts, written by `parkbot kb fit-commands`."""

    alpha: float = Field(default=0.5, gt=0)  # smoothing: a piece never seen with an intent is not impossible for it
    sharpness: float = Field(default=4.0, gt=0)  # how decisive the averaged evidence is
    intents_digest: str = ""  # the intents' wordings it was fitted on (kb check warns when they changed)
    trained_on: dict[str, int] = Field(default_factory=dict)
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)  # class -> piece of text -> times seen

    @field_validator("counts")
    @classmethod
    def _known_classes(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        known = set(IntentName.__args__) | {"none"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"not an intent: {', '.join(unknown)}; run `parkbot kb fit-commands`")
        if any(n < 0 for per in value.values() for n in per.values()):
            raise ValueError("a count is negative; run `parkbot kb fit-commands`")
        if value and len(value) < 2:
            raise ValueError("a model needs two classes at least; run `parkbot kb fit-commands`")
        return value


class ListingsFile(Strict):
    listings: list[Listing] = Field(default_factory=list)


class ParksFile(Strict):
    parks: list[ParkEntry] = Field(default_factory=list)


class FaqFile(Strict):
    faqs: list[Faq] = Field(default_factory=list)


class TestTurn(Strict):
    say: str
    expect: list[str] = Field(default_factory=list)
    event: str | None = None  # e.g. subscribe, instead of text


class TestCase(Strict):
    name: str
    user: str | None = None
    turns: list[TestTurn] = Field(min_length=1)


class TestsFile(Strict):
    cases: list[TestCase] = Field(default_factory=list)


class Campaign(Strict):
    """One parametric QR code's scene (an expo, a brochure, a roadshow) and what staff call it."""

    scene: str = Field(min_length=1, max_length=64, pattern=r"^\S+$")  # WeChat's QR_LIMIT_STR_SCENE
    name: str = Field(min_length=1, max_length=40)
    welcome: str | None = None  # said instead of the usual welcome to someone who follows through it


class CampaignsFile(Strict):
    campaigns: list[Campaign] = Field(default_factory=list)


# file name -> model of its top level; messages.yaml is a flat mapping checked separately
FILE_MODELS: dict[str, type[BaseModel]] = {
    "park.yaml": Park,
    "parks.yaml": ParksFile,
    "listings.yaml": ListingsFile,
    "faq.yaml": FaqFile,
    "synonyms.yaml": Synonyms,
    "menu.yaml": Menu,
    "intents.yaml": Intents,
}
OPTIONAL_FILES: dict[str, type[BaseModel]] = {"tests.yaml": TestsFile, "campaigns.yaml": CampaignsFile,
                                               "answer_policy.yaml": PolicyWeights,
                                               "command_model.yaml": CommandModel, "rerank.yaml": RerankWeights}
