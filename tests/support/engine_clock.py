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


@contextmanager
def at_resume_offer(app, wechat, openid: str, msg) -> Iterator[None]:
    """A form begun (登记, then the need) and left long enough that the next message (你好) is answered
    with the offer to go on with it; the block says what comes next."""
    engine = app.extensions["parkbot.engine"]
    wechat.say(openid, "登记")
    wechat.say(openid, "租1000平厂房")
    with engine_later(engine) as later:
        later(engine.resume_after + 60)
        assert msg("form_resume_offer") in wechat.say(openid, "你好")
        yield
