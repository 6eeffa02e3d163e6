"""gunicorn's settings for parkbot, read by gunicorn from the directory it starts in (``gunicorn wsgi:app``).

The app — Python's modules, the knowledge and the matcher built from it, some 100 MB at 10 000 FAQ
entries — is loaded once, in the master, and every worker is forked from it: the workers share those
pages with the master copy-on-write instead of each loading its own, and a worker gunicorn replaces
(it died, or ``max_requests``) answers at once instead of loading the knowledge again.

Each worker still checks the files itself (``bot/knowledge/holder.py``): an edit reaches every
worker within a second, each building (or reading the built copy of) the new version in its own
memory. Before forking a worker the master brings its own copy up to date, so a worker forked after
an edit starts with the edit, shared, instead of loading it on its first message.
"""
import gc

preload_app = True


def pre_fork(server, worker):
    holder = _holder(server)
    if holder is not None:
        holder.current()  # a reload when the files changed since the master loaded them (a few stat calls if not)
    # everything loaded so far is kept out of the collector's passes: a pass writes to every object it
    # walks, which would copy a worker's share of the master's pages into pages of its own
    gc.freeze()


def _holder(server):
    """The knowledge holder of the app the master loaded; None for another app (the benchmarks' floor)."""
    if not server.cfg.preload_app:  # asking for the app would load it in the master after all
        return None
    try:
        app = server.app.wsgi()
    except Exception:  # noqa: BLE001 -- a failing app is gunicorn's to report, not this hook's
        return None
    extensions = getattr(app, "extensions", None)
    return extensions.get("parkbot.knowledge") if isinstance(extensions, dict) else None
