"""The loaded knowledge and what is built from it, kept on disk for the next start on the same version.

Loading 10 000 FAQ entries and building the matcher's index takes seconds per worker, and the
result depends only on the knowledge files and the code that reads them. The first worker to build
a version writes the pair (Knowledge, derived values) as a pickle under ``BOT_DATA_DIR/knowledge-built/``,
named by a digest of the files' names and bytes, every ``.py`` of ``bot/``, the Python version and
the libraries the matcher scores with: any edit to the knowledge or to the code gets a new name, so
a stale index is never read. A restart, or another worker, on the same version reads it instead of
building (about a fifth of the time).

Only our own objects, written by this bot into its own data directory, are ever unpickled. A file
that is missing, unreadable, truncated or from another build is ignored and the worker builds as
before. Workers writing at once each write a temporary file and rename it into place, so a reader
sees a whole file or none. The newest few files are kept; older ones are removed.
"""
from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import inspect
import io
import logging
import os
import pickle
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("pydantic", "pydantic_core", "rapidfuzz", "zhconv", "cn2an", "PyYAML")
KEEP = 3  # files kept: the version serving, the one before, one being rolled out
MAGIC = b"parkbot-built-1\n"


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    digest = hashlib.sha1(sys.version.encode())
    for path in sorted(BOT.rglob("*.py")):
        digest.update(str(path.relative_to(BOT)).encode())
        digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.digest()


def key_of(directory: Path, builders: list[str]) -> tuple[str, str]:
    """Names the files of ``directory`` as read by this code (equal keys, equal built values), and
    their knowledge version as :func:`~.loader.load_knowledge` names it."""
    from .loader import knowledge_version

    version = knowledge_version(directory)
    digest = hashlib.sha1(_code_digest())
    digest.update(",".join(builders).encode() + b"\0" + version.encode())
    return digest.hexdigest()[:24], version


def _remade_cache(method, maxsize, typed):
    return functools.lru_cache(maxsize=maxsize, typed=typed)(method)


class _Pickler(pickle.Pickler):
    """Pickles the per-instance memo caches (``lru_cache`` around a bound method) as empty ones.

    Their contents are only answers worked out earlier, so a fresh cache gives the same answers.
    """

    def reducer_override(self, obj):
        if isinstance(obj, functools._lru_cache_wrapper) and inspect.ismethod(getattr(obj, "__wrapped__", None)):
            params = obj.cache_parameters()
            return _remade_cache, (obj.__wrapped__, params["maxsize"], params["typed"])
        return NotImplemented


class BuiltCache:
    def __init__(self, directory: str | Path, builders: list[str]):
        self.directory = Path(directory)
        self.builders = list(builders)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.pickle"

    def load(self, knowledge_dir: Path) -> tuple[tuple[str, str] | None, tuple[Any, dict[str, Any]] | None]:
        """``(key, (kb, derived))`` when this version was built before, ``(key, None)`` otherwise."""
        try:
            key, version = named = key_of(knowledge_dir, self.builders)
        except OSError:
            return None, None
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            return named, None
        if not data.startswith(MAGIC + key.encode() + b"\n"):
            return named, None
        enabled = gc.isenabled()
        gc.disable()  # a million objects made at once: no collection passes over them half-made
        try:
            kb, derived = pickle.loads(memoryview(data)[len(MAGIC) + len(key) + 1:])
        except Exception as exc:  # noqa: BLE001 -- truncated or from an older build: build instead
            log.warning("built knowledge %s not usable (%s): building it", key, type(exc).__name__)
            return named, None
        finally:
            if enabled:
                gc.enable()
        if sorted(derived) != sorted(self.builders) or getattr(kb, "version", None) != version:
            return named, None
        # the same files, perhaps in another directory (the last good copy), loaded now
        return named, (dataclasses.replace(kb, directory=knowledge_dir, loaded_at=time.time()), derived)

    def store(self, named: tuple[str, str] | None, kb: Any, derived: dict[str, Any]) -> None:
        """Write the pair for the next start; a failure only costs that start the build.

        Not when the files changed between naming and loading them (an admin saving meanwhile):
        the pair would be kept under the other files' name.
        """
        if named is None or getattr(kb, "version", None) != named[1]:
            return
        key = named[0]
        try:
            buffer = io.BytesIO()
            buffer.write(MAGIC + key.encode() + b"\n")
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((kb, derived))
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, staging = tempfile.mkstemp(prefix=".built-", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(buffer.getbuffer())
                os.replace(staging, self._path(key))
            except BaseException:
                Path(staging).unlink(missing_ok=True)
                raise
            self._prune(keep=self._path(key))
        except Exception as exc:  # noqa: BLE001 -- read-only or full disk, an object that will not pickle
            log.warning("could not keep the built knowledge: %s: %s", type(exc).__name__, exc)

    def _prune(self, keep: Path) -> None:
        def age(path: Path) -> float:
            try:
                return -path.stat().st_mtime
            except OSError:  # another worker removed it meanwhile
                return 0.0

        for path in [p for p in sorted(self.directory.glob("*.pickle"), key=age) if p != keep][KEEP - 1:]:
            path.unlink(missing_ok=True)
