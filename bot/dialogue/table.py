"""The conversation as a table: state → routes (when, handler) → possible next states.

Routes are tried in order: first the state's routes that only move the conversation (an unfinished
form that waited too long), then the ones that apply in every state, then the state's own. A
handler returns the next state, which must be one its route declares, so the table (and the
diagram drawn from it, docs/conversation.md) says everything the conversation can do. A route that
``goes_on`` only moves the conversation: the message is read again by the routes of the state it
went to. Once a message's route has run, the routes ``AFTER`` the state it went to may move it on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..form_spec import FORM, FormSpec
from ..nlu.fields import is_affirm
from . import answers, campaigns, form, form_pause, general, menu, search
from .choices import clicked_item, has_fresh_choices, just_offered, picked, picked_item
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
    goes_on: bool = False  # the message is not used up: the routes of the state it went to read it


def _kind(*kinds: str) -> Callable[[Turn], bool]:
    return lambda t: t.incoming.kind in kinds


def _event(name: str) -> Callable[[Turn], bool]:
    return lambda t: t.incoming.kind == "event" and t.incoming.event == name


def _is(intent: str) -> Callable[[Turn], bool]:
    return lambda t: t.is_(intent)


def _lead_sentence(t: Turn) -> bool:
    e = t.entities
    return bool(e.get("phone")) or sum(1 for k in ("company", "contact", "tax_wan") if e.get(k)) >= 2


def _always(t: Turn) -> bool:
    return True


def _search_terms(t: Turn) -> bool:
    return any(t.entities.get(k) for k in ("type", *NARROWING)) or t.park is not None


def _clicked(action: str) -> Callable[[Turn], bool]:
    """A click on the Official Account menu's item of this action."""
    def when(t: Turn) -> bool:
        item = clicked_item(t)
        return item is not None and item.action == action
    return when


def _picked_menu(action: str) -> Callable[[Turn], bool]:
    """A digit picking the menu's item of this action from the menu shown last."""
    def when(t: Turn) -> bool:
        item = picked_item(t)
        return item is not None and item.action == action
    return when


def _picked(test: Callable[[str], bool]) -> Callable[[Turn], bool]:
    """A digit picking, from the list shown last, a choice whose kind passes ``test``."""
    def when(t: Turn) -> bool:
        choice = picked(t) if has_fresh_choices(t) else None
        return choice is not None and test(choice["kind"])
    return when


def _offered_just_now(when: Callable[[Turn], bool]) -> Callable[[Turn], bool]:
    """Mid-form, a digit picks only from a list the previous reply showed."""
    return lambda t: just_offered(t) and when(t)


def _then_remind(handler: Callable[[Turn], State]) -> Callable[[Turn], State]:
    """A pick mid-form: what was picked, then the form's pending question again (the form stays open)."""
    def run(t: Turn) -> State:
        handler(t)
        return form.remind(t)

    run.__name__ = f"{handler.__name__}_then_remind"
    return run


def _menu_routes(how: str, chosen: Callable[[str], Callable[[Turn], bool]], *, mid_form: bool) -> list["Route"]:
    """One route per menu action, so the table (and the diagram) says where each item leads.
    ``mid_form``: whether it can come while the form is open (a 转人工 then keeps the form's state)."""
    human_to = (State.IDLE, *ALL_FORM) if mid_form else (State.IDLE,)
    return [
        Route(f"{how}: introduction", chosen("intro"), general.introduce, (State.IDLE,)),
        Route(f"{how}: find a site", chosen("search"), search.ask, (State.SEARCH,)),
        Route(f"{how}: register", chosen("lead"), form.start, ALL_FORM),
        Route(f"{how}: human", chosen("handoff"), general.handoff, human_to),
        Route(f"{how}: answer", chosen("faq"), general.menu_answer, (State.IDLE,)),
    ]


def _menu_again(t: Turn) -> State:
    return menu.show_menu(t, greet=False)  # an item gone since (the knowledge changed): the menu as it is now


