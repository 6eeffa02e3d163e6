"""The knowledge a running bot serves, reloaded when an admin edits a file.

Each worker process checks the files' sizes and mtimes at most once per interval (a few
``stat`` calls), so every gunicorn worker picks up an edit by itself. A new version is
swapped in only once it and everything derived from it (the matcher's index) built without
error; otherwise the last good version keeps serving and the error is kept for /healthz.
"""
from __future__ import annotations

import atexit
import ctypes
import gc
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .built import BuiltCache
from .loader import Knowledge, KnowledgeError, fingerprint, load_knowledge

log = logging.getLogger(__name__)

Builder = Callable[[Knowledge], Any]
# what `kb check` finds beyond loading (knowledge, derived values) -> problems; any refuses the edit
Validator = Callable[[Knowledge, dict], list]
Warner = Callable[[Knowledge], list]


def _give_back_memory() -> None:
    """Return what building freed (the YAML trees, build-time tables) to the system.

    glibc keeps freed heap memory for the process otherwise: some 10 MB of every worker's resident
    memory at 10 000 FAQ entries. Elsewhere (no ``malloc_trim``) there is nothing to do.
    """
    gc.unfreeze()  # what the last version froze (see _freeze) may be garbage by now
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _freeze(collect: bool) -> None:
    """Keep the collector off the version now serving (a million objects at 10 000 entries).

    It lives until the next edit, so the collector's full passes while serving need not walk it
    (``gc.freeze``); the next build unfreezes it. ``collect``: first collect the version it replaced,
    if only reference cycles held it (frozen, it would stay until the edit after).
    """
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


# at exit everything is handed back to the collector: what only a frozen module's reference cycle
# holds (a file a module keeps open) is finalised, flushed and closed as without the freeze
atexit.register(gc.unfreeze)


