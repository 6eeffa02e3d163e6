"""Chinese understanding: normalisation, FAQ matching, entity extraction.

``Understanding(kb)`` builds everything once per knowledge version; it is read-only afterwards.
"""
from .matcher import Conflict, Entry, Match, Policy, Understanding
from .normalize import Normalizer

__all__ = ["Conflict", "Entry", "Match", "Normalizer", "Policy", "Understanding"]