def _pick_routes(*, mid_form: bool) -> list["Route"]:
    """A digit picking from the list shown last: one route per kind of choice (and per menu action).
    Mid-form the list must be the previous reply's, and the form's question follows what was picked."""
    if not mid_form:
        return [
            *_menu_routes("pick", _picked_menu, mid_form=False),
            Route("pick: menu item gone", _picked(lambda kind: kind == "menu"), _menu_again, (State.IDLE,)),
            Route("pick: listing", _picked(lambda kind: kind == "listing"), search.pick_listing, (State.IDLE,)),
            Route("pick: answer", _picked(lambda kind: kind not in ("menu", "listing")), general.pick_answer,
                  (State.IDLE,)),
            Route("pick expired", has_fresh_choices, general.choice_expired, (State.IDLE, State.SEARCH, State.RESUME)),
        ]
    return [Route(route.name, _offered_just_now(route.when), _then_remind(route.run), ALL_FORM)
            for route in _pick_routes(mid_form=False)]


def _interest(t: Turn) -> State:
    return form.start(t, search.interest_listing(t))


ANYWHERE = [
    Route("subscribe", _event("subscribe"), campaigns.follow, (State.IDLE,)),
    Route("campaign scan", _event("scan"), campaigns.scan, (State.IDLE,)),
    *_menu_routes("menu", _clicked, mid_form=True),
    Route("menu click", _event("click"), _menu_again, (State.IDLE,)),
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
    Route("greeting", _is("greeting"), menu.show_menu, (State.IDLE,)),
    Route("small talk", lambda t: t.is_("thanks") or t.is_("bye") or t.is_("identity"), general.small_talk,
          (State.IDLE,)),
    *_pick_routes(mid_form=False),
    Route("about a listed item", search.asks_about_listed, search.about_listed, (State.IDLE,)),
    Route("narrow the list", search.refines_last_search, search.refine, (State.IDLE,)),
    Route("more", _is("more"), search.more, (State.IDLE, State.SEARCH)),
    Route("nearby", search.wants_nearby, search.nearby, (State.IDLE,)),
    Route("listings", search.wants_listings, search.run, (State.IDLE, State.SEARCH)),
    Route("about the listing shown", search.asks_about_viewed, search.about_viewed, (State.IDLE,)),
    Route("lead", _is("lead"), lambda t: form.start(t, search.just_viewed(t)), ALL_FORM),
    Route("this one", lambda t: t.is_("interest") and search.interest_listing(t) is not None, _interest, ALL_FORM),
    Route("which one", lambda t: t.is_("interest") and search.listed_several(t), search.which_listing, (State.IDLE,)),
    Route("lead sentence", _lead_sentence, form.start, ALL_FORM),
]

_FORM_COMMANDS = [
    Route("cancel", _is("cancel"), form.cancel, (State.IDLE,)),
    Route("restart", _is("restart"), form.restart, ALL_FORM),
    Route("greeting", _is("greeting"), form.remind, ALL_FORM),
    Route("courtesy", lambda t: t.is_("thanks") or t.is_("identity"), form.courtesy, ALL_FORM),
    Route("what it means", _is("explain"), form.explain, ALL_FORM),
    *_pick_routes(mid_form=True),
]

_NO_FORM = Route("no form", lambda t: t.is_("confirm") or t.is_("skip") or t.is_("restart"), general.no_form,
                 (State.IDLE,))

# an unfinished form that waited too long: dropped quietly after its TTL, offered again after a pause
_FORM_GONE = Route("form gone", form_pause.form_gone, form_pause.to_idle, (State.IDLE,), goes_on=True)
_FORM_EXPIRED = Route("form expired", form_pause.form_expired, form_pause.expire, (State.IDLE,), goes_on=True)
_FORM_PAUSED = Route("form paused", form_pause.form_paused, form_pause.pause, (State.IDLE,), goes_on=True)

