"""``parkbot kb check``: every problem in ``knowledge/`` as ``file:line: message``."""
from __future__ import annotations

import hashlib
import logging
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..knowledge.loader import KnowledgeError, Problem, load_knowledge
from ..sentences import declare_every_part

log = logging.getLogger(__name__)
BOT = Path(__file__).resolve().parent.parent
# what the check's verdict depends on besides the knowledge files: the code that loads and reads
# them, and the libraries whose scores it compares
CHECKED_BY = ("knowledge/*.py", "nlu/*.py", "tools/kb_check.py", "form_spec.py")
LIBRARIES = ("rapidfuzz", "zhconv", "cn2an")
CLAIM_SECONDS = 900  # the longest one check may take before another process takes over


def check(directory: str | Path) -> list[Problem]:
    declare_every_part()
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
    from ..nlu.rerank import FEATURES as RERANK_FEATURES

    rerank = getattr(kb, "rerank", None)
    if rerank is not None and rerank.weights and (rerank.features != list(RERANK_FEATURES)
                                                  or len(rerank.weights) != len(RERANK_FEATURES)
                                                  or len(rerank.scale) != len(RERANK_FEATURES)):
        problems.append(Problem("rerank.yaml", 1, "the re-ranker does not fit this version of the bot "
                                "(the matcher's order is used instead): run `parkbot kb fit-rerank`"))
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
    out = command_model_warnings(kb) + answer_policy_warnings(kb)
    demo = [(i, item) for i, item in enumerate(kb.listings) if getattr(item, "demo", False)]
    if not demo:
        return out
    first = demo[0][0]
    return out + [Problem("listings.yaml", kb.line("listings.yaml", "listings", first, "id"),
                          f"{len(demo)} demo listing(s) (demo: true) are offered to prospects; replace them with real ones: "
                          + ", ".join(item.id for _, item in demo))]


def command_model_warnings(kb) -> list[Problem]:
    """The command model missing, or fitted on other wordings than intents.yaml has now: commands
    are still read (by the word lists, or by the model as it was), only less well."""
    from ..nlu.fit_commands import MODEL_FILE, intents_digest

    model = getattr(kb, "command_model", None)
    if model is None or not getattr(kb, "intents", None) or not kb.intents.intents:
        return []
    if not model.counts:
        return [Problem(MODEL_FILE, 1, "there is no command model: commands are read by intents.yaml's word lists "
                        "alone and new wordings are missed; run `parkbot kb fit-commands`")]
    if model.intents_digest != intents_digest(kb.intents):
        return [Problem(MODEL_FILE, kb.line(MODEL_FILE, "intents_digest"),
                        "the command model was fitted on other wordings than intents.yaml has now; "
                        "run `parkbot kb fit-commands`")]
    return []


def answer_policy_warnings(kb) -> list[Problem]:
    """The answer model fitted with another re-ranker than rerank.yaml has now (or with none): its
    thresholds were chosen on another order of the candidates. Questions are still answered, less well."""
    from ..nlu.fit import POLICY_FILE
    from ..nlu.rerank import FEATURES as RERANK_FEATURES, rerank_digest

    policy, rerank = getattr(kb, "answer_policy", None), getattr(kb, "rerank", None)
    if policy is None or not policy.weights:
        return []
    used = rerank is not None and rerank.features == list(RERANK_FEATURES) and len(rerank.weights) == len(RERANK_FEATURES)
    if policy.rerank_digest == (rerank_digest(rerank) if used else ""):
        return []
    return [Problem(POLICY_FILE, kb.line(POLICY_FILE, "rerank_digest") if policy.rerank_digest else 1,
                    "the answer model was fitted with another re-ranker than rerank.yaml has now; "
                    "run `parkbot kb fit-policy`")]


@lru_cache(maxsize=1)
def _code_digest() -> str:
    digest = hashlib.sha1(sys.version.encode())
    for pattern in CHECKED_BY:
        for path in sorted(BOT.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    return digest.hexdigest()


def verdict_key(kb) -> str:
    """Names one knowledge version as read by this version of the bot."""
    return hashlib.sha1(f"{kb.version}:{_code_digest()}".encode()).hexdigest()[:20]


def problems_once(kb, nlu, verdicts) -> list[Problem]:
    """:func:`problems_beyond_loading`, worked out once per knowledge version among all workers.

    A verdict another worker (or an earlier start) recorded is read; one being worked out is
    waited for; otherwise this worker checks and records what it found, good or bad. Without
    Redis the worker checks by itself, as before there were verdicts to share.
    """
    from ..store import StoreUnavailable

    key = verdict_key(kb)
    try:
        recorded = verdicts.get(key)
        if recorded is not None:
            return recorded
        token = verdicts.claim(key, CLAIM_SECONDS)
        if token is None:
            recorded = verdicts.wait(key, CLAIM_SECONDS)
            if recorded is not None:
                return recorded
            token = verdicts.claim(key, CLAIM_SECONDS)
    except StoreUnavailable as exc:
        log.warning("knowledge check verdicts unavailable (%s): checking here", type(exc).__name__)
        return problems_beyond_loading(kb, nlu)
    try:
        problems = problems_beyond_loading(kb, nlu)
        try:
            verdicts.put(key, problems)
        except StoreUnavailable as exc:
            log.warning("knowledge check verdict not recorded (%s)", type(exc).__name__)
        return problems
    finally:
        if token is not None:
            try:
                verdicts.release(key, token)
            except StoreUnavailable:
                pass  # the claim expires by itself
