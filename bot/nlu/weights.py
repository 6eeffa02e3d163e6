"""The matcher's hand-set weights and thresholds, and one candidate entry's scores."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """Weights and thresholds, tuned on tests/data/nlu.yaml with `parkbot eval`."""

    w_ratio: float = 0.4
    w_own: float = 0.5
    w_told: float = 0.1
    w_keys: float = 0.1
    # share of the character TF-IDF cosine in the ranking score (the rest is the four above): new
    # wordings share single rare characters with the right entry (吃 of 吃午饭, 网 of 网上版) more
    # often than whole bigrams. A third ranked the right entry first more often on the tuning sets
    # together (803 -> 815 of 851; dev5 87.5 -> 91.7 %); a mix, not a sum, keeps the score's scale
    w_cos: float = 1 / 3
    fuse_top: int = 10  # ... for this many entries, best first by the rest (all of them: the same rankings)
    unseen_boost: float = 2.0  # a character the knowledge base never uses counts this much more
    # ... and one it uses, in a bigram it never uses, this share of that (an everyday word of a new
    # wording, 号码, 星期, is weaker evidence of an off-topic message than a character nobody here
    # wrote): scripts/cv_policy.py at cost 3 gave 88.4 % answered right / 93.4 % off-topic not
    # answered with 0.6, against 86.7 / 93.0 with 1 (0.4: 88.2 / 94.1, but more off-topic answered
    # on nlu_holdout and nlu_holdout2)
    unseen_known_char: float = 0.6
    answer_at: float = 36.0  # combined score needed to answer ...
    margin: float = 3.0  # ... with this lead over the runner-up entry ...
    min_told: float = 0.15  # ... and this much of the message within what the entry talks about
    verbatim: float = 90.0  # (or a paraphrase this close)
    short: int = 4  # a message this short (after normalising) is a topic, not a question ...
    short_margin: float = 15.0  # ... and names one entry only with this lead, or a keyword of it
    suggest_at: float = 28.0
    suggest_spread: float = 8.0  # suggestions within this distance of the best
    candidates: int = 60  # paraphrases taken from the bigram index ...
    max_entries: int = 20  # ... and the entries they belong to, at most
    keyword_fanout: int = 20  # a keyword shared by more entries adds no candidates
    max_keyword_entries: int = 6


@dataclass(slots=True)  # several per message: a plain slotted record, not a frozen one built through __setattr__
class Scored:
    item: int
    score: float
    ratio: float
    own: float
    told: float
    keys: float
    cos: float = 0.0  # the TF-IDF cosine with the message (bot/nlu/tfidf.py)
