"""The conversation as a table: state → routes (when, handler) → possible next states.

Routes are tried in order: first the ones that apply in every state, then the state's own.
A handler returns the next state, which must be one its route declares, so the table (and
the diagram drawn from it, docs/conversation.md) says everything the conversation can do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..form_spec import FORM, FormSpec
from ..nlu.fields import is_affirm
from . import campaigns, form, general, search
from .listings import NARROWING
from .states import State
from .turn import Turn

ALL_FORM = (State.FORM_ASKING, State.FORM_CONFIRM)


@dataclass(frozen=True)
class Route:
    name: str
    when: Callable[[Turn], bool]
    run: Callable[[Turn], State]
    to: tuple[State, ...]


def _kind(*kinds: str) -> Callable[[Turn], bool]:
    return lambda t: t.incoming.kind in kinds


def _event(name: str) -> Callable[[Turn], bool]:
    return lambda t: t.incoming.kind == "event" and t.incoming.event == name


def _is(intent: str) -> Callable[[Turn], bool]:
    return lambda t: t.is_(intent)


def _just_offered(t: Turn) -> bool:
    """A digit mid-form picks from a list only if the previous reply showed one."""
    return general.has_fresh_choices(t) and t.data.get("choices_turn") == t.data.get("turn", 0) - 1


def _lead_sentence(t: Turn) -> bool:
    e = t.entities
    return bool(e.get("phone")) or sum(1 for k in ("company", "contact", "tax_wan") if e.get(k)) >= 2


def _always(t: Turn) -> bool:
    return True


def _search_terms(t: Turn) -> bool:
    return any(t.entities.get(k) for k in ("type", *NARROWING)) or t.park is not None


def _choose_in_form(t: Turn) -> State:
    general.choose(t)
    return form.remind(t)


def _interest(t: Turn) -> State:
    return form.start(t, search.last_viewed(t))


ANYWHERE = [
    Route("subscribe", _event("subscribe"), campaigns.follow, (State.IDLE,)),
    Route("campaign scan", _event("scan"), campaigns.scan, (State.IDLE,)),
    Route("menu click", _event("click"), lambda t: general.run_menu_action(t, t.incoming.event_key),
          (State.IDLE, State.SEARCH, *ALL_FORM)),
    Route("location", _kind("location"), search.by_location, (State.IDLE,)),
    Route("unsupported", _kind("unsupported"), general.unsupported, (*State,)),
    Route("other event", _kind("event"), general.other_event, (*State,)),
    Route("silent voice", lambda t: t.incoming.kind == "voice" and not t.text.strip(), general.voice_unrecognised,
          (*State,)),
    Route("empty", lambda t: t.incoming.kind == "text" and not t.text.strip(), general.empty_message, (*State,)),
    Route("forget me", _is("forget_me"), general.forget_me, (State.IDLE,)),
    Route("human", _is("handoff"), general.handoff, (State.IDLE, *ALL_FORM)),
]

_IDLE_ROUTES = [
    Route("nothing to cancel", _is("cancel"), general.nothing_to_cancel, (State.IDLE,)),
    Route("greeting", _is("greeting"), general.show_menu, (State.IDLE,)),
    Route("small talk", lambda t: t.is_("thanks") or t.is_("bye") or t.is_("identity"), general.small_talk,
          (State.IDLE,)),
    Route("pick", general.has_fresh_choices, general.choose,
          (State.IDLE, State.SEARCH, State.RESUME, *ALL_FORM)),
    Route("more", _is("more"), search.more, (State.IDLE, State.SEARCH)),
    Route("nearby", search.wants_nearby, search.nearby, (State.IDLE,)),
    Route("listings", search.wants_listings, search.run, (State.IDLE, State.SEARCH)),
    Route("lead", _is("lead"), lambda t: form.start(t, search.just_viewed(t)), ALL_FORM),
    Route("this one", lambda t: t.is_("interest") and search.last_viewed(t) is not None, _interest, ALL_FORM),
    Route("which one", lambda t: t.is_("interest") and search.listed_several(t), search.which_listing, (State.IDLE,)),
    Route("lead sentence", _lead_sentence, form.start, ALL_FORM),
]

_FORM_COMMANDS = [
    Route("cancel", _is("cancel"), form.cancel, (State.IDLE,)),
    Route("restart", _is("restart"), form.restart, ALL_FORM),
    Route("greeting", _is("greeting"), form.remind, ALL_FORM),
    Route("what it means", _is("explain"), general.explain, ALL_FORM),
    Route("pick", _just_offered, _choose_in_form, ALL_FORM),
]

_NO_FORM = Route("no form", lambda t: t.is_("confirm") or t.is_("skip") or t.is_("restart"), general.no_form,
                 (State.IDLE,))

TABLE: dict[State, list[Route]] = {
    State.IDLE: [
        *_IDLE_ROUTES,
        _NO_FORM,
        Route("search", search.looks_like_search, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, general.answer_question, (State.IDLE,)),
    ],
    State.SEARCH: [
        *_IDLE_ROUTES,
        _NO_FORM,
        Route("search", _search_terms, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, general.answer_question, (State.IDLE,)),
    ],
    State.RESUME: [
        Route("continue", lambda t: t.is_("affirm") or t.is_("lead"), form.resume, ALL_FORM),
        Route("drop", lambda t: t.is_("deny") or t.is_("cancel"), form.drop, (State.IDLE,)),
        *_IDLE_ROUTES[1:],
        Route("search", search.looks_like_search, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, general.answer_question, (State.IDLE,)),
    ],
    # one state asks for every field: which one is the form's requested field (Turn.asking)
    State.FORM_ASKING: [
        *_FORM_COMMANDS,
        Route("modify", _is("modify"), form.modify, ALL_FORM),
        Route("skip", _is("skip"), form.skip, ALL_FORM),
        # 登记 / 确认 / 更多 while a field is asked for are not its value; a bare 好的/可以 is read
        # as an answer, so the refusal can say it is no company (or name, or use)
        Route("command", lambda t: not is_affirm(t.text) and any(t.is_(i) for i in ("lead", "confirm", "interest", "more")),
              form.remind, ALL_FORM),
        Route("answer", _always, form.fill, ALL_FORM),
    ],
    State.FORM_CONFIRM: [
        *_FORM_COMMANDS,
        Route("confirm", lambda t: t.is_("confirm") or t.is_("affirm"), form.submit,
              (State.IDLE, State.FORM_ASKING)),
        Route("modify", _is("modify"), form.modify, ALL_FORM),
        Route("other", _always, form.at_confirmation, (State.FORM_CONFIRM, State.FORM_ASKING, State.IDLE)),
    ],
}


def route_for(t: Turn) -> Route:
    for route in (*ANYWHERE, *TABLE[t.state]):
        if route.when(t):
            return route
    raise LookupError(t.state)  # every state ends with an always-route


def mermaid(spec: FormSpec = FORM) -> str:
    """The table as a Mermaid state diagram (docs/conversation.md is this text).

    The form is one loop: ``asking`` asks for the requested field (the fields listed, in the
    specification's order) until none is missing, then ``confirm``; ``any`` stands for the
    routes tried first in every state.
    """
    def node(state: State) -> str:
        return state.value.replace("form:", "")

    edges: dict[tuple[str, str], list[str]] = {}

    def add(source: str, route: Route) -> None:
        for target in dict.fromkeys(node(s) for s in route.to):
            names = edges.setdefault((source, target), [])
            if route.name not in names:
                names.append(route.name)

    for route in ANYWHERE:
        if len(route.to) < len(State):  # routes that keep whatever state they were in are a note
            add("any", route)
    for state, routes in TABLE.items():
        for route in routes:
            add(node(state), route)
    lines = ["stateDiagram-v2", "    [*] --> idle",
             f"    state \"asking the requested field ({', '.join(spec.order)})\" as asking",
             "    note right of any: tried first in every state; unsupported, silent voice and empty keep the state"]
    lines += [f"    {source} --> {target}: {', '.join(names)}" for (source, target), names in edges.items()]
    return "\n".join(lines) + "\n"
