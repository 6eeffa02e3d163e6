"""The ``parkbot`` command (also ``python -m bot``): serve, chat, kb, eval, leads, worker, menu."""
from __future__ import annotations

import signal
import sys

import click
from flask.cli import ScriptInfo, with_appcontext

from .config import ConfigError

# found the way `flask --app` finds an app, so the commands need not import the factory that registers them;
# commands that only read or administer need no WeChat token: the dev defaults apply
APP_FACTORY = "bot.app:create_app({'DEV': True})"


def make_app(config: dict):
    """An app with ``config`` over the defaults, made the way ``flask --app`` makes one (see APP_FACTORY)."""
    return ScriptInfo(app_import_path=f"bot.app:create_app({config!r})").load_app()


@click.group()
def cli():
    """parkbot: WeChat chatbot for industrial-park investment promotion."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="default: $PORT or 8000")
@click.option("--no-worker", is_flag=True, help="do not deliver notifications from this process")
def serve(host, port, no_worker):
    """Development server with the embedded Redis and the notification worker in-process."""
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    cfg = app.config
    port = port or cfg["PORT"]
    if cfg.get("DEV_TOKEN_GENERATED"):
        click.echo(f"WECHAT_TOKEN not set; development token for this run: {cfg['WECHAT_TOKEN']}")
    click.echo(f"Redis: {cfg['REDIS_URL'] or 'embedded at ' + str(cfg['BOT_DATA_DIR'])}")
    if app.extensions.get("parkbot.webchat"):
        click.echo(f"Web chat: http://{host}:{port}/chat")
    click.echo(f"WeChat endpoint: http://{host}:{port}/wechat")
    # a TERM (service manager, `timeout`) leaves through the same clean-up as Ctrl-C
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stop = None
    if not no_worker:
        from .leads.runner import start_worker_thread

        stop = start_worker_thread(app)
    import threading

    from .takeover import start_sweeper

    sweeping = threading.Event()
    start_sweeper(app.extensions["parkbot.desk"], sweeping)  # idle takeovers go back to the bot
    try:
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        sweeping.set()
        if stop:
            stop()
        if not cfg["REDIS_URL"]:
            from .store import embedded

            embedded.stop(cfg["BOT_DATA_DIR"])


@cli.command()
@click.option("--user", "openid", default="cli-user", show_default=True, help="the OpenID to talk as")
@with_appcontext
def chat(openid):
    """A terminal conversation through the same engine (Ctrl-D to leave)."""
    from flask import current_app

    from .dialogue.replies import Incoming

    engine = current_app.extensions["parkbot.engine"]
    click.echo("parkbot chat — type a message; /subscribe [SCENE], /scan SCENE, /location LAT LNG, /click KEY; "
               "Ctrl-D quits")
    while True:
        try:
            line = input("你> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if line == "/subscribe" or line.startswith(("/subscribe ", "/scan ")):
            # as if through a campaign's QR code (campaigns.yaml) when a scene is given
            command, _, scene = line.partition(" ")
            incoming = Incoming(openid, "event", event=command[1:], event_key=scene.strip(), channel="cli")
        elif line.startswith("/click "):
            incoming = Incoming(openid, "event", event="click", event_key=line[7:].strip(), channel="cli")
        elif line.startswith("/location "):
            try:
                lat, lng = map(float, line.split()[1:3])
            except ValueError:
                click.echo("usage: /location LAT LNG")
                continue
            incoming = Incoming(openid, "location", lat=lat, lng=lng, channel="cli")
        else:
            incoming = Incoming(openid, "text", text=line, channel="cli")
        reply = engine.handle(incoming)
        if reply.article:
            click.echo(f"bot> [{reply.article.title}]\n{reply.article.description}\n{reply.article.url}")
        elif reply.text:
            click.echo("bot> " + reply.text.replace("\n", "\n     "))


@cli.group()
def kb():
    """Check and test the knowledge base."""


@kb.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def kb_check(directory):
    """Validate every file in DIRECTORY (default: $KNOWLEDGE_DIR or ./knowledge)."""
    import os

    from .tools.kb_check import check, warnings
    from .knowledge.loader import KnowledgeError, load_knowledge

    directory = directory or os.environ.get("KNOWLEDGE_DIR") or "knowledge"
    problems = check(directory)
    try:
        for warning in warnings(load_knowledge(directory)):
            click.echo(f"warning: {warning}", err=True)
    except KnowledgeError:
        pass  # the problems above say why
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{directory}: ok")


def _knowledge_to_fit(directory, data, defaults, *, sets_required=True):
    """The knowledge a ``kb fit-…`` command fits on, its directory and the labelled sets (or exit: the
    knowledge does not load, or ``sets_required`` and no labelled set is found)."""
    import os

    from .knowledge.loader import KnowledgeError, load_knowledge

    directory = directory or os.environ.get("KNOWLEDGE_DIR") or "knowledge"
    try:
        kb_value = load_knowledge(directory)
    except KnowledgeError as exc:
        click.echo(str(exc), err=True)
        click.echo("the knowledge does not load: run `parkbot kb check`", err=True)
        sys.exit(1)
    paths = list(data) or [p for p in defaults if os.path.isfile(p)]
    if sets_required and not paths:
        click.echo("no labelled set found: pass --data", err=True)
        sys.exit(1)
    return kb_value, directory, paths


@kb.command("fit-policy")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="labelled set (repeatable); default: the tuning sets listed in bot/nlu/fit.py")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def kb_fit_policy(data, directory):
    """Fit the answer/suggest/decline model and write DIRECTORY/answer_policy.yaml."""
    from .nlu.fit import TUNING_SETS, fit, write

    kb_value, directory, paths = _knowledge_to_fit(directory, data, TUNING_SETS)
    try:
        content = fit(kb_value, paths)
    except ValueError as exc:  # a set rerank.yaml counted has changed since
        click.echo(str(exc), err=True)
        sys.exit(1)
    path = write(directory, content)
    trained = content["trained_on"]
    click.echo(f"{path}: fitted on {trained['messages']} messages from {len(paths)} set(s); "
               f"answer at {content['answer_at']}, suggest at {content['suggest_at']}")


@kb.command("fit-rerank")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="labelled set (repeatable); default: the tuning sets listed in bot/nlu/fit_rerank.py")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def kb_fit_rerank(data, directory):
    """Fit the front-runner re-ranker and write DIRECTORY/rerank.yaml (then run fit-policy)."""
    from .nlu.fit_rerank import CV_SETS, fit, write

    kb_value, directory, paths = _knowledge_to_fit(directory, data, CV_SETS)
    content = fit(kb_value, paths)
    path = write(directory, content)
    click.echo(f"{path}: fitted on {content['trained_on']['pairs']} pairs from {len(paths)} set(s)")


@kb.command("fit-commands")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="labelled set (repeatable): commands (text, state, intent) or the form's answers; "
                   "default: tests/data/commands.yaml and tests/data/form_answers.yaml")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def kb_fit_commands(data, directory):
    """Fit the command model and write DIRECTORY/command_model.yaml."""
    from .nlu.fit_commands import TRAINING_SETS, fit, write

    kb_value, directory, paths = _knowledge_to_fit(directory, data, TRAINING_SETS, sets_required=False)
    try:
        content = fit(kb_value, paths)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        click.echo(f"a labelled set does not read: {exc}", err=True)
        sys.exit(1)
    path = write(directory, content)
    click.echo(f"{path}: fitted on {sum(content['trained_on'].values())} messages "
               f"({len(content['counts'])} classes) from the knowledge and {len(paths)} set(s)")


@kb.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def kb_test(directory):
    """Run knowledge/tests.yaml through the real engine, on storage kept in memory."""
    import os

    from .tools.kb_test import main

    sys.exit(main(directory or os.environ.get("KNOWLEDGE_DIR") or "knowledge", echo=click.echo))


@cli.command("eval")
@click.option("--data", default=None, type=click.Path(dir_okay=False),
              help="labelled set [default: tests/data/nlu.yaml; with --form tests/data/form_answers.yaml]")
@click.option("--form", "form", is_flag=True, help="how the inquiry form reads answers, per field")
@click.option("--conversations", default=None, type=click.Path(dir_okay=False),
              help="with --form: multi-turn set [default: tests/data/form_conversations.yaml with the default data]")
@click.option("--follow-ups", "follow_ups", is_flag=True,
              help="elliptical follow-up questions after an answer [default data: tests/data/followups.yaml]")
@click.option("--quiet", is_flag=True, help="figures only, not the items missed (for a held-out set)")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def eval_command(data, form, conversations, follow_ups, quiet, directory):
    """Accuracy of matching and entities (or, with --form, of the inquiry form) on a labelled set."""
    import os

    knowledge = directory or os.environ.get("KNOWLEDGE_DIR") or "knowledge"
    if follow_ups:
        from .tools.followup_eval import main as follow_up_main

        sys.exit(follow_up_main(knowledge, data or "tests/data/followups.yaml", quiet=quiet, echo=click.echo))
    if form:
        from .tools.form_eval import run

        if conversations is None and data is None:
            conversations = "tests/data/form_conversations.yaml"
        sys.exit(run(knowledge, data or "tests/data/form_answers.yaml", conversations, make_app, echo=click.echo,
                     errors=not quiet))
    from .nlu.eval import main

    sys.exit(main(knowledge, data or "tests/data/nlu.yaml", quiet=quiet))


def all_commands() -> list:
    from .admin_cli import admin_cli

    commands = [serve, chat, kb, eval_command, admin_cli]
    try:
        from .leads.cli import commands as lead_commands
    except ImportError:
        return commands
    return commands + list(lead_commands())


def init_app(app) -> None:
    """Put the commands on ``app.cli`` too, so ``app.test_cli_runner()`` reaches them (flaskr style)."""
    for command in all_commands():
        app.cli.add_command(command)


for _command in all_commands():
    cli.add_command(_command)


def main() -> None:
    try:
        # commands that need the app get it from this ScriptInfo, as under ``flask``
        cli.main(prog_name="parkbot", obj=ScriptInfo(app_import_path=APP_FACTORY))
    except ConfigError as exc:
        click.echo(f"parkbot: {exc}", err=True)
        sys.exit(2)