BEFORE: dict[State, list[Route]] = {  # tried before every other route of the state
    State.IDLE: [_FORM_EXPIRED],
    State.SEARCH: [_FORM_EXPIRED],
    State.RESUME: [_FORM_GONE, _FORM_EXPIRED],
    State.FORM_ASKING: [_FORM_GONE, _FORM_EXPIRED, _FORM_PAUSED],
    State.FORM_CONFIRM: [_FORM_GONE, _FORM_EXPIRED, _FORM_PAUSED],
}

AFTER: dict[State, list[Route]] = {  # tried once the message's route went to the state
    State.IDLE: [Route("resume offer", form_pause.resume_due, form_pause.offer_resume, (State.RESUME,))],
}

TABLE: dict[State, list[Route]] = {
    State.IDLE: [
        *_IDLE_ROUTES,
        _NO_FORM,
        Route("search", search.looks_like_search, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, answers.answer_question, (State.IDLE,)),
    ],
    State.SEARCH: [
        *_IDLE_ROUTES,
        _NO_FORM,
        Route("search", _search_terms, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, answers.answer_question, (State.IDLE,)),
    ],
    State.RESUME: [
        Route("continue", lambda t: t.is_("affirm") or t.is_("lead"), form.resume, ALL_FORM),
        Route("drop", lambda t: t.is_("deny") or t.is_("cancel"), form.drop, (State.IDLE,)),
        # 「重来」 at the offer: the kept form is thrown away and a new one asked from its first question
        Route("start over", _is("restart"), form.restart, ALL_FORM),
        *_IDLE_ROUTES[1:],
        Route("search", search.looks_like_search, search.run, (State.IDLE, State.SEARCH)),
        Route("question", _always, answers.answer_question, (State.IDLE,)),
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


# each state's routes in the order they are tried, laid out once rather than per message
_TRIED: dict[State, tuple[Route, ...]] = {state: (*BEFORE[state], *ANYWHERE, *TABLE[state]) for state in TABLE}


def route_for(t: Turn) -> Route:
    for route in _TRIED[t.state]:
        if route.when(t):
            return route
    raise LookupError(t.state)  # every state ends with an always-route


def _run(route: Route, t: Turn) -> State:
    next_state = route.run(t)
    if next_state not in route.to:
        raise RuntimeError(f"route {route.name!r} went to {next_state}, not declared in the table")
    t.data.state = next_state.value
    return next_state


def step(t: Turn) -> State:
    """The message read by the table: its route, the routes it went on to, and the ones after."""
    route = route_for(t)
    passed = set()
    next_state = _run(route, t)
    while route.goes_on:
        if route.name in passed:
            raise RuntimeError(f"route {route.name!r} went on twice for one message")
        passed.add(route.name)
        route = route_for(t)
        next_state = _run(route, t)
    for after in AFTER.get(next_state, ()):
        if after.when(t):
            return _run(after, t)
    return next_state


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

    for state, routes in BEFORE.items():
        for route in routes:
            add(node(state), route)
    for route in ANYWHERE:
        if len(route.to) < len(State):  # routes that keep whatever state they were in are a note
            add("any", route)
    for state, routes in TABLE.items():
        for route in routes:
            add(node(state), route)
    for state, routes in AFTER.items():
        for route in routes:
            add(node(state), route)
    passing = list(dict.fromkeys(r.name for routes in BEFORE.values() for r in routes if r.goes_on))
    lines = ["stateDiagram-v2", "    [*] --> idle",
             f"    state \"asking the requested field ({', '.join(spec.order)})\" as asking",
             "    note right of any: tried first in every state; unsupported, silent voice and empty keep the state",
             f"    note left of idle: {', '.join(passing)} come before the message is read; it is read in the new state",
             "    note right of resume: resume offer comes after the message's route, when it went idle and a paused form is kept"]
    lines += [f"    {source} --> {target}: {', '.join(names)}" for (source, target), names in edges.items()]
    return "\n".join(lines) + "\n"
