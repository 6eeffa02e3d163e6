"""The engine's clock moved on for a test: a form left long enough to be offered again, or dropped."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def engine_later(engine) -> Iterator[Callable[[float], None]]:
    """Yields ``later(seconds)``: from then on the engine's ``now`` is that much past the real clock;
    the real clock is back when the block ends."""
    real_now = engine.now

    def later(seconds: float) -> None:
        engine.now = lambda: real_now() + seconds

    try:
        yield later
    finally:
        engine.now = real_now
