"""The readings of the messages many people type, worked out once per knowledge version.

Within one knowledge version the reading of a message (``Understanding.read``) is a function of
its text and the conversation's context alone: every part of it only reads the knowledge. What a
live account hears again and again -- 你好, 在吗, a menu digit, 登记, 确认, 好的, 谢谢, its common
questions -- is read once and kept (a bounded number, the least recently used dropped first).

The cache belongs to the ``Understanding`` it reads with (a new knowledge version builds a new
one, and its cache goes with it): it is held beside that object, weakly, so the version replaced
is freed as soon as nothing else holds it. Each hit is a copy of the kept reading whose dicts
(scores, entities, extra) are the caller's own, as a fresh reading's are.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Callable
from weakref import WeakKeyDictionary, ref

from .reading import Reading

SIZE = 4096  # readings kept per worker and knowledge version (a few MB at most)

_caches: WeakKeyDictionary[Any, Callable[[str, str], Reading]] = WeakKeyDictionary()
_lock = threading.Lock()


def _cached(nlu: Any) -> Callable[[str, str], Reading]:
    read = _caches.get(nlu)
    if read is None:
        with _lock:  # two threads on a new version's first messages build one cache, not two
            read = _caches.get(nlu)
            if read is None:
                read = _caches[nlu] = _reader(ref(nlu))
    return read


def _reader(nlu: ref) -> Callable[[str, str], Reading]:
    # the cache holds its Understanding weakly: held strongly, the WeakKeyDictionary's value would keep
    # its own key, and every knowledge version ever served, alive
    return lru_cache(maxsize=SIZE)(lambda text, context: nlu().read(text, context, "text"))


def read(nlu: Any, text: str, context: str, kind: str) -> Reading:
    """``nlu.read(text, context, kind)``, a message read before in this context taken from the cache."""
    if kind not in ("text", "voice") or not (text and text.strip()):
        return nlu.read(text, context, kind)  # no words to read: nothing to keep
    try:
        cached = _cached(nlu)
    except TypeError:  # a reader that cannot be referred to weakly (a stand-in in a test) is asked each time
        return nlu.read(text, context, kind)
    r = cached(text, context)  # a voice message's recognised text reads as the same text typed
    return Reading(r.text, r.context, r.intent, r.field, dict(r.scores), r.digit, dict(r.entities), r.asks,
                   r.match, r.park, dict(r.extra))
