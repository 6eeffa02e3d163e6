"""One user message being answered: what came in, the user's state, and the reply being built."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..form_spec import FORM, FormSpec
from ..knowledge.loader import Knowledge
from .commands import Commands
from .replies import Article, Incoming, Reply
from .states import State


@dataclass
class Turn:
    kb: Knowledge
    nlu: Any  # bot.nlu.Understanding
    commands: Commands
    incoming: Incoming
    data: dict[str, Any]  # the stored per-user document; handlers edit it
    now: float
    services: Any = None  # Services: storage, leads, unanswered log, funnel
    spec: FormSpec = FORM  # the inquiry form's fields
    parts: list[str] = field(default_factory=list)
    article: Article | None = None
    options: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # words a channel may offer as buttons
    hits: set[str] = field(default_factory=set)  # funnel stages counted this turn
    _intents: dict[str, bool] = field(default_factory=dict, repr=False)

    # --- input -----------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.incoming.text

    def is_(self, intent: str) -> bool:
        # the routing table asks about a dozen intents per message, some twice
        known = self._intents.get(intent)
        if known is None:
            known = self._intents[intent] = (self.incoming.kind in ("text", "voice")
                                             and self.commands.is_(intent, self.text))
        return known

    @cached_property
    def digit(self) -> int | None:
        return self.commands.digit(self.text) if self.incoming.kind in ("text", "voice") else None

    @cached_property
    def entities(self) -> dict[str, Any]:
        return self.nlu.entities(self.text) if self.text else {}

    @cached_property
    def match(self):
        return self.nlu.match(self.text)

    @cached_property
    def park(self):
        """The park the message names, if any (routing and search both ask)."""
        return self.nlu.mentions_park(self.text)

    # --- state -----------------------------------------------------------------
    @property
    def state(self) -> State:
        value = self.data.get("state", State.IDLE.value)
        try:
            return State(value)
        except ValueError:
            pass
        form = self.data.get("form")
        if isinstance(value, str) and value.startswith("form:") and form is not None:
            # a conversation stored when the form had one state per field ("form:phone")
            form.setdefault("asking", value.split(":", 1)[1])
            return State.FORM_ASKING
        return State.IDLE

    @property
    def asking(self) -> str | None:
        """The form's requested field: the one the last question asked for (None when not asking)."""
        form = self.data.get("form")
        return form.get("asking") if form is not None and self.state is State.FORM_ASKING else None

    @property
    def form(self) -> dict[str, Any] | None:
        return self.data.get("form")

    def hit(self, stage: str) -> None:
        """Count a funnel stage for the admin page (never fails the conversation)."""
        self.hits.add(stage)
        if self.services is not None and self.services.funnel is not None:
            self.services.funnel.hit(stage)

    # --- output ----------------------------------------------------------------
    def say(self, key: str, /, **values: Any) -> None:
        self.parts.append(self.kb.messages.render(key, **values))

    def say_text(self, text: str) -> None:
        self.parts.append(text)

    def offer(self, choices: list[dict[str, Any]], labels: list[str]) -> None:
        """A numbered list the user may answer with a digit (menu, suggestions, listings)."""
        self.data["choices"] = choices
        self.data["choices_turn"] = self.data.get("turn", 0)
        self.options = labels

    def reply(self) -> Reply:
        return Reply(text="\n".join(p for p in self.parts if p), article=self.article, options=tuple(self.options),
                     actions=tuple(self.actions))