class KnowledgeHolder:
    def __init__(self, directory: str | Path, *, interval: float = 1.0, builders: dict[str, Builder] | None = None,
                 last_good: str | Path | None = None, validate: Validator | None = None,
                 warn: Warner | None = None, built: str | Path | None = None):
        self.directory = Path(directory)
        self.interval = interval
        self.builders = dict(builders or {})
        self.validate, self.warn = validate, warn
        # what a version built to, kept for the next start on it (see built.py); None: always build
        self.built = BuiltCache(built, list(self.builders)) if built is not None else None
        self.warnings: list[str] = []
        # a copy of the last knowledge that loaded, so a worker (re)started while the files
        # on disk are broken still serves what users had a moment ago
        self.last_good = Path(last_good) if last_good else None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Knowledge, dict[str, Any]], Any]] = []
        self._checked_at = 0.0
        self._fingerprint = fingerprint(self.directory)
        try:
            self._kb, self._derived = self._load(self.directory)
        except KnowledgeError as exc:
            if self.last_good is None or not self.last_good.is_dir():
                raise
            self._kb, self._derived = self._load(self.last_good)
            _freeze(collect=False)
            self._fail(f"{exc}\n(serving the last good copy, version {self._kb.version})")
            return
        _freeze(collect=False)
        self._keep_copy()

    def on_change(self, listener: Callable[[Knowledge, dict[str, Any]], Any]) -> None:
        """Call ``listener(kb, derived)`` now and after every reload that swaps in a new version.

        A failing listener is logged and never stops the reload: what it updates (the
        unanswered log's open/covered marks) can wait for the next edit.
        """
        self._listeners.append(listener)
        self._notify(listener)

    def _notify(self, *listeners) -> None:
        for listener in listeners or self._listeners:
            try:
                listener(self._kb, self._derived)
            except Exception:  # noqa: BLE001 -- e.g. Redis down during a reload
                log.exception("knowledge change listener failed")

    def _load(self, directory: Path) -> tuple[Knowledge, dict[str, Any]]:
        """Load and build the files of ``directory``, or read what an earlier start built of the same files."""
        first = not hasattr(self, "_kb")
        if self.built is not None and first:
            # the pass a build ends with, done before reading instead: now it walks a fresh worker's few
            # objects, after reading a million more (frozen unwalked below, see _freeze)
            gc.unfreeze()
            gc.collect()
        key, kept = self.built.load(directory) if self.built is not None else (None, None)
        if kept is not None:
            return self._build(*kept, collect=not first)
        kb = load_knowledge(directory)
        derived = {name: build(kb) for name, build in self.builders.items()}
        if self.built is not None:
            self.built.store(key, kb, derived)
        return self._build(kb, derived)

    def _build(self, kb: Knowledge, derived: dict[str, Any], collect: bool = True) -> tuple[Knowledge, dict[str, Any]]:
        if self.validate is not None:
            problems = self.validate(kb, derived)
            if problems:
                raise KnowledgeError(list(problems))
        self.warnings = [str(w) for w in self.warn(kb)] if self.warn is not None else []
        if collect:
            _give_back_memory()
        return kb, derived

    def current(self) -> Knowledge:
        self._maybe_reload()
        return self._kb

    def snapshot(self) -> tuple[Knowledge, dict[str, Any]]:
        """The knowledge and its derived values as one consistent pair."""
        self._maybe_reload()
        return self._kb, self._derived

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.interval:
            return
        with self._lock:
            if now - self._checked_at < self.interval:
                return
            self._checked_at = now
            try:
                current = fingerprint(self.directory)
            except OSError as exc:
                self._fail(f"cannot read {self.directory}: {exc}")
                return
            if current == self._fingerprint:
                return
            self._fingerprint = current
            self.reload()

    def reload(self) -> bool:
        try:
            kb, derived = self._load(self.directory)
        except KnowledgeError as exc:
            self._catch_up()
            self._fail(str(exc))
            return False
        except Exception as exc:  # a builder choked on content the schema allowed
            log.exception("knowledge build failed")
            self._catch_up()
            self._fail(f"{type(exc).__name__}: {exc}")
            return False
        changed = kb.version != self._kb.version
        self._kb, self._derived = kb, derived
        del kb, derived
        _freeze(collect=True)
        self.last_error = self.last_error_at = None
        log.info("knowledge reloaded: version %s", self._kb.version)
        self._keep_copy()
        if changed:
            self._notify()
        return True

    def _catch_up(self) -> None:
        """A worker that slept through a good edit and wakes to a broken one serves the good one.

        Another worker loaded that edit and kept a copy of it; without this, one worker would
        answer from the edit before last while its siblings answer from the last.
        """
        if self.last_good is None or not self.last_good.is_dir():
            return
        try:
            kb, derived = self._load(self.last_good)
        except Exception:  # the copy only ever holds knowledge that loaded; be safe anyway
            log.exception("the last good copy of the knowledge did not load")
            return
        if kb.version != self._kb.version:
            self._kb, self._derived = kb, derived
            del derived
            _freeze(collect=True)
            log.info("serving the last good copy of the knowledge, version %s", kb.version)

    def _keep_copy(self) -> None:
        """Copy the files just loaded beside the data, swapped in by one rename."""
        if self.last_good is None:
            return
        try:
            self.last_good.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".knowledge-", dir=self.last_good.parent))
            for path in self.directory.glob("*.yaml"):
                shutil.copy2(path, staging / path.name)
            link = self.last_good.parent / f".{self.last_good.name}.{os.getpid()}"
            link.unlink(missing_ok=True)
            link.symlink_to(staging.name)
            previous = self.last_good.resolve() if self.last_good.is_symlink() else None
            os.replace(link, self.last_good)
            if previous is not None and previous.is_dir() and previous != staging.resolve():
                shutil.rmtree(previous, ignore_errors=True)
        except OSError as exc:  # a read-only data directory must not stop the bot
            log.warning("could not keep a copy of the knowledge: %s", exc)

    def _fail(self, message: str) -> None:
        self.last_error, self.last_error_at = message, time.time()
        log.error("knowledge edit refused, still serving version %s:\n%s", self._kb.version, message)


def init_app(app, builders: dict[str, Builder], validate: Validator | None = None,
             warn: Warner | None = None) -> KnowledgeHolder:
    holder = KnowledgeHolder(app.config["KNOWLEDGE_DIR"], interval=app.config["KNOWLEDGE_CHECK_INTERVAL"],
                             builders=builders, last_good=Path(app.config["BOT_DATA_DIR"]) / "knowledge-last-good",
                             validate=validate, warn=warn, built=Path(app.config["BOT_DATA_DIR"]) / "knowledge-built")
    app.extensions["parkbot.knowledge"] = holder
    return holder


def get_holder(app) -> KnowledgeHolder:
    return app.extensions["parkbot.knowledge"]
