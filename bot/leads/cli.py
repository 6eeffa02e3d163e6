"""``parkbot leads …``, ``parkbot worker``, ``parkbot menu push`` and ``parkbot qr create``.

Commands run inside the Flask app context (``AppGroup`` wraps them), so they use the same
settings, Redis client and knowledge as the web app. Register with :func:`register`.
Output is for operators in a terminal; every user-supplied value is printed on one line.
"""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from bot.store.connection import get_keys, get_redis
from bot.store.leads import STATUSES, LeadStore

from .render import format_time, one_line, source_label

leads_cli = AppGroup("leads", help="See, export and update investment leads.")
menu_cli = AppGroup("menu", help="The Official Account menu.")
qr_cli = AppGroup("qr", help="Parametric QR codes for campaigns (campaigns.yaml).")


def _store() -> LeadStore:
    return LeadStore(get_redis(current_app), get_keys(current_app))


def _knowledge():
    return current_app.extensions["parkbot.knowledge"].current()


def _cell(value: object, width: int) -> str:
    text = one_line(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@leads_cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only leads with this status.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--source", default=None, help="Only leads from this source (a campaign's name, or wechat / web).")
def list_command(status: str | None, limit: int, source: str | None) -> None:
    """Newest leads first."""
    leads = _store().list(status=status, limit=limit, source=source)
    messages = _knowledge().messages
    if not leads:
        click.echo("no leads" + (f" with status {status}" if status else "")
                   + (f" from {one_line(source)}" if source else ""))
        if source:
            counts = _store().count_by_source()
            click.echo("sources: " + (", ".join(f"{one_line(k)} ({n})" for k, n in counts.items()) or "none"))
        return
    for lead in leads:
        f = lead["fields"]
        click.echo("  ".join([
            lead["number"], format_time(lead["created"]), f"{lead['status']:<9}", _cell(source_label(messages, lead["source"]), 8),
            _cell(f.get("company"), 20), _cell(f.get("contact"), 8), _cell(f.get("phone"), 15),
            _cell(f.get("need"), 30),
        ]))


@leads_cli.command("export")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="File to write (UTF-8 with BOM, opens in Excel).")
@click.option("--jsonl", "jsonl_path", type=click.Path(dir_okay=False),
              help="Backup to write: every lead with all it keeps, for `parkbot leads import`.")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="CSV only: leads with this status.")
def export_command(csv_path: str | None, jsonl_path: str | None, status: str | None) -> None:
    """Write every lead (newest first) to a CSV file, or back every lead up to a JSON Lines file."""
    from .export import ExportError, export_csv

    if bool(csv_path) == bool(jsonl_path):
        raise click.UsageError("give exactly one of --csv FILE or --jsonl FILE")
    if jsonl_path:
        if status:
            raise click.UsageError("--status filters the CSV; a backup always holds every lead")
        from bot.store.backup import BackupError, export_jsonl

        try:
            count = export_jsonl(get_redis(current_app), get_keys(current_app), jsonl_path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"backed up {count} leads to {jsonl_path}")
        return
    leads = _store().list(status=status, limit=1_000_000)
    try:
        count = export_csv(leads, csv_path, _knowledge().messages)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {count} leads to {csv_path}")


