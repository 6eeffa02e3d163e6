"""One user message being answered: what came in, the user's state, and the reply being built."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from ..form_spec import FORM, FormSpec
from ..knowledge.loader import Knowledge
from ..nlu import reading_cache
from ..nlu.commands import Commands
from ..nlu.reading import Reading
from ..store.conversation_state import ConversationState, InquiryForm
from .replies import Article, Incoming, Reply
from .states import State


# each stored value's state, looked up in a dict (asked several times a message; ``State(value)`` goes
# through the enum's metaclass each time)
_STATES = {s.value: s for s in State}


def state_of(data: ConversationState) -> State:
    """The stored state; a conversation stored when the form had one state per field ("form:phone")
    is asking that field."""
    value = data.state
    state = _STATES.get(value)
    if state is not None:
        return state
    try:
        return State(value)  # a State itself (an enum member hashes by its name, not its value)
    except ValueError:
        pass
    form = data.form
    if value.startswith("form:") and form is not None:
        if "asking" not in form.model_fields_set:  # unless the stored form itself says which (or none)
            form.asking = value.split(":", 1)[1]
        return State.FORM_ASKING
    return State.IDLE


def context_of(data: ConversationState, state: State) -> str:
    """Where the conversation stands, in the words understanding weighs commands by.

    ``prompt:<field>`` while the form asks a field, ``confirm`` at its summary, ``resume`` after
    the offer to continue an old form, ``listing_details`` / ``list_shown`` right after the bot
    showed a listing or a list of them, else ``idle``. The turn counter was already moved on for
    this message, so "the previous reply" is ``turn - 1``.
    """
    if state is State.RESUME:
        return "resume"
    if state is State.FORM_CONFIRM:
        return "confirm"
    if state is State.FORM_ASKING and data.form is not None and data.form.asking:
        return f"prompt:{data.form.asking}"
    previous = data.turn - 1
    if data.viewed and data.viewed_turn == previous:
        return "listing_details"
    if data.choices_turn == previous and any(c.get("kind") == "listing" for c in data.choices):
        return "list_shown"
    return "idle"


@dataclass
class Turn:
    kb: Knowledge
    nlu: Any  # bot.nlu.Understanding
    commands: Commands
    incoming: Incoming
    data: ConversationState  # the stored per-user document; handlers edit it
    now: float
    services: Any = None  # Services: storage, leads, unanswered log, funnel
    spec: FormSpec = FORM  # the inquiry form's fields
    form_ttl: float = float("inf")  # seconds an untouched form is kept
    resume_after: float = 1800  # seconds of pause after which the form is offered again, not continued
    form_paused: bool = False  # this message came after such a pause (bot/dialogue/form_pause.py)
    erased: bool = False  # the user asked to be forgotten: nothing of the conversation is kept
    parts: list[str] = field(default_factory=list)
    article: Article | None = None
    options: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # words a channel may offer as buttons
    hits: set[str] = field(default_factory=set)  # funnel stages counted this turn
    counts: list[Callable[[Any], None]] = field(default_factory=list)  # counters sent with the turn's write

    # --- input -----------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.incoming.text

    @cached_property
    def reading(self) -> Reading:
        """Understanding's one reading of this message, in the context the conversation is in."""
        return reading_cache.read(self.nlu, self.text, context_of(self.data, self.state), self.incoming.kind)

    def is_(self, intent: str) -> bool:
        """Whether the message means ``intent`` here (「好的」 submits at the confirmation, nowhere else)."""
        return self.reading.intent == intent

    @property
    def digit(self) -> int | None:
        return self.reading.digit

    @property
    def entities(self) -> dict[str, Any]:
        return self.reading.entities

    @property
    def match(self):
        return self.reading.match

    @property
    def park(self):
        """The park the message names, if any (routing and search both ask)."""
        return self.reading.park

    # --- state -----------------------------------------------------------------
    @property
    def state(self) -> State:
        return state_of(self.data)

    @property
    def asking(self) -> str | None:
        """The form's requested field: the one the last question asked for (None when not asking)."""
        form = self.data.form
        return form.asking if form is not None and self.state is State.FORM_ASKING else None

    @property
    def form(self) -> InquiryForm | None:
        return self.data.form

    def hit(self, stage: str) -> None:
        """Count a funnel stage for the admin page (never fails the conversation)."""
        self.hits.add(stage)
        if self.services is not None and self.services.funnel is not None:
            funnel = self.services.funnel
            self.counts.append(lambda pipe: funnel.queue_hit(pipe, stage))

    # --- output ----------------------------------------------------------------
    def say(self, key: str, /, **values: Any) -> None:
        self.parts.append(self.kb.messages.render(key, **values))

    def say_text(self, text: str) -> None:
        self.parts.append(text)

    def offer(self, choices: list[dict[str, Any]], labels: list[str]) -> None:
        """A numbered list the user may answer with a digit (menu, suggestions, listings)."""
        self.data.choices = choices
        self.data.choices_turn = self.data.turn
        self.options = labels

    def reply(self) -> Reply:
        return Reply(text="\n".join(p for p in self.parts if p), article=self.article, options=tuple(self.options),
                     actions=tuple(self.actions))
