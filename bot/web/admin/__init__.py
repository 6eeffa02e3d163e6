"""``/admin``: the office's page for leads, unanswered questions and numbers, and its JSON API.

By concern: :mod:`.common` (blueprint, sentences, argument checks), :mod:`.auth` (accounts,
sign-in, the gate, CSRF), :mod:`.pages` (the lead list, one lead, the forms), :mod:`.numbers`
(charts and funnels), :mod:`.api` (JSON for scripts and CRMs).
"""
from __future__ import annotations

from ...sentences import ADMIN_KEYS
from . import api, auth, numbers, pages  # noqa: F401  (their routes register on bp)
from .auth import check_csrf
from .common import Refused, bp, error, m

__all__ = ["bp", "m", "error", "check_csrf", "Refused", "ADMIN_KEYS"]