@leads_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Restore a backup made by `leads export --jsonl` into a Redis that has no leads yet."""
    from bot.store.backup import BackupError, import_jsonl

    try:
        count = import_jsonl(get_redis(current_app), get_keys(current_app), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {count} leads from {path}")


@leads_cli.command("set-status")
@click.argument("number")
@click.argument("status")
@click.option("--by", "who", default="cli", show_default=True, help="The name the lead's history records.")
def set_status_command(number: str, status: str, who: str) -> None:
    """Mark lead NUMBER as new, contacted or closed (kept in its history with --by)."""
    from bot.store.lead_desk import LeadDesk

    try:
        LeadDesk(get_redis(current_app), get_keys(current_app)).change(number, who=who, status=status)
    except LookupError:
        raise click.ClickException(f"unknown lead {number!r}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{number}: {status}")


@leads_cli.command("dead-letters")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def dead_letters_command(limit: int) -> None:
    """Notifications that failed past the retry limit."""
    items = _store().dead_letters(limit)
    if not items:
        click.echo("no dead letters")
    for item in items:
        click.echo("  ".join([item["id"], format_time(item.get("at")), item.get("job", ""),
                              item.get("channel", ""), f"attempts={item.get('attempts', '')}",
                              _cell(item.get("error"), 80)]))


@leads_cli.command("requeue")
@click.argument("entry_id")
def requeue_command(entry_id: str) -> None:
    """Put dead letter ENTRY_ID back on the outbox (channels that delivered it stay silent)."""
    new_id = _store().requeue_dead_letter(entry_id)
    if not new_id:
        raise click.ClickException(f"no dead letter {entry_id!r}")
    click.echo(f"requeued as {new_id}")


@click.command("worker")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
              help="Seconds between looks at the outbox when idle.")
@with_appcontext
def worker_command(poll: float) -> None:
    """Deliver lead notifications until SIGTERM or Ctrl-C (run any number of these)."""
    from .runner import follow_up_check, notification_channels
    from .worker import Worker

    app = current_app._get_current_object()
    channels = notification_channels(app)
    if not channels:
        raise click.ClickException("no notification channel configured: set NOTIFY_WECOM_WEBHOOK "
                                   "and/or NOTIFY_EMAIL_TO with SMTP_URL")
    worker = Worker(get_redis(app), get_keys(app), channels, periodic=follow_up_check(app))
    stop = threading.Event()

    def _stop(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker {worker.consumer}: delivering via {', '.join(c.name for c in channels)}")
    from ..takeover import start_sweeper

    start_sweeper(app.extensions["parkbot.desk"], stop)  # idle takeovers go back to the bot
    worker.run_forever(stop, poll_interval=poll)
    click.echo("worker stopped")


@menu_cli.command("push")
def menu_push_command() -> None:
    """Create the Official Account menu from menu.yaml's wechat_menu."""
    from bot.wechat_api import WeChatAPIError, from_config

    buttons = _knowledge().menu.wechat_menu
    try:
        api = from_config(get_redis(current_app), get_keys(current_app), current_app.config)
        api.push_menu(buttons)
    except (WeChatAPIError, ValueError) as exc:
        raise click.ClickException(f"menu push failed: {exc}") from None
    click.echo(f"menu pushed: {len(buttons)} top-level buttons")


@qr_cli.command("create")
@click.argument("scene")
def qr_create_command(scene: str) -> None:
    """A permanent QR code for campaign SCENE; prints the address of its image."""
    from bot.wechat_api import WeChatAPIError, from_config

    try:
        api = from_config(get_redis(current_app), get_keys(current_app), current_app.config)
        qr = api.create_qr(scene)
    except (WeChatAPIError, ValueError) as exc:
        raise click.ClickException(f"qr create failed: {exc}") from None
    click.echo(qr["image"])
    click.echo(f"scene {scene}: the code opens {qr['url']}" if qr["url"] else f"scene {scene}")
    campaign = _knowledge().campaign_by_scene.get(scene)
    if campaign is None:
        click.echo(f"note: scene {scene!r} is not in campaigns.yaml; add it with a name, "
                   "or staff see its leads as from this scene's code", err=True)
    else:
        click.echo(f"campaign: {one_line(campaign.name)}")


def commands() -> list[click.Command]:
    """``leads``, ``worker``, ``menu`` and ``qr``, for the ``parkbot`` group and ``app.cli``."""
    return [leads_cli, worker_command, menu_cli, qr_cli]


def register(app) -> None:
    for command in commands():
        app.cli.add_command(command)
