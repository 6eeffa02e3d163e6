"""``parkbot kb check``: every problem in ``knowledge/`` as ``file:line: message``."""
from __future__ import annotations

from pathlib import Path

from .loader import KnowledgeError, Problem, load_knowledge


def _import_sentence_users() -> None:
    # modules declare the message keys they use when imported; load every one before checking,
    # or a sentence only the admin page, the web chat or a staff e-mail needs goes unnoticed
    from ..dialogue import table  # noqa: F401
    from ..leads import export, render  # noqa: F401
    from ..leads.channels import email  # noqa: F401
    from ..web import admin, chat, wechat  # noqa: F401


def check(directory: str | Path) -> list[Problem]:
    _import_sentence_users()
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as exc:
        return exc.problems
    from ..nlu import Understanding

    try:
        nlu = Understanding(kb)
    except KnowledgeError as exc:  # entities.yaml, read by the matcher itself
        return exc.problems
    return problems_beyond_loading(kb, nlu)


def problems_beyond_loading(kb, nlu) -> list[Problem]:
    """What ``kb check`` finds in knowledge that loaded: FAQ entries that steal each other's questions,
    an answer model that does not fit, command wordings with two meanings.

    A running bot's reload asks the same, so an edit ``kb check`` rejects is never served.
    """
    problems: list[Problem] = []
    # a steal is a paraphrase another entry out-scores by the lead the matcher itself needs to answer
    for c in nlu.conflicts(min_gap=nlu.policy.margin):
        index = next(i for i, f in enumerate(kb.faqs) if f.id == c.faq_id)
        problems.append(Problem(
            "faq.yaml", kb.line("faq.yaml", "faqs", index, "questions", c.question_index),
            f"question {c.question!r} of {c.faq_id!r} is matched to {c.other_id!r} (score {c.score:.0f}); "
            "reword it or merge the entries",
        ))
    from ..nlu.policy import FEATURES

    weights = kb.answer_policy
    if weights.weights and (weights.features != list(FEATURES) or len(weights.weights) != len(FEATURES)
                            or len(weights.mean) != len(FEATURES) or len(weights.scale) != len(FEATURES)):
        problems.append(Problem("answer_policy.yaml", 1, "the answer model does not fit this version of the bot "
                                "(the matcher's rule is used instead): run `parkbot kb fit-policy`"))
    faq_questions = [(f.id, q) for f in kb.faqs for q in f.questions]
    for intent, text, other in nlu.commands.collisions(faq_questions):
        where = other.removeprefix("faq:")
        what = f"FAQ {where!r}" if other.startswith("faq:") else f"intent {other!r} (plausible in the same context)"
        problems.append(Problem(
            "intents.yaml", kb.line("intents.yaml", "intents", intent),
            f"{intent!r} says {text!r}, and so does {what}: one wording, two meanings; keep it in one place",
        ))
    return problems


def warnings(kb) -> list[Problem]:
    """Worth an admin's look, not worth refusing an edit: shown on /admin and by ``kb check``."""
    demo = [(i, item) for i, item in enumerate(kb.listings) if getattr(item, "demo", False)]
    if not demo:
        return []
    first = demo[0][0]
    return [Problem("listings.yaml", kb.line("listings.yaml", "listings", first, "id"),
                    f"{len(demo)} demo listing(s) (demo: true) are offered to prospects; replace them with real ones: "
                    + ", ".join(item.id for _, item in demo))]
